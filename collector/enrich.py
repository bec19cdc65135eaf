"""What the server adds to a hit: when it arrived, from where, from what, and consent signals."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import ua_parser
from crawlerdetect import CrawlerDetect

from touchline.contract import iso_utc
from touchline.control.registry import AccountInfo, CollectionConfig

# Real browser user agents are a few hundred characters; longer ones are abuse
# and would bloat every landed line and the parse cache.
MAX_USER_AGENT = 2048

_crawlers = CrawlerDetect()


@lru_cache(maxsize=16_384)
def is_bot(user_agent: str) -> bool:
    """A crawler by CrawlerDetect's maintained list (scripts, monitors, headless
    browsers included) or by ua-parser's "Spider" device family.

    Cached per string: a site's traffic comes from a few thousand distinct
    user agents, and a cold check costs about a millisecond.
    """
    if _crawlers.isCrawler(user_agent):
        return True
    device = ua_parser.parse_device(user_agent)
    return device is not None and device.family == "Spider"


@lru_cache(maxsize=4096)
def browser_and_os(user_agent: str | None) -> tuple[str | None, str | None]:
    if not user_agent:
        return None, None
    result = ua_parser.parse(user_agent)
    browser = result.user_agent.family if result.user_agent else None
    system = result.os.family if result.os else None
    return browser, system


def warm_up() -> None:
    """Load the regexes now (~0.1 s) rather than in the first request."""
    is_bot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    browser_and_os("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")


def wants_no_tracking(environ: Mapping[str, Any]) -> bool:
    """Do Not Track or Global Privacy Control, as the browser sent them."""
    return (
        environ.get("HTTP_DNT", "").strip() == "1" or environ.get("HTTP_SEC_GPC", "").strip() == "1"
    )


@lru_cache(maxsize=4096)
def safe_host(url: str | None) -> str | None:
    """The host of a URL, or None for anything unparsable (``http://[x/``).

    Cached: a site sends the same few Origin values over and over."""
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^\]/?#]*\]|[^/?#:]*)")


def url_host(url: str) -> str | None:
    """The lower-case host of a URL already validated as http(s); regex, not urlsplit:
    this runs for every hit."""
    match = _HOST.match(url)
    return match.group(1).lower() if match and match.group(1) else None


@dataclass(frozen=True)
class RequestContext:
    """Everything about the request itself, computed once for all its hits."""

    received_at: datetime
    ip: str | None
    user_agent: str | None
    is_bot: bool
    dnt: bool
    origin_host: str | None  # from Origin, else Referer; None for server-side calls
    page: str | None  # Origin or Referer as sent, for validation-failure records
    received_iso: str = ""
    _origins: dict[int, bool] = field(default_factory=dict, init=False, compare=False, repr=False)
    _hosts: dict[tuple[int, str | None], bool] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _configs: dict[str, CollectionConfig | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _blocked: dict[int, bool] = field(default_factory=dict, init=False, compare=False, repr=False)

    def config_for(
        self, token: str, lookup: Callable[[str], CollectionConfig | None]
    ) -> CollectionConfig | None:
        """The token's settings, looked up once per request (a batch shares one
        token), so every hit of a request is judged by the same settings."""
        if token in self._configs:
            return self._configs[token]
        config = self._configs[token] = lookup(token)
        return config

    def ip_blocked(self, config: CollectionConfig) -> bool:
        """The request's IP against the account's blacklist, once per account."""
        blocked = self._blocked.get(config.account.id)
        if blocked is None:
            blocked = self._blocked[config.account.id] = config.blocks_ip(self.ip)
        return blocked

    def origin_allowed(self, account: AccountInfo) -> bool:
        """Once per account and request, not once per hit of a batch."""
        allowed = self._origins.get(account.id)
        if allowed is None:
            allowed = self._origins[account.id] = account.allows_host(self.origin_host)
        return allowed

    def host_allowed(self, account: AccountInfo, host: str | None) -> bool:
        """The page's host on the account's domains; once per host in a request
        (a batch's hits come from one site)."""
        key = (account.id, host)
        allowed = self._hosts.get(key)
        if allowed is None:
            allowed = self._hosts[key] = account.allows_host(host)
        return allowed


def request_context(environ: Mapping[str, Any], received_at: datetime) -> RequestContext:
    """From the WSGI environ (the /collect endpoint has no Flask request)."""
    user_agent = environ.get("HTTP_USER_AGENT") or None
    if user_agent is not None:
        user_agent = user_agent[:MAX_USER_AGENT]
    origin = environ.get("HTTP_ORIGIN")
    if origin in (None, "", "null"):
        origin = environ.get("HTTP_REFERER") or None
    return RequestContext(
        received_at=received_at,
        # REMOTE_ADDR already honours X-Forwarded-For when trusted_proxies > 0
        # (ProxyFix in create_app); otherwise the header is ignored, so a
        # client cannot choose the address we record.
        ip=environ.get("REMOTE_ADDR"),
        user_agent=user_agent,
        is_bot=is_bot(user_agent) if user_agent else False,
        dnt=wants_no_tracking(environ),
        origin_host=safe_host(origin),
        page=origin[:4096] if origin else None,
        received_iso=iso_utc(received_at) or "",
    )


@lru_cache(maxsize=4096)
def anonymize_ip(ip: str | None) -> str | None:
    """IPv4 without its last octet, IPv6 cut to its /48 (as GA and Matomo do)."""
    if not ip:
        return ip
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def cookieless_visitor_id(salt: str, account: str, ip: str | None, user_agent: str | None) -> str:
    """Stable for one visitor on one day, unlinkable across days once the salt is gone.

    The full IP goes into the hash even when the landed IP is anonymised:
    otherwise everyone behind one /24 with the same browser would be one visitor.
    """
    material = f"{salt}\x1f{account}\x1f{ip or ''}\x1f{user_agent or ''}".encode()
    return "cl-" + hashlib.sha256(material).hexdigest()[:32]
