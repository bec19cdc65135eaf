"""JSON errors for the report API: ``{"error": <sentence>, "status": <code>, ...}``.

Error bodies never contain report data, SQL, connection strings or tracebacks.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.details = details


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **details: Any
) -> Response:
    body = {"error": message, "status": status, **details}
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers.update(headers or {})
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api(exc: ApiError) -> Response:
        return error_response(exc.status, exc.message, exc.headers, **exc.details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        response = exc.get_response()  # keeps headers such as Allow on 405
        response.set_data(json.dumps({"error": exc.description or exc.name, "status": exc.code}))
        response.mimetype = "application/json"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error while serving a report")
        return error_response(500, "internal error; the details are in the server log")
