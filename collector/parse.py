"""Turn a request body into a JSON object, or say exactly what is wrong with it."""

from __future__ import annotations

import json
import math
from typing import Any

from collector.errors import HitRejected

# Deeper JSON than this in `properties` is no analytics payload; refusing it here
# keeps the serializer's own depth limit from failing later with a 500.
MAX_DEPTH = 32


def parse_body(body: bytes, query_token: str | None) -> dict[str, Any]:
    """The JSON object in the body; the ``?token=`` query value fills in a missing token.

    The content type is not checked: ``navigator.sendBeacon`` sends text/plain
    so that the browser needs no CORS preflight.
    """
    if not body.strip():
        raise HitRejected(400, "empty body: send one hit or a batch as a JSON object")
    try:
        payload = load_json(body)
    except ValueError as exc:  # includes UnicodeDecodeError
        # exc names the position of the problem, never more than the client sent.
        raise HitRejected(400, f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise HitRejected(400, f"the JSON is nested more than {MAX_DEPTH} levels deep") from None
    if not isinstance(payload, dict):
        raise HitRejected(
            400,
            f"the body must be one hit or a batch as a JSON object, "
            f"not a JSON {_json_kind(payload)}",
        )
    # Fewer brackets than the limit cannot nest deeper: skip the walk (the usual case).
    if body.count(b"{") + body.count(b"[") > MAX_DEPTH and too_deep(payload, MAX_DEPTH):
        raise HitRejected(400, f"the JSON is nested more than {MAX_DEPTH} levels deep")
    if "token" not in payload and query_token:
        payload["token"] = query_token
    return payload


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:32]} is too large")
    return value


def load_json(body: bytes | str) -> Any:
    """Strict JSON: no NaN or Infinity, no number that overflows to infinity, and
    no lone surrogate in a string (none of them can be written back as JSON)."""
    value = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    marker = b"\\u" if isinstance(body, bytes) else "\\u"
    if marker in body and _has_lone_surrogate(value):
        raise ValueError("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def too_deep(value: Any, limit: int) -> bool:
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
