"""HTTP plumbing shared by the REST connectors: one session, timeouts, the
``Retry-After`` header, and a paging loop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests

from connectors.errors import ConnectorError, RateLimited, TransientError

T = TypeVar("T")
C = TypeVar("C")

TIMEOUT = (10, 120)  # connect, read


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def raise_for_common_status(response: requests.Response, what: str) -> None:
    """429 and 5xx mean the same on every platform; the rest is the connector's."""
    if response.status_code == 429:
        raise RateLimited(
            f"{what}: rate limited (HTTP 429)",
            retry_after_seconds(response.headers.get("Retry-After")),
        )
    if response.status_code >= 500:
        raise TransientError(f"{what}: server error (HTTP {response.status_code})")


def json_body(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ConnectorError(
            f"{what}: expected JSON, got HTTP {response.status_code} "
            f"{response.headers.get('Content-Type', '')}"
        ) from None


def request(
    session: requests.Session, method: str, url: str, what: str, **kwargs: Any
) -> requests.Response:
    try:
        return session.request(method, url, timeout=TIMEOUT, **kwargs)
    except (requests.ConnectionError, requests.Timeout) as exc:
        # The exception text may hold the URL (and a key in its query): name the host only.
        host = requests.utils.urlparse(url).netloc
        raise TransientError(f"{what}: cannot reach {host} ({type(exc).__name__})") from None


def paginate(fetch_page: Callable[[C | None], tuple[list[T], C | None]]) -> Iterator[T]:
    """Every item of every page: ``fetch_page(cursor)`` returns (items, next cursor);
    the first call gets None, the loop ends when the next cursor is None."""
    cursor: C | None = None
    seen: set[Any] = set()
    while True:
        items, cursor = fetch_page(cursor)
        yield from items
        if cursor is None:
            return
        key = repr(cursor)
        if key in seen:  # a platform bug must not become an endless loop
            raise ConnectorError(f"the platform returned the same page cursor twice ({key[:40]})")
        seen.add(key)
