"""An account's report-API keys as its admins see them: listed (never the key
itself, which only exists at creation), created and revoked by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchline.control import registry
from touchline.control.models import Account, ApiKey, utcnow
from touchline.control.users import NotFound


@dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _info(key: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


def keys_of(session: Session, account_slug: str) -> list[KeyInfo]:
    rows = session.scalars(
        select(ApiKey).join(Account).where(Account.slug == account_slug).order_by(ApiKey.id)
    )
    return [_info(k) for k in rows]


def create(session: Session, account_slug: str, name: str) -> tuple[str, KeyInfo]:
    """(the key, shown once; its description)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise registry.RegistryError("a key's name is 1-200 characters")
    new = registry.create_api_key(session, account_slug, name)
    key = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == registry.hash_api_key(new.plaintext))
    )
    return new.plaintext, _info(key)


def revoke(session: Session, account_slug: str, key_id: int) -> KeyInfo:
    key = session.scalar(
        select(ApiKey)
        .join(Account)
        .where(ApiKey.id == key_id, Account.slug == account_slug, ApiKey.revoked_at.is_(None))
    )
    if key is None:
        raise NotFound(f"no live API key {key_id} on {account_slug}")
    key.revoked_at = utcnow()
    session.flush()
    return _info(key)
