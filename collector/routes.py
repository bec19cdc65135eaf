"""``POST /collect``: parse → validate → account → domain → enrich → land → 204."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from collector.accounts import TokenCache
from collector.enrich import enrich
from collector.errors import HitRejected
from collector.parse import parse_body, validate_hit
from touchline.contract import land
from touchline.landing import LandingWriter

log = logging.getLogger(__name__)

bp = Blueprint("collect", __name__)

EXTENSION = "touchline.collector"


@dataclass(frozen=True)
class CollectorState:
    """What the routes share, kept on ``app.extensions`` (one per app, not global)."""

    tokens: TokenCache
    writer: LandingWriter


def state() -> CollectorState:
    return current_app.extensions[EXTENSION]


@bp.route("/collect", methods=["POST", "OPTIONS"], provide_automatic_options=False)
def collect() -> Response:
    if request.method == "OPTIONS":
        return Response(status=204)  # CORS preflight; headers added in cors.py
    tools = state()
    payload = parse_body(request.get_data(cache=False), request.args.get("token"))
    hit = validate_hit(payload)

    try:
        account = tools.tokens.lookup(hit.token)
    except SQLAlchemyError:
        log.exception("control database lookup failed")
        raise HitRejected(503, "the account registry is unavailable; please retry") from None
    if account is None:
        raise HitRejected(401, "unknown tracking token: check the token in the tag snippet")

    host = urlsplit(hit.url).hostname
    if not account.allows_host(host):
        raise HitRejected(
            403, f"this tracking token does not accept hits from {host!r}: add the domain to the "
            "account's domains"
        )

    extra = enrich(request)
    try:
        landed = land(
            hit,
            account=account.slug,
            received_at=extra.received_at,
            ip=extra.ip,
            user_agent=extra.user_agent,
            is_bot=extra.is_bot,
            dnt=extra.dnt,
        )
    except ValueError as exc:  # implausible event time; the message is written for clients
        raise HitRejected(400, f"invalid hit: {exc}") from None

    try:
        tools.writer.write([landed])
    except OSError:
        log.exception("landing write failed")
        raise HitRejected(503, "the hit could not be stored; please retry") from None
    # Answered only now: a 204 means the hit is on disk (or in the page cache).
    return Response(status=204)
