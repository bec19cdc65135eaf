"""Throttling of failed logins, per email and per client network.

Failures are rows in the control database, so every API worker and every API
instance counts the same attempts. Only failures count; a success clears the
email's failures (not the network's: one right password must not reset an
attacker's budget for every other email).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from touchline.control.models import LoginAttempt, utcnow

WINDOW = timedelta(minutes=15)
MAX_PER_EMAIL = 5
# An office or a mobile carrier puts many people behind one address.
MAX_PER_NETWORK = 30


@dataclass(frozen=True)
class Keys:
    email: str
    network: str


def keys_for(email: str, client_ip: str | None) -> Keys:
    # Hashed: a password typed into the email field must not sit in a table.
    email_key = "email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return Keys(email=email_key, network="ip:" + _network(client_ip))


def _network(client_ip: str | None) -> str:
    """IPv4 per address; IPv6 per /64, since one host usually owns a whole /64."""
    try:
        address = ipaddress.ip_address((client_ip or "").strip())
    except ValueError:
        return "unknown"
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address.ipv4_mapped or address) if address.version == 6 else str(address)


def retry_after(session: Session, keys: Keys) -> int | None:
    """Seconds until another attempt is allowed, or None when it is allowed now."""
    now = utcnow()
    since = now - WINDOW
    waits = []
    for key, limit in ((keys.email, MAX_PER_EMAIL), (keys.network, MAX_PER_NETWORK)):
        recent = select(LoginAttempt.attempted_at).where(
            LoginAttempt.key == key, LoginAttempt.attempted_at > since
        )
        count = session.scalar(select(func.count()).select_from(recent.subquery())) or 0
        if count >= limit:
            # Allowed again once enough of the oldest failures leave the window.
            freed_at = session.scalars(
                recent.order_by(LoginAttempt.attempted_at).offset(count - limit).limit(1)
            ).one()
            waits.append(max(1, math.ceil((freed_at + WINDOW - now).total_seconds())))
    return max(waits) if waits else None


def failed(session: Session, keys: Keys) -> None:
    now = utcnow()
    session.add_all(
        [
            LoginAttempt(key=keys.email, attempted_at=now),
            LoginAttempt(key=keys.network, attempted_at=now),
        ]
    )
    # Old rows mean nothing any more.
    session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at <= now - WINDOW))


def succeeded(session: Session, keys: Keys) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == keys.email))
