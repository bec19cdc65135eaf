"""What the server adds to a hit: when it arrived, from where, from what, and consent signals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

import ua_parser
from flask import Request

# Real browser user agents are a few hundred characters; longer ones are abuse
# and would bloat every landed line and the parse cache.
MAX_USER_AGENT = 2048


@dataclass(frozen=True)
class Enrichment:
    received_at: datetime
    ip: str | None
    user_agent: str | None
    is_bot: bool
    dnt: bool


@lru_cache(maxsize=16_384)
def is_bot(user_agent: str) -> bool:
    """ua-parser puts crawlers, monitors and scripts in the device family "Spider".

    Cached per string: a site's traffic comes from a few thousand distinct
    user agents, and a cold parse costs about a millisecond.
    """
    device = ua_parser.parse_device(user_agent)
    return device is not None and device.family == "Spider"


def warm_up() -> None:
    """Load ua-parser's regexes now (~0.1 s) rather than in the first request;
    under gunicorn this runs before the fork, so workers share the result."""
    is_bot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")


def wants_no_tracking(request: Request) -> bool:
    """Do Not Track or Global Privacy Control, as the browser sent them."""
    headers = request.headers
    return headers.get("DNT", "").strip() == "1" or headers.get("Sec-GPC", "").strip() == "1"


def enrich(request: Request) -> Enrichment:
    user_agent = request.headers.get("User-Agent") or None
    if user_agent is not None:
        user_agent = user_agent[:MAX_USER_AGENT]
    return Enrichment(
        received_at=datetime.now(timezone.utc),
        # remote_addr already honours X-Forwarded-For when trusted_proxies > 0
        # (ProxyFix in create_app); otherwise the header is ignored, so a
        # client cannot choose the address we record.
        ip=request.remote_addr,
        user_agent=user_agent,
        is_bot=is_bot(user_agent) if user_agent else False,
        dnt=wants_no_tracking(request),
    )
