"""The collector's JSON errors: the shared handlers of :mod:`touchline.web_errors`."""

from __future__ import annotations

from flask import Flask

from touchline.web_errors import JsonError, error_response
from touchline.web_errors import register_error_handlers as register_json_errors

__all__ = ["HitRejected", "error_response", "register_error_handlers"]

# A request-level refusal (bad body, unknown token, ...); per-hit refusals are
# listed in the 200 response instead.
HitRejected = JsonError

MESSAGES = {
    413: "the request body is too large: send at most the documented batch size",
}


def register_error_handlers(app: Flask) -> None:
    register_json_errors(
        app,
        MESSAGES,
        unexpected="internal error: the hits were not stored; please retry later",
    )
