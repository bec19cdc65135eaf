"""The account registry: accounts, their domains, tracking tokens and API keys."""

from __future__ import annotations

import hashlib
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from touchline.control.models import Account, AccountDomain, ApiKey, utcnow

# Slugs name folders, warehouse rows and Dagster partition keys ("|" separates
# the dimensions of a multi-partition key), so keep them plain.
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
API_KEY_PREFIX = "tlk_"


class RegistryError(ValueError):
    """Bad input to the registry, worded for the person who typed it."""


@dataclass(frozen=True)
class AccountInfo:
    """What other components need of an account, detached from any session."""

    id: int
    slug: str
    name: str
    timezone: str
    currency: str
    tracking_token: str
    domains: tuple[str, ...]

    @classmethod
    def of(cls, account: Account) -> AccountInfo:
        return cls(
            id=account.id,
            slug=account.slug,
            name=account.name,
            timezone=account.timezone,
            currency=account.currency,
            tracking_token=account.tracking_token,
            domains=tuple(account.domain_names),
        )

    def allows_host(self, host: str | None) -> bool:
        """True when no domains are set, or the host is one of them or a subdomain."""
        if not self.domains:
            return True
        if not host:
            return False
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.domains)


def normalise_domain(domain: str) -> str:
    value = domain.strip().lower().rstrip(".")
    value = re.sub(r"^https?://", "", value).split("/", 1)[0]
    if value.startswith("www."):
        value = value[4:]
    if not DOMAIN_RE.match(value):
        raise RegistryError(f"{domain!r} is not a domain name (expected e.g. shop.example.com)")
    return value


def validate_account_fields(slug: str, timezone: str, currency: str) -> None:
    if not SLUG_RE.match(slug):
        raise RegistryError(
            f"account slug {slug!r} must be 1-63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise RegistryError(
            f"unknown time zone {timezone!r} (expected e.g. Europe/Berlin)"
        ) from None
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RegistryError(f"currency {currency!r} must be a 3-letter ISO code such as EUR")


def create_account(
    session: Session,
    slug: str,
    name: str | None = None,
    timezone: str = "UTC",
    currency: str = "EUR",
    domains: list[str] | tuple[str, ...] = (),
) -> AccountInfo:
    currency = currency.upper()
    validate_account_fields(slug, timezone, currency)
    clean_domains = sorted({normalise_domain(d) for d in domains})
    if session.scalar(select(Account.id).where(Account.slug == slug)) is not None:
        raise RegistryError(f"an account named {slug!r} already exists")
    account = Account(
        slug=slug,
        name=name or slug,
        timezone=timezone,
        currency=currency,
        tracking_token="tl_" + secrets.token_urlsafe(18),
        domains=[AccountDomain(domain=d) for d in clean_domains],
    )
    session.add(account)
    session.flush()
    return AccountInfo.of(account)


def list_accounts(session: Session) -> list[AccountInfo]:
    rows = session.scalars(
        select(Account).options(selectinload(Account.domains)).order_by(Account.slug)
    )
    return [AccountInfo.of(a) for a in rows]


def get_account(session: Session, slug: str) -> AccountInfo:
    account = session.scalar(
        select(Account).options(selectinload(Account.domains)).where(Account.slug == slug)
    )
    if account is None:
        raise RegistryError(f"no account named {slug!r}")
    return AccountInfo.of(account)


def account_for_tracking_token(session: Session, token: str) -> AccountInfo | None:
    account = session.scalar(
        select(Account)
        .options(selectinload(Account.domains))
        .where(Account.tracking_token == token)
    )
    return AccountInfo.of(account) if account else None


def hash_api_key(plaintext: str) -> str:
    # The key is 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(plaintext.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    plaintext: str
    prefix: str
    account: str
    name: str


def create_api_key(session: Session, account_slug: str, name: str = "default") -> NewApiKey:
    account = session.scalar(select(Account).where(Account.slug == account_slug))
    if account is None:
        raise RegistryError(f"no account named {account_slug!r}")
    plaintext = API_KEY_PREFIX + secrets.token_urlsafe(32)
    prefix = plaintext[: len(API_KEY_PREFIX) + 6]
    session.add(ApiKey(account=account, name=name, prefix=prefix, key_hash=hash_api_key(plaintext)))
    session.flush()
    return NewApiKey(plaintext=plaintext, prefix=prefix, account=account.slug, name=name)


def authenticate_api_key(session: Session, plaintext: str) -> AccountInfo | None:
    """The account a live key belongs to, or None. Records when the key was last used."""
    if not plaintext.startswith(API_KEY_PREFIX):
        return None
    key = session.scalar(
        select(ApiKey)
        .options(selectinload(ApiKey.account).selectinload(Account.domains))
        .where(ApiKey.key_hash == hash_api_key(plaintext), ApiKey.revoked_at.is_(None))
    )
    if key is None:
        return None
    now: datetime = utcnow()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        key.last_used_at = now
    return AccountInfo.of(key.account)
