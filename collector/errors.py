"""JSON errors for the collector.

Every error a client sees has the same shape, ``{"error": <sentence>, "status": <code>}``
plus optional detail keys (``fields`` for validation errors), so the tag and
server SDKs can log something useful without parsing HTML.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class HitRejected(Exception):
    """A hit we refuse, with a message meant for whoever sent it."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def error_response(status: int, message: str, **details: Any) -> Response:
    body = {"error": message, "status": status, **details}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HitRejected)
    def _rejected(exc: HitRejected) -> Response:
        return error_response(exc.status, exc.message, **exc.details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        # Keep werkzeug's headers (Allow on 405) but replace its HTML body.
        response = exc.get_response()
        code = exc.code or 500
        message = {
            413: "the request body is too large for one hit",
        }.get(code, exc.description or exc.name)
        response.set_data(json.dumps({"error": message, "status": code}))
        response.mimetype = "application/json"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # The traceback goes to the log, never to the client.
        log.exception("unexpected error while handling a request")
        return error_response(500, "internal error: the hit was not stored; please retry later")
