"""``GET /i.gif`` (impression pixel for ad servers) and ``GET /r`` (click redirect).

Both take the account's tracking token and the campaign fields from the query
string, land a hit (impression / redirect) and answer as the browser expects:
a 1x1 GIF, or a 302. The redirect goes **only** to an http(s) URL on one of
the account's domains; anything else is refused with 400, so the endpoint is
never an open redirect (an account without domains cannot redirect at all).
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, Response, request

from collector import metrics
from collector.cookies import SESSION_COOKIE, VISITOR_COOKIE
from collector.intake import outcome_response, run, state
from collector.processor import Cookies
from touchline.contract import CLICK_ID_FIELDS, UTM_FIELDS
from touchline.web_errors import JsonError

bp = Blueprint("pixel", __name__)

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_PASSED = ("campaign", "creative", "placement", "visitor_id", "session_id", "url", "referrer")
MAX_QUERY_VALUE = 4096


def _query_hit(hit_type: str) -> dict[str, Any]:
    args = request.args
    for name, value in args.items():
        if len(value) > MAX_QUERY_VALUE:
            raise JsonError(400, f"query parameter {name[:64]!r} is longer than {MAX_QUERY_VALUE}")
    hit: dict[str, Any] = {"type": hit_type, "hit_id": args.get("hit_id") or str(uuid.uuid4())}
    if "token" in args:
        hit["token"] = args["token"]
    for name in (*_PASSED, *UTM_FIELDS, *CLICK_ID_FIELDS):
        if args.get(name):
            hit[name] = args[name]
    if "visitor_id" not in hit:
        cookie = Cookies.read(request.cookies, VISITOR_COOKIE, SESSION_COOKIE)
        hit["visitor_id"] = cookie.visitor or f"tl.{uuid.uuid4().hex}"
    return hit


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store, max-age=0"
    return response


@bp.get("/i.gif")
def impression() -> Response:
    started = time.perf_counter()
    hit = _query_hit("impression")
    # The pixel sits in an ad on someone else's page: that page is the referrer,
    # and neither it nor the missing Origin says anything about the account.
    referrer = request.headers.get("Referer", "")
    if "referrer" not in hit and referrer and len(referrer) <= MAX_QUERY_VALUE:
        hit["referrer"] = referrer
    outcome = run([hit], check_origin=False)
    if outcome.accepted == 0 and outcome.refused:
        return _no_store(outcome_response(outcome, single=True))
    response = outcome_response(outcome, single=True)
    response.set_data(GIF)
    response.mimetype = "image/gif"
    metrics.LATENCY.labels("pixel").observe(time.perf_counter() - started)
    return _no_store(response)


def safe_target(target: str, allowed: Any) -> str | None:
    """The redirect target, re-serialised, when it is an http(s) URL on an allowed
    domain; None otherwise. Backslashes, control characters, user info and
    scheme-relative URLs are refused: browsers read those differently from us."""
    if not target or len(target) > MAX_QUERY_VALUE:
        return None
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 0x20 for ch in target):
        return None
    try:
        parts = urlsplit(target)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    if not allowed.domains or not allowed.allows_host(host):
        return None
    return urlunsplit(parts)


@bp.get("/r")
def redirect() -> Response:
    started = time.perf_counter()
    target = request.args.get("to") or request.args.get("url") or ""
    token = request.args.get("token") or ""
    config = state().accounts.by_token(token) if token else None
    if config is None:
        raise JsonError(401, "unknown tracking token: check the token in the link")
    location = safe_target(target, config.account)
    if location is None:
        raise JsonError(
            400,
            "the redirect target must be an http(s) URL on one of the account's domains",
        )
    hit = _query_hit("redirect")
    hit["url"] = location
    hit["properties"] = {"target": location}
    # A link in an e-mail or an ad: its Referer is not the account's site.
    outcome = run([hit], internal_type="redirect", check_origin=False)
    if outcome.accepted == 0 and outcome.refused:
        return outcome_response(outcome, single=True)
    response = outcome_response(outcome, single=True)
    response.status_code = 302
    response.headers["Location"] = location
    response.set_data(b"")
    metrics.LATENCY.labels("redirect").observe(time.perf_counter() - started)
    return _no_store(response)
