"""The audit log: who changed what on which account, when, before and after.

Every change to an account's settings, members or keys calls :func:`record` in
the session that makes the change, so the change and its entry commit (or roll
back) together. ``before``/``after`` hold plain settings; values under names
that look secret are replaced by ``"[redacted]"`` here as a last line of
defence, but callers should not pass them at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchline.control.models import AuditEntry

REDACTED = "[redacted]"
# password, password_hash, secret, client_secret, refresh_token, credentials,
# api_key, write_key, key ... (but not e.g. "keyword" or "monkey")
_SECRET_NAME = re.compile(r"password|secret|token|hash|credential|(^|_)key$", re.IGNORECASE)
MAX_PAGE = 200


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            str(k): REDACTED if _SECRET_NAME.search(str(k)) else _scrub(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def _dump(value: dict | None) -> str | None:
    if value is None:
        return None
    # default=str: dates, enums and decimals read back as their text.
    return json.dumps(_scrub(value), default=str, sort_keys=True)


def record(
    session: Session,
    *,
    actor: str,
    account_slug: str | None,
    action: str,
    target: str,
    before: dict | None,
    after: dict | None,
) -> None:
    """Add an entry to the session's transaction (flushed with it)."""
    session.add(
        AuditEntry(
            actor=actor[:254],
            account_slug=account_slug,
            action=action[:64],
            target=target[:254],
            before_json=_dump(before),
            after_json=_dump(after),
        )
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the settings that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record_change(
    session: Session,
    *,
    actor: str,
    account_slug: str,
    action: str,
    target: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """Record the settings that changed between two snapshots; nothing if none did."""
    old, new = diff(before, after)
    if new:
        record(
            session,
            actor=actor,
            account_slug=account_slug,
            action=action,
            target=target,
            before=old,
            after=new,
        )


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    account: str | None
    action: str
    target: str
    before: Any
    after: Any

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(timespec="seconds") + "Z",  # stored as naive UTC
            "actor": self.actor,
            "account": self.account,
            "action": self.action,
            "target": self.target,
            "before": self.before,
            "after": self.after,
        }


def entries(
    session: Session, account_slug: str, limit: int = 50, before_id: int | None = None
) -> list[Entry]:
    """One page of the account's entries, newest first; the next page starts
    below the last id returned (stable while new entries arrive)."""
    query = select(AuditEntry).where(AuditEntry.account_slug == account_slug)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(min(limit, MAX_PAGE)))
    return [
        Entry(
            id=r.id,
            at=r.at,
            actor=r.actor,
            account=r.account_slug,
            action=r.action,
            target=r.target,
            before=None if r.before_json is None else json.loads(r.before_json),
            after=None if r.after_json is None else json.loads(r.after_json),
        )
        for r in rows
    ]
