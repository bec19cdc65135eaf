"""What every collecting endpoint shares: process a request's hits, land them, answer.

The browser endpoint ``/collect`` lives in :mod:`collector.collect` (plain
WSGI); the pixel, the redirect and the Segment API are Flask views and use
:func:`run`, :func:`commit` and :func:`outcome_response` from here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from flask import Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_cookie

from collector import metrics
from collector.account_cache import AccountSettings
from collector.cookies import SESSION_COOKIE, VISITOR_COOKIE, cookie_headers
from collector.enrich import request_context
from collector.processor import NO_COOKIES, Cookies, HitProcessor, Outcome
from touchline.landing import LandingUnavailable, LandingWriter
from touchline.web_errors import JsonError

log = logging.getLogger(__name__)

EXTENSION = "touchline.collector"
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class CollectorState:
    """What the endpoints share, kept on ``app.extensions`` (one per app, not global)."""

    accounts: AccountSettings
    writer: LandingWriter
    processor: HitProcessor
    now: Callable[[], datetime]


def state() -> CollectorState:
    return current_app.extensions[EXTENSION]


def request_host(environ: Mapping[str, Any]) -> str | None:
    """The host the client addressed (``Host``), lower case, without port or brackets."""
    host = (environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").lower()
    if host.startswith("["):  # [v6]:port
        end = host.find("]")
        host = host[1:end] if end > 0 else ""
    else:
        host = host.split(":", 1)[0]
    return host or None


def read_cookies(environ: Mapping[str, Any]) -> Cookies:
    header = environ.get("HTTP_COOKIE")
    if not header:
        return NO_COOKIES
    return Cookies.read(parse_cookie(header), VISITOR_COOKIE, SESSION_COOKIE)


def process(
    tools: CollectorState,
    environ: Mapping[str, Any],
    items: list[Any],
    *,
    inherit: dict[str, Any] | None = None,
    internal_type: str | None = None,
    check_origin: bool = True,
) -> Outcome:
    """Decide about a browser request's hits (nothing written yet); raises
    JsonError 503 when the account registry cannot be read."""
    ctx = request_context(environ, tools.now())
    try:
        return tools.processor.process(
            items,
            ctx,
            cookies=read_cookies(environ),
            request_host=request_host(environ),
            inherit=inherit,
            internal_type=internal_type,
            check_origin=check_origin,
        )
    except SQLAlchemyError:
        registry_unavailable()


def run(
    items: list[Any],
    *,
    internal_type: str | None = None,
    check_origin: bool = True,
) -> Outcome:
    """For Flask views: process and land; raises JsonError 503 when nothing
    could be stored."""
    tools = state()
    outcome = process(
        tools, request.environ, items, internal_type=internal_type, check_origin=check_origin
    )
    commit(tools.writer, outcome)
    return outcome


def registry_unavailable() -> NoReturn:
    log.exception("control database lookup failed")
    raise JsonError(
        503,
        "the account registry is unavailable; please retry",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    ) from None


def commit(writer: LandingWriter, outcome: Outcome) -> None:
    """Write the outcome's lines (all or nothing), then count it."""
    if outcome.lines:
        try:
            writer.write_lines(outcome.lines)
        except LandingUnavailable:
            log.exception("landing write failed")
            raise JsonError(
                503,
                "the hits could not be stored; nothing was kept, please retry",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None
    metrics.count(outcome.counts)


# The usual answer to a single hit, serialised once.
_ONE_ACCEPTED = json.dumps({"accepted": 1, "refused": [], "dropped": 0}).encode()


def outcome_answer(outcome: Outcome, single: bool) -> tuple[int, bytes, list[tuple[str, str]]]:
    """(status, JSON body, Set-Cookie headers) of a processed request."""
    cookies = (
        cookie_headers(
            outcome.cookie_mode or "third_party",
            outcome.cookie_domain,
            outcome.cookie_visitor,
            outcome.cookie_session,
        )
        if outcome.cookie_visitor
        else []
    )
    if outcome.accepted == 1 and not outcome.refused and not outcome.dropped:
        return 200, _ONE_ACCEPTED, cookies
    body: dict[str, Any] = {
        "accepted": outcome.accepted,
        "refused": [r.as_json() for r in outcome.refused],
        "dropped": outcome.dropped,
    }
    status = 200
    if outcome.accepted == 0 and outcome.refused:
        statuses = {r.status for r in outcome.refused}
        status = statuses.pop() if len(statuses) == 1 else 400
        first = outcome.refused[0]
        body["status"] = status
        body["error"] = (
            first.reason
            if single or len(outcome.refused) == 1
            else (f"all {len(outcome.refused)} hits were refused; see refused")
        )
        if single and first.fields:
            body["fields"] = first.fields
    return status, json.dumps(body).encode(), cookies


def outcome_response(outcome: Outcome, single: bool) -> Response:
    status, body, cookies = outcome_answer(outcome, single)
    response = Response(body, status=status, mimetype="application/json")
    response.headers.extend(cookies)
    return response
