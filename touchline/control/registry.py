"""The account registry: accounts, their domains, tracking tokens and API keys."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from touchline.control.models import (
    Account,
    AccountDomain,
    ApiKey,
    BlacklistEntry,
    CookielessSalt,
    utcnow,
)

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


# --- collection settings ---------------------------------------------------------

WRITE_KEY_PREFIX = "tlw_"
CONSENT_DEFAULTS = ("granted", "denied")
BOT_POLICIES = ("flag", "drop")
BLACKLIST_KINDS = ("visitor_id", "ip", "cidr")


@dataclass(frozen=True)
class CollectionConfig:
    """What the collector needs to decide about one account's hits."""

    account: AccountInfo
    cookie_domain: str | None
    consent_default: str
    anonymize_ip: bool
    bot_policy: str
    blocked_visitors: frozenset[str]
    blocked_ips: frozenset[str]
    blocked_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    has_write_key: bool

    @classmethod
    def of(cls, account: Account) -> CollectionConfig:
        visitors, ips, networks = set(), set(), []
        for entry in account.blacklist:
            if entry.kind == "visitor_id":
                visitors.add(entry.value)
            elif entry.kind == "ip":
                ips.add(str(ipaddress.ip_address(entry.value)))
            else:
                networks.append(ipaddress.ip_network(entry.value, strict=False))
        return cls(
            account=AccountInfo.of(account),
            cookie_domain=account.cookie_domain,
            consent_default=account.consent_default,
            anonymize_ip=account.anonymize_ip,
            bot_policy=account.bot_policy,
            blocked_visitors=frozenset(visitors),
            blocked_ips=frozenset(ips),
            blocked_networks=tuple(networks),
            has_write_key=account.write_key_hash is not None,
        )

    def blocks_ip(self, ip: str | None) -> bool:
        if not ip or not (self.blocked_ips or self.blocked_networks):
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if str(address) in self.blocked_ips:
            return True
        return any(address in network for network in self.blocked_networks)


def _collection_query():
    return select(Account).options(selectinload(Account.domains), selectinload(Account.blacklist))


def collection_config_for_token(session: Session, token: str) -> CollectionConfig | None:
    account = session.scalar(_collection_query().where(Account.tracking_token == token))
    return CollectionConfig.of(account) if account else None


def collection_config_for_write_key(session: Session, write_key: str) -> CollectionConfig | None:
    if not write_key.startswith(WRITE_KEY_PREFIX):
        return None
    account = session.scalar(
        _collection_query().where(Account.write_key_hash == hash_api_key(write_key))
    )
    return CollectionConfig.of(account) if account else None


def all_account_domains(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(AccountDomain.domain)))


def normalise_blacklist_entry(kind: str, value: str) -> tuple[str, str]:
    """``(kind, canonical value)``; kind ``ip`` given a range becomes ``cidr``."""
    value = value.strip()
    if kind == "visitor_id":
        if not value or len(value) > 128:
            raise RegistryError("a visitor id is 1-128 characters")
        return kind, value
    if kind in ("ip", "cidr"):
        try:
            if "/" in value:
                return "cidr", str(ipaddress.ip_network(value, strict=False))
            return "ip", str(ipaddress.ip_address(value))
        except ValueError:
            raise RegistryError(
                f"{value!r} is neither an IP address nor a CIDR range (e.g. 203.0.113.0/24)"
            ) from None
    raise RegistryError(f"unknown blacklist kind {kind!r}; use one of {BLACKLIST_KINDS}")


@dataclass
class AccountUpdate:
    """Changes to an account's collection settings; None leaves a setting alone."""

    add_domains: tuple[str, ...] = ()
    remove_domains: tuple[str, ...] = ()
    cookie_domain: str | None = None  # "" clears it
    consent_default: str | None = None
    anonymize_ip: bool | None = None
    bot_policy: str | None = None
    block: tuple[tuple[str, str], ...] = ()  # (kind, value)
    unblock: tuple[tuple[str, str], ...] = ()


def update_account(session: Session, slug: str, change: AccountUpdate) -> CollectionConfig:
    account = session.scalar(_collection_query().where(Account.slug == slug))
    if account is None:
        raise RegistryError(f"no account named {slug!r}")
    if change.consent_default is not None:
        if change.consent_default not in CONSENT_DEFAULTS:
            raise RegistryError(f"consent default must be one of {', '.join(CONSENT_DEFAULTS)}")
        account.consent_default = change.consent_default
    if change.bot_policy is not None:
        if change.bot_policy not in BOT_POLICIES:
            raise RegistryError(f"bot policy must be one of {', '.join(BOT_POLICIES)}")
        account.bot_policy = change.bot_policy
    if change.anonymize_ip is not None:
        account.anonymize_ip = change.anonymize_ip
    if change.cookie_domain is not None:
        account.cookie_domain = (
            normalise_domain(change.cookie_domain) if change.cookie_domain else None
        )
    remove = {normalise_domain(d) for d in change.remove_domains}
    missing = remove - set(account.domain_names)
    if missing:
        raise RegistryError(f"{slug} has no domain {', '.join(sorted(missing))}")
    account.domains = [d for d in account.domains if d.domain not in remove]
    for domain in sorted({normalise_domain(d) for d in change.add_domains}):
        if domain not in account.domain_names:
            account.domains.append(AccountDomain(domain=domain))
    have = {(e.kind, e.value): e for e in account.blacklist}
    for kind, value in change.unblock:
        key = normalise_blacklist_entry(kind, value)
        if key not in have:
            raise RegistryError(f"{slug} has no blacklist entry {key[0]} {key[1]}")
        account.blacklist.remove(have.pop(key))
    for kind, value in change.block:
        key = normalise_blacklist_entry(kind, value)
        if key not in have:
            have[key] = BlacklistEntry(kind=key[0], value=key[1])
            account.blacklist.append(have[key])
    session.flush()
    return CollectionConfig.of(account)


def rotate_write_key(session: Session, slug: str) -> str:
    """A new server write key for the account (the old one stops working); shown once."""
    account = session.scalar(select(Account).where(Account.slug == slug))
    if account is None:
        raise RegistryError(f"no account named {slug!r}")
    plaintext = WRITE_KEY_PREFIX + secrets.token_urlsafe(32)
    account.write_key_hash = hash_api_key(plaintext)
    account.write_key_prefix = plaintext[: len(WRITE_KEY_PREFIX) + 6]
    session.flush()
    return plaintext


def revoke_api_key(session: Session, prefix: str, account_slug: str | None = None) -> NewApiKey:
    """Revoke the report-API key with this prefix (as printed at creation: ``tlk_xxxxxx``)."""
    query = select(ApiKey).options(selectinload(ApiKey.account)).where(ApiKey.prefix == prefix)
    if account_slug is not None:
        query = query.join(Account).where(Account.slug == account_slug)
    keys = list(session.scalars(query))
    if not keys:
        raise RegistryError(f"no API key starts with {prefix!r}")
    if len(keys) > 1:
        raise RegistryError(f"{len(keys)} keys start with {prefix!r}: name the account too")
    key = keys[0]
    if key.revoked_at is not None:
        raise RegistryError(f"API key {prefix}… was already revoked")
    key.revoked_at = utcnow()
    session.flush()
    return NewApiKey(plaintext="", prefix=key.prefix, account=key.account.slug, name=key.name)


def cookieless_salt(session: Session, day: date) -> str:
    """The salt of ``day`` (UTC), made on first use; older salts are deleted."""
    row = session.get(CookielessSalt, day)
    if row is not None:
        return row.salt
    session.execute(delete(CookielessSalt).where(CookielessSalt.day < day - timedelta(days=1)))
    salt = secrets.token_hex(32)
    try:
        with session.begin_nested():
            session.add(CookielessSalt(day=day, salt=salt))
    except IntegrityError:  # another collector instance made it first
        return session.get(CookielessSalt, day, populate_existing=True).salt
    return salt


# --- account settings as the settings pages show and change them ---------------------

NAME_MAX = 200


def account_settings(session: Session, slug: str) -> dict[str, object]:
    """Every setting of an account a settings page shows (no secret among them:
    the tracking token is public, it is in the site's HTML)."""
    account = session.scalar(_collection_query().where(Account.slug == slug))
    if account is None:
        raise RegistryError(f"no account named {slug!r}")
    return {
        "slug": account.slug,
        "name": account.name,
        "timezone": account.timezone,
        "currency": account.currency,
        "week_start": getattr(account, "week_start", 0),
        "domains": list(account.domain_names),
        "cookie_domain": account.cookie_domain,
        "consent_default": account.consent_default,
        "anonymize_ip": account.anonymize_ip,
        "bot_policy": account.bot_policy,
        "tracking_token": account.tracking_token,
        "has_write_key": account.write_key_hash is not None,
    }


def update_profile(
    session: Session,
    slug: str,
    *,
    name: str | None = None,
    timezone: str | None = None,
    currency: str | None = None,
    week_start: int | None = None,
) -> None:
    """Name, time zone, currency and week start, validated as ``create_account`` does."""
    account = session.scalar(select(Account).where(Account.slug == slug))
    if account is None:
        raise RegistryError(f"no account named {slug!r}")
    if name is not None:
        name = name.strip()
        if not name or len(name) > NAME_MAX:
            raise RegistryError(f"an account name is 1-{NAME_MAX} characters")
        account.name = name
    if timezone is not None or currency is not None:
        new_currency = (currency or account.currency).upper()
        validate_account_fields(account.slug, timezone or account.timezone, new_currency)
        account.timezone = timezone or account.timezone
        account.currency = new_currency
    if week_start is not None:
        if not 0 <= week_start <= 6:
            raise RegistryError("week start must be 0 (Monday) to 6 (Sunday)")
        account.week_start = week_start
    session.flush()
