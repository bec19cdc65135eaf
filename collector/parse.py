"""Turn a request body into a validated :class:`IncomingHit`, or say exactly what is wrong."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from collector.errors import HitRejected
from touchline.contract import ACCEPTED_TYPES, IncomingHit

_ACCEPTED = ", ".join(sorted(ACCEPTED_TYPES))
# Deeper JSON than this in `properties` is no analytics payload; refusing it here
# keeps the serializer's own depth limit from failing later with a 500.
MAX_DEPTH = 32


def parse_body(body: bytes, query_token: str | None) -> dict[str, Any]:
    """The JSON object in the body; the ``?token=`` query value fills in a missing token.

    The content type is not checked: ``navigator.sendBeacon`` sends text/plain
    so that the browser needs no CORS preflight.
    """
    if not body.strip():
        raise HitRejected(400, "empty body: send one hit as a JSON object")
    try:
        payload = json.loads(body)
    except ValueError as exc:  # includes UnicodeDecodeError
        # exc names the position of the problem, never more than the client sent.
        raise HitRejected(400, f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise HitRejected(400, f"the JSON is nested more than {MAX_DEPTH} levels deep") from None
    if not isinstance(payload, dict):
        raise HitRejected(
            400, f"the body must be one hit as a JSON object, not a JSON {_json_kind(payload)}"
        )
    if _too_deep(payload, MAX_DEPTH):
        raise HitRejected(400, f"the JSON is nested more than {MAX_DEPTH} levels deep")
    if "token" not in payload and query_token:
        payload["token"] = query_token
    return payload


def _too_deep(value: Any, limit: int) -> bool:
    # Iterative, so a hostile body cannot exhaust the interpreter's stack here.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def validate_hit(payload: dict[str, Any]) -> IncomingHit:
    # Checked before pydantic: its message would list every type the contract
    # reserves, while only some are accepted today.
    hit_type = payload.get("type", "pageview")
    if isinstance(hit_type, str) and hit_type not in ACCEPTED_TYPES:
        raise HitRejected(
            400,
            f"hit type {hit_type!r} is not accepted; accepted types: {_ACCEPTED}",
            accepted_types=sorted(ACCEPTED_TYPES),
        )
    try:
        return IncomingHit.model_validate(payload)
    except ValidationError as exc:
        fields = flatten_errors(exc)
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        raise HitRejected(400, f"invalid hit: {summary}", fields=fields) from None


def flatten_errors(exc: ValidationError) -> list[dict[str, str]]:
    """pydantic's errors as ``{"field", "message"}`` pairs, without echoing the input."""
    fields = []
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error["loc"]) or "(body)"
        kind = error["type"]
        if kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            message = "is not a field of the hit contract"
        else:
            message = error["msg"]
            # Our own validators raise ValueError; pydantic prefixes it.
            message = message.removeprefix("Value error, ")
        fields.append({"field": field, "message": message})
    return fields
