"""JSON errors for every Touchline web app: ``{"error": <sentence>, "status": <code>, ...}``.

Any Flask app registers them with :func:`register_error_handlers`; then a view
raises :class:`JsonError` with a message written for the client, werkzeug's
HTTP errors (404, 405, 413, a bad JSON body) get the same shape instead of
HTML, and anything unexpected becomes a 500 whose details go only to the log.
Bodies never echo tracebacks, SQL or secrets.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class JsonError(Exception):
    """An error answered as JSON, with a message meant for whoever sent the request."""

    def __init__(
        self,
        status: int,
        message: str,
        /,
        headers: Mapping[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.details = details


def error_response(
    status: int, message: str, /, headers: Mapping[str, str] | None = None, **details: Any
) -> Response:
    body = {"error": message, "status": status, **details}
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    if headers:
        response.headers.update(headers)
    return response


def register_error_handlers(
    app: Flask,
    messages: Mapping[int, str] | None = None,
    unexpected: str = "internal error; the details are in the server log",
) -> None:
    """``messages`` replaces werkzeug's wording per status (e.g. 413 for a collector)."""
    overrides = dict(messages or {})

    @app.errorhandler(JsonError)
    def _json_error(exc: JsonError) -> Response:
        return error_response(exc.status, exc.message, exc.headers, **exc.details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        response = exc.get_response()  # keeps headers such as Allow on 405
        code = exc.code or 500
        message = overrides.get(code) or exc.description or exc.name
        response.set_data(json.dumps({"error": message, "status": code}))
        response.mimetype = "application/json"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error while handling a request")
        return error_response(500, unexpected)
