"""A Segment-compatible server-side API: ``POST /v1/{track,identify,page,...,batch}``.

Site owners' servers keep the SDK they already use (``segment-analytics-python``
and friends) and point its host at the collector. Authentication is the
account's server write key (not the public tracking token): as the HTTP Basic
user, or ``writeKey`` in the body. Bodies may be gzip-compressed.

Mapping to Touchline hits:

* ``track`` → ``event`` (action = event name, category/label/value from
  properties); ``track "Order Completed"`` (Segment's e-commerce spec) → ``sale``
* ``identify`` → ``identify`` (traits are a partial update; dim_users merges them)
* ``page`` → ``pageview``; ``screen`` → ``event`` with category ``screen``
* ``group`` → ``event`` with category ``group``; ``alias`` → ``alias``

``messageId`` is the dedupe key (it becomes the hit id: itself when it is a
UUID, else a UUID derived from account and messageId). Event time follows
Segment: ``receivedAt - (sentAt - originalTimestamp)`` when the client sent
``originalTimestamp``; else ``timestamp`` as given (server clocks are trusted;
that is how history is imported); else the time of receipt.

Limits as Segment's: 32 KB per event (an oversized event is refused on its
own, the rest of the batch lands) and 500 KB per request, after decompression.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import time
import uuid
import zlib
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from collector import metrics
from collector.enrich import MAX_USER_AGENT, is_bot, request_context
from collector.intake import commit, registry_unavailable, state
from collector.parse import load_json, too_deep
from collector.processor import EVENT_AT_KEY, Cookies, Outcome, Refusal
from touchline.contract import MAX_BACKDATE, utc_time
from touchline.web_errors import JsonError

bp = Blueprint("segment", __name__, url_prefix="/v1")

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MESSAGE_NAMESPACE = uuid.UUID("9c3b0c9e-7a43-4b57-8a2e-51c3c2f6f1d4")
ORDER_COMPLETED = "Order Completed"
_timestamp = TypeAdapter(datetime)
_NO_COOKIES = Cookies(None, None)


class SegmentError(JsonError):
    """Segment's SDKs read ``code`` and ``message``; our clients read ``error``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, message, code=code, message=message, success=False)


def _body() -> dict[str, Any]:
    raw = request.get_data(cache=False)
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = inflater.decompress(raw, MAX_BATCH_BYTES + 1)
        except zlib.error:
            raise SegmentError(400, "invalid_request", "the body is not valid gzip") from None
    if len(raw) > MAX_BATCH_BYTES:
        raise SegmentError(413, "payload_too_large", "a request may hold at most 500 KB")
    try:
        body = load_json(raw)
    except (ValueError, RecursionError):
        raise SegmentError(400, "invalid_request", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise SegmentError(400, "invalid_request", "the body must be a JSON object")
    if too_deep(body, 32):
        raise SegmentError(400, "invalid_request", "the JSON is nested too deeply")
    return body


def _write_key(body: dict[str, Any]) -> str:
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.username:
        return auth.username
    key = body.get("writeKey")
    if isinstance(key, str) and key:
        return key
    raise SegmentError(401, "unauthorized", "send the write key as the Basic auth user")


def _parse_time(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return utc_time(_timestamp.validate_python(value))
    except (ValidationError, ValueError, TypeError):
        raise ValueError(f"{name} is not an ISO-8601 time between 1970 and 2200") from None


def event_time(message: dict[str, Any], batch_sent_at: Any, received_at: datetime) -> datetime:
    """Segment's clock-skew rule (see the module docstring)."""
    original = _parse_time(message.get("originalTimestamp"), "originalTimestamp")
    sent = _parse_time(message.get("sentAt", batch_sent_at), "sentAt")
    explicit = _parse_time(message.get("timestamp"), "timestamp")
    if original is not None and sent is not None:
        when = received_at - (sent - original)
    elif explicit is not None:
        when = explicit
    else:
        when = received_at
    when = min(when, received_at)  # never after it reached us
    if received_at - when > MAX_BACKDATE:
        raise ValueError(f"the event is more than {MAX_BACKDATE.days} days old")
    return when


def _str(value: Any, limit: int = 512) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value)[:limit]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def to_hit(message: dict[str, Any], kind: str, account: str) -> dict[str, Any]:
    """A Segment message as a Touchline wire hit (validated afterwards like any hit)."""
    context = _dict(message.get("context"))
    page = _dict(context.get("page"))
    campaign = _dict(context.get("campaign"))
    properties = dict(_dict(message.get("properties")))
    message_id = message.get("messageId")
    if isinstance(message_id, str) and message_id:
        try:
            hit_id = str(uuid.UUID(message_id))
        except ValueError:
            hit_id = str(uuid.uuid5(MESSAGE_NAMESPACE, f"{account}/{message_id}"))
    else:
        hit_id = str(uuid.uuid4())
    user_id = _str(message.get("userId"), 256)
    hit: dict[str, Any] = {
        "hit_id": hit_id,
        "visitor_id": _str(message.get("anonymousId"), 128) or user_id,
        "user_id": user_id,
        "url": page.get("url"),
        "referrer": page.get("referrer"),
        "title": page.get("title"),
    }
    for source, target in (("source", "utm_source"), ("medium", "utm_medium"),
                           ("name", "utm_campaign"), ("term", "utm_term"),
                           ("content", "utm_content")):  # fmt: skip
        if campaign.get(source) is not None:
            hit[target] = campaign[source]
    if kind == "track":
        name = message.get("event")
        if name == ORDER_COMPLETED:
            hit.update(
                type="sale",
                order_id=_str(properties.pop("order_id", None) or properties.get("checkout_id")),
                revenue=properties.pop("revenue", None) or properties.pop("total", None),
                currency=properties.pop("currency", None) or "USD",
                items=[
                    {
                        "sku": _str(p.get("sku") or p.get("product_id")),
                        "name": _str(p.get("name")),
                        "price": p.get("price"),
                        "quantity": p.get("quantity", 1),
                    }
                    for p in properties.pop("products", None) or []
                    if isinstance(p, dict)
                ],
            )
        else:
            hit.update(
                type="event",
                action=name,
                category=properties.pop("category", None),
                label=properties.pop("label", None),
                value=properties.pop("value", None),
            )
    elif kind == "identify":
        traits = message.get("traits")
        hit.update(type="identify", traits=traits if traits is not None else context.get("traits"))
    elif kind == "page":
        hit["type"] = "pageview"
        hit["url"] = properties.pop("url", None) or hit["url"]
        hit["title"] = properties.pop("title", None) or message.get("name") or hit["title"]
        hit["referrer"] = properties.pop("referrer", None) or hit["referrer"]
        properties.pop("path", None)
        properties.pop("search", None)
    elif kind == "screen":
        hit.update(
            type="event", category="screen", action=message.get("name") or message.get("category")
        )
    elif kind == "group":
        hit.update(type="event", category="group", action=_str(message.get("groupId")))
        properties["group_traits"] = message.get("traits")
    elif kind == "alias":
        hit.update(type="alias", previous_id=_str(message.get("previousId"), 256))
        hit["visitor_id"] = hit["visitor_id"] or hit["previous_id"]
    hit["properties"] = properties
    # The Segment call a hit came from, for whoever reads raw_hits.
    hit["properties"]["segment_type"] = kind
    return {k: v for k, v in hit.items() if v is not None}


def _message_context(base: Any, message: dict[str, Any]) -> Any:
    """Per message: the end user's IP and user agent, when the server passed them."""
    context = _dict(message.get("context"))
    # replace() starts the per-request caches afresh: this message's IP is its own.
    changes: dict[str, Any] = {"origin_host": None, "dnt": False}
    agent = context.get("userAgent")
    if isinstance(agent, str) and agent:
        changes["user_agent"] = agent[:MAX_USER_AGENT]
        changes["is_bot"] = is_bot(changes["user_agent"])
    else:
        # The SDK's own user agent says nothing about a visitor.
        changes["user_agent"] = None
        changes["is_bot"] = False
    ip = context.get("ip")
    if isinstance(ip, str):
        with contextlib.suppress(ValueError):
            changes["ip"] = str(ipaddress.ip_address(ip))
    return dataclasses.replace(base, **changes)


def handle(kind: str) -> Response:
    started = time.perf_counter()
    request.max_content_length = MAX_BATCH_BYTES + 64 * 1024
    body = _body()
    tools = state()
    try:
        config = tools.accounts.by_write_key(_write_key(body))
    except SQLAlchemyError:
        registry_unavailable()
    if config is None:
        raise SegmentError(401, "unauthorized", "unknown write key")
    received_at = tools.now()
    base = request_context(request.environ, received_at)
    if kind == "batch":
        messages = body.get("batch")
        if not isinstance(messages, list):
            raise SegmentError(400, "invalid_request", "a batch needs a list under 'batch'")
        shared_context = _dict(body.get("context"))
    else:
        messages, shared_context = [body], {}
    total = Outcome()
    for index, message in enumerate(messages):
        outcome = _one(index, message, kind, body, shared_context, base, config)
        _merge(total, outcome, index)
    commit(tools.writer, total)
    status = 200
    payload: dict[str, Any] = {
        "success": True,
        "accepted": total.accepted,
        "refused": [r.as_json() for r in total.refused],
        "dropped": total.dropped,
    }
    if total.accepted == 0 and total.refused:
        status = 400
        reason = total.refused[0].reason
        payload.update(success=False, code="invalid_request", message=reason, error=reason)
        payload["status"] = status
    response = Response(json.dumps(payload), status=status, mimetype="application/json")
    metrics.LATENCY.labels("segment").observe(time.perf_counter() - started)
    return response


def _one(
    index: int,
    message: Any,
    kind: str,
    body: dict[str, Any],
    shared_context: dict[str, Any],
    base: Any,
    config: Any,
) -> Outcome:
    refused = Outcome()
    if not isinstance(message, dict):
        refused.refuse(Refusal(index, None, "an event must be a JSON object", 400, "invalid"), "-")
        return refused
    message_id = message.get("messageId")
    if len(json.dumps(message)) > MAX_EVENT_BYTES:
        reason = "the event is larger than 32 KB"
        refused.refuse(Refusal(index, message_id, reason, 400, "too_large"), config.account.slug)
        return refused
    if shared_context:
        message = {**message, "context": {**shared_context, **_dict(message.get("context"))}}
    message_kind = kind
    if kind == "batch":
        message_kind = message.get("type")
        if message_kind not in ("track", "identify", "page", "screen", "group", "alias"):
            reason = "type must be track, identify, page, screen, group or alias"
            refused.refuse(Refusal(index, message_id, reason, 400, "invalid"), config.account.slug)
            return refused
    ctx = _message_context(base, message)
    try:
        event_at = event_time(message, body.get("sentAt"), base.received_at)
    except ValueError as exc:
        refused.refuse(Refusal(index, message_id, str(exc), 400, "time"), config.account.slug)
        return refused
    hit = to_hit(message, message_kind, config.account.slug)
    hit[EVENT_AT_KEY] = event_at
    return state().processor.process(
        [hit], ctx, cookies=_NO_COOKIES, request_host=None, config=config, server_side=True
    )


def _merge(total: Outcome, part: Outcome, index: int) -> None:
    total.accepted += part.accepted
    total.dropped += part.dropped
    for refusal in part.refused:
        refusal.index = index
        total.refused.append(refusal)
    for folder, lines in part.lines.items():
        total.lines.setdefault(folder, []).extend(lines)
    total.counts.extend(part.counts)


def _route(kind: str):
    def view() -> Response:
        return handle(kind)

    view.__name__ = f"segment_{kind}"
    return view


for _kind in ("track", "identify", "page", "screen", "group", "alias", "batch"):
    bp.add_url_rule(f"/{_kind}", view_func=_route(_kind), methods=["POST"])
