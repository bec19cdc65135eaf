"""Connections of an account to ad platforms, with credentials encrypted at rest.

The secret part (tokens, client secrets, API keys) is one JSON object sealed
with Fernet under a key derived from ``TOUCHLINE_SECRET_KEY``; only the
platform, the platform's account id and non-secret settings (API endpoints,
login customer id) are stored in the clear. Nothing here ever puts a secret
into an exception message or a repr.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from touchline.control.models import Account, Base, utcnow
from touchline.platforms import PLATFORMS

EXTERNAL_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
ERROR_CHARS = 500


class ConnectionsError(ValueError):
    """Bad input or an unusable connection, worded for the person who has to fix it."""


class Connection(Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("account_id", "platform", "external_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(32))
    external_account_id: Mapped[str] = mapped_column(String(64))
    settings_json: Mapped[str] = mapped_column(Text, default="{}")
    secret_blob: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_refreshed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The last pull of the ad-platform assets (revision 0006): when it ended, when
    # one last succeeded, and the first line of the last failure (never a secret).
    last_pull_at: Mapped[datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_CHARS), default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)

    def __repr__(self) -> str:  # never the blob
        return (
            f"<Connection {self.platform}:{self.external_account_id} of account {self.account_id}>"
        )


def _fernet(secret_key: str) -> Fernet:
    if not secret_key:
        raise ConnectionsError("TOUCHLINE_SECRET_KEY is empty: set it before storing credentials")
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"touchline", info=b"connection-credentials"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, secrets: dict[str, Any]) -> str:
    return _fernet(secret_key).encrypt(json.dumps(secrets, sort_keys=True).encode()).decode()


def unseal(secret_key: str, blob: str) -> dict[str, Any]:
    try:
        return json.loads(_fernet(secret_key).decrypt(blob.encode()))
    except InvalidToken:
        raise ConnectionsError(
            "stored credentials cannot be decrypted: TOUCHLINE_SECRET_KEY changed since they "
            "were saved; reconnect the account"
        ) from None


@dataclass
class ConnectionInfo:
    """A connection with its credentials decrypted. ``repr`` hides the secrets."""

    id: int
    account: str
    platform: str
    external_account_id: str
    settings: dict[str, Any]
    secrets: dict[str, Any] = field(repr=False)
    last_refreshed_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.external_account_id}"


def _info(conn: Connection, slug: str, secret_key: str) -> ConnectionInfo:
    return ConnectionInfo(
        id=conn.id,
        account=slug,
        platform=conn.platform,
        external_account_id=conn.external_account_id,
        settings=json.loads(conn.settings_json or "{}"),
        secrets=unseal(secret_key, conn.secret_blob),
        last_refreshed_at=conn.last_refreshed_at,
    )


def _account(session: Session, slug: str) -> Account:
    account = session.scalar(select(Account).where(Account.slug == slug))
    if account is None:
        raise ConnectionsError(f"no account named {slug!r}")
    return account


def validate(platform: str, external_account_id: str) -> None:
    if platform not in PLATFORMS:
        raise ConnectionsError(
            f"unknown platform {platform!r}: choose one of {', '.join(PLATFORMS)}"
        )
    if not EXTERNAL_ID_RE.match(external_account_id):
        raise ConnectionsError(
            f"platform account id {external_account_id!r} must be 1-64 letters, digits or "
            "'_.:-' (e.g. 123-456-7890 or act_1234)"
        )


def add_connection(
    session: Session,
    secret_key: str,
    account_slug: str,
    platform: str,
    external_account_id: str,
    secrets: dict[str, Any],
    settings: dict[str, Any] | None = None,
    replace: bool = False,
) -> ConnectionInfo:
    validate(platform, external_account_id)
    account = _account(session, account_slug)
    existing = session.scalar(
        select(Connection).where(
            Connection.account_id == account.id,
            Connection.platform == platform,
            Connection.external_account_id == external_account_id,
        )
    )
    if existing is not None and not replace:
        raise ConnectionsError(
            f"{account_slug} is already connected to {platform} account {external_account_id}"
        )
    conn = existing or Connection(
        account_id=account.id, platform=platform, external_account_id=external_account_id
    )
    conn.settings_json = json.dumps(settings or {}, sort_keys=True)
    conn.secret_blob = seal(secret_key, secrets)
    conn.updated_at = utcnow()
    session.add(conn)
    session.flush()
    return _info(conn, account.slug, secret_key)


def list_connections(
    session: Session, secret_key: str, account_slug: str | None = None, platform: str | None = None
) -> list[ConnectionInfo]:
    query = select(Connection, Account.slug).join(Account, Account.id == Connection.account_id)
    if account_slug is not None:
        query = query.where(Account.slug == account_slug)
    if platform is not None:
        query = query.where(Connection.platform == platform)
    query = query.order_by(Account.slug, Connection.platform, Connection.external_account_id)
    return [_info(conn, slug, secret_key) for conn, slug in session.execute(query)]


def get_connection(session: Session, secret_key: str, connection_id: int) -> ConnectionInfo:
    row = session.execute(
        select(Connection, Account.slug)
        .join(Account, Account.id == Connection.account_id)
        .where(Connection.id == connection_id)
    ).first()
    if row is None:
        raise ConnectionsError(f"no connection with id {connection_id}")
    return _info(row[0], row[1], secret_key)


def save_secrets(
    session: Session, secret_key: str, connection_id: int, secrets: dict[str, Any]
) -> None:
    """Store refreshed credentials (encrypted) in place of the old ones."""
    conn = session.get(Connection, connection_id)
    if conn is None:
        raise ConnectionsError(f"no connection with id {connection_id}")
    conn.secret_blob = seal(secret_key, secrets)
    conn.updated_at = conn.last_refreshed_at = utcnow()


def remove_connection(
    session: Session, account_slug: str, platform: str, external_account_id: str | None = None
) -> int:
    account = _account(session, account_slug)
    query = select(Connection).where(
        Connection.account_id == account.id, Connection.platform == platform
    )
    if external_account_id is not None:
        query = query.where(Connection.external_account_id == external_account_id)
    rows = list(session.scalars(query))
    for conn in rows:
        session.delete(conn)
    return len(rows)


# --- status: what a settings page shows (no secrets, no decryption) ---------------


@dataclass(frozen=True)
class ConnectionStatus:
    id: int
    account: str
    platform: str
    external_account_id: str
    created_at: datetime
    updated_at: datetime
    last_pull_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.external_account_id}"


def _status(conn: Connection, slug: str) -> ConnectionStatus:
    return ConnectionStatus(
        id=conn.id,
        account=slug,
        platform=conn.platform,
        external_account_id=conn.external_account_id,
        created_at=conn.created_at,
        updated_at=conn.updated_at,
        last_pull_at=conn.last_pull_at,
        last_success_at=conn.last_success_at,
        last_error=conn.last_error,
        last_error_at=conn.last_error_at,
    )


def connection_statuses(session: Session, account_slug: str) -> list[ConnectionStatus]:
    """The account's connections with their last pull; the secrets stay sealed."""
    account = _account(session, account_slug)
    rows = session.scalars(
        select(Connection)
        .where(Connection.account_id == account.id)
        .order_by(Connection.platform, Connection.external_account_id)
    )
    return [_status(conn, account.slug) for conn in rows]


def connection_status(session: Session, account_slug: str, connection_id: int) -> ConnectionStatus:
    account = _account(session, account_slug)
    conn = session.get(Connection, connection_id)
    if conn is None or conn.account_id != account.id:
        raise ConnectionsError(f"{account_slug} has no connection with id {connection_id}")
    return _status(conn, account.slug)


def remove_connection_by_id(session: Session, account_slug: str, connection_id: int) -> None:
    account = _account(session, account_slug)
    conn = session.get(Connection, connection_id)
    if conn is None or conn.account_id != account.id:
        raise ConnectionsError(f"{account_slug} has no connection with id {connection_id}")
    session.delete(conn)
    session.flush()


def first_line(message: str, secrets: dict[str, Any] | None = None) -> str:
    """The first line of an error, capped, with any of the connection's secret
    values blanked out: connectors never put one in a message, and this makes
    sure the settings page cannot show one even if a platform echoed it."""
    line = (message.strip().splitlines() or [""])[0]
    for value in (secrets or {}).values():
        if isinstance(value, str) and len(value) >= 6:
            line = line.replace(value, "[redacted]")
    return line[: ERROR_CHARS - 1] + "…" if len(line) > ERROR_CHARS else line


def record_pull(
    session: Session,
    connection_id: int,
    error: str | None = None,
    secrets: dict[str, Any] | None = None,
) -> None:
    """Note a finished pull of one connection: success (``error`` None) or its
    failure's first line. A connection removed meanwhile is left alone."""
    conn = session.get(Connection, connection_id)
    if conn is None:
        return
    now = utcnow()
    conn.last_pull_at = now
    if error is None:
        conn.last_success_at = now
    else:
        conn.last_error = first_line(error, secrets)
        conn.last_error_at = now
