"""Login sessions of dashboard users, kept server-side.

The browser holds a random token in a cookie; the table holds only its SHA-256,
an expiry, and when it was revoked (logout, password change, user removed).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from touchline.control.models import User, UserSession, utcnow
from touchline.control.users import Role, hash_token, memberships_of

LIFETIME = timedelta(days=7)
# last_seen_at is for people, not for security: writing it on every request
# would turn every read into a write.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class LoggedIn:
    """Who a session token belongs to, with their roles right now."""

    session_id: int
    user_id: int
    email: str
    name: str
    roles: dict[str, Role]


def start(session: Session, user_id: int) -> tuple[str, int]:
    """A new login session: (token for the cookie, lifetime in seconds)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            user_id=user_id,
            token_hash=hash_token(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + LIFETIME,
        )
    )
    # Sessions past their expiry are useless; dropping this user's keeps the
    # table from growing with every login.
    session.execute(
        delete(UserSession).where(UserSession.user_id == user_id, UserSession.expires_at < now)
    )
    session.flush()
    return token, int(LIFETIME.total_seconds())


def resolve(session: Session, token: str) -> LoggedIn | None:
    """The live session of this token, or None (unknown, expired or revoked)."""
    now = utcnow()
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    login, user = row
    if login.revoked_at is not None or login.expires_at <= now:
        return None
    if now - login.last_seen_at > TOUCH_EVERY:
        login.last_seen_at = now
    return LoggedIn(
        session_id=login.id,
        user_id=user.id,
        email=user.email,
        name=user.name,
        roles=memberships_of(session, user.id),
    )


def end(session: Session, token: str) -> None:
    """Revoke the session of this token (logout); unknown tokens are ignored."""
    login = session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    if login is not None and login.revoked_at is None:
        login.revoked_at = utcnow()
