"""Small helpers of the people and access endpoints: reading JSON bodies and
query numbers, writing times, and turning the core's errors into answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request

from touchline.control.registry import RegistryError
from touchline.control.users import Conflict, NotFound
from touchline.web_errors import JsonError


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise JsonError(400, "send a JSON object (Content-Type: application/json)")
    return body


def text_field(body: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise JsonError(400, f"{name!r} is required and must be a string")
    return value


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise JsonError(400, f"{name} must be a whole number, not {raw[:40]!r}") from None
    if not low <= value <= high:
        raise JsonError(400, f"{name} must be between {low} and {high}")
    return value


def iso(at: datetime | None) -> str | None:
    # The control database keeps naive UTC.
    return None if at is None else at.isoformat(timespec="seconds") + "Z"


def refusal(exc: RegistryError) -> JsonError:
    """The core's wording, with the status its kind of error deserves."""
    if isinstance(exc, NotFound):
        return JsonError(404, str(exc))
    if isinstance(exc, Conflict):
        return JsonError(409, str(exc))
    return JsonError(400, str(exc))
