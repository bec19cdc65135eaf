"""Visitor and session cookies.

First-party mode (the account has a collection cookie domain and the request
came in through it, e.g. ``t.client.com`` for ``client.com``): the cookies are
set on that domain, ``SameSite=Lax``, so Safari's ITP treats them as the
site's own. Otherwise third-party mode: host-only cookies on the collector's
own domain, ``SameSite=None; Secure`` (browsers drop them otherwise).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Response

VISITOR_COOKIE = "_tl_vid"
SESSION_COOKIE = "_tl_sid"
VISITOR_MAX_AGE = 2 * 365 * 24 * 3600  # two years
SESSION_MAX_AGE = 30 * 60  # thirty minutes, renewed with every hit (sliding)


_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def _value(value: str) -> str:
    return value if _SAFE_VALUE.match(value) else quote(value[:128], safe="")


def cookie_headers(
    mode: str, domain: str | None, visitor: str, session: str | None
) -> list[tuple[str, str]]:
    """Set-Cookie written directly: werkzeug's dump_cookie (and its Expires date)
    costs more than the rest of a hit. Max-Age alone is understood by every
    browser in use."""
    if mode == "first_party":
        suffix = f"; Domain={domain}; Path=/; Secure; HttpOnly; SameSite=Lax"
    else:
        suffix = "; Path=/; Secure; HttpOnly; SameSite=None"
    headers = [
        ("Set-Cookie", f"{VISITOR_COOKIE}={_value(visitor)}; Max-Age={VISITOR_MAX_AGE}{suffix}")
    ]
    if session:
        headers.append(
            ("Set-Cookie", f"{SESSION_COOKIE}={_value(session)}; Max-Age={SESSION_MAX_AGE}{suffix}")
        )
    return headers


def set_cookies(
    response: Response, mode: str, domain: str | None, visitor: str, session: str | None
) -> None:
    response.headers.extend(cookie_headers(mode, domain, visitor, session))
