"""CORS for ``/collect``, answered only for the account's own origins.

The origin is echoed rather than ``*`` so that a tag may send credentials
(third-party cookie mode). Which account a request is for is known once its
hits are read; a preflight carries no body, so it is answered for origins of
the account named by ``?token=``, or else of any account. The other endpoints
are not called from page scripts (the pixel is an image, the redirect a link,
the Segment API a server) and send no CORS headers.
"""

from __future__ import annotations

from collections.abc import Iterable

from collector.account_cache import AccountSettings
from collector.enrich import safe_host
from touchline.control.registry import CollectionConfig

# Only a preflight reads these.
_PREFLIGHT = (
    ("Access-Control-Allow-Methods", "POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type"),
    ("Access-Control-Max-Age", "86400"),  # one preflight a day per browser
)


def origin_allowed(
    origin: str,
    configs: Iterable[CollectionConfig],
    token: str | None,
    accounts: AccountSettings,
) -> bool:
    """``configs``: the accounts the request's hits named (empty before or
    without a readable body)."""
    host = safe_host(origin)
    if not host:
        return False
    configs = list(configs)
    if configs:
        return any(c.account.allows_host(host) for c in configs)
    if token:
        config = accounts.by_token(token)
        return config is not None and config.account.allows_host(host)
    return accounts.any_account_allows(host)


def cors_headers(
    origin: str | None,
    preflight: bool,
    configs: Iterable[CollectionConfig],
    token: str | None,
    accounts: AccountSettings,
) -> list[tuple[str, str]]:
    headers = [("Vary", "Origin")]
    if origin and origin != "null":
        try:
            allowed = origin_allowed(origin, configs, token, accounts)
        except Exception:  # noqa: BLE001 - a registry outage must not hide the real answer
            allowed = False
        if not allowed:
            return headers
        headers.append(("Access-Control-Allow-Origin", origin))
        headers.append(("Access-Control-Allow-Credentials", "true"))
    elif not origin:
        headers.append(("Access-Control-Allow-Origin", "*"))
    if preflight:
        headers.extend(_PREFLIGHT)
    return headers
