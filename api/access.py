"""Authentication of every request, and the one way a view reaches an account.

:func:`install` puts a ``before_request`` on the app that, for every endpoint
outside :data:`PUBLIC_ENDPOINTS`, finds who is calling (a login session cookie,
or an API key in ``Authorization: Bearer`` / ``X-API-Key``), puts the
:class:`Principal` on ``flask.g.principal`` and refuses a cookie-authenticated
state-changing request without the session's CSRF token. No credentials: 401,
before any view runs, so no view can forget it.

Views then call :func:`account_for` with the slug they were asked about: it is
the only place that turns a slug into an account, and it answers the same 404
for an account that does not exist and one the caller has no role on.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import Flask, current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from touchline.control import audit, logins
from touchline.control.db import session_scope
from touchline.control.models import ApiKey, utcnow
from touchline.control.registry import (
    API_KEY_PREFIX,
    AccountInfo,
    RegistryError,
    get_account,
    hash_api_key,
)
from touchline.control.users import Role
from touchline.settings import Settings
from touchline.web_errors import JsonError

__all__ = [
    "PUBLIC_ENDPOINTS",
    "Principal",
    "Role",
    "account_for",
    "actor",
    "control",
    "control_db_url",
    "install",
    "principal",
    "record",
    "record_change",
]

log = logging.getLogger(__name__)

EXTENSION = "touchline.access"
COOKIE = "touchline_session"
CSRF_HEADER = "X-CSRF-Token"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="touchline"'}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# Endpoints anyone may call. Credentials, if sent, are still read (the OAuth
# callback needs the session that started the flow; logout ends it), but their
# absence is not an error. ``static`` is Flask's own, for the dashboard's files.
PUBLIC_ENDPOINTS = frozenset(
    {
        "health.healthz",
        "auth.login",
        "auth.logout",
        "auth.accept_invite",
        "oauth.callback",
        "static",
    }
)


@dataclass(frozen=True)
class Principal:
    """Who is calling, with their role on each of their accounts."""

    kind: Literal["user", "api_key"]
    id: int
    label: str  # the user's email, or "api key <prefix>"
    roles: Mapping[str, Role]  # account slug -> role (an API key: its one account, VIEWER)


@dataclass(frozen=True)
class AccessState:
    control_db_url: str
    secret_key: bytes = field(repr=False)


def install(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = AccessState(
        control_db_url=settings.resolved_control_db_url,
        secret_key=settings.secret_key.get_secret_value().encode(),
    )
    app.before_request(_authenticate)


def _state() -> AccessState:
    return current_app.extensions[EXTENSION]


def control_db_url() -> str:
    return _state().control_db_url


# --- the before_request ------------------------------------------------------------


def _authenticate() -> None:
    public = request.endpoint in PUBLIC_ENDPOINTS
    found = _from_api_key() if _presented_key() is not None else _from_cookie()
    if found is None:
        if public:
            return
        raise JsonError(
            401,
            "authentication required: log in, or send an API key as "
            "'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            CHALLENGE,
        )
    g.principal = found
    # Login and accept-invite act on the credentials in their body, not on the
    # cookie, so a leftover cookie must not stand in their way; logout checks
    # the token itself (api.auth_routes).
    if not public and request.method not in SAFE_METHODS:
        require_csrf()


def _presented_key() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key", "").strip() or None


def _from_api_key() -> Principal:
    """A key that is presented must be valid, even on a public endpoint: a
    client with a revoked key should hear so, not be served anonymously."""
    plaintext = _presented_key() or ""
    if plaintext.startswith(API_KEY_PREFIX):
        with control() as session:
            key = session.scalar(
                select(ApiKey)
                .options(selectinload(ApiKey.account))
                .where(ApiKey.key_hash == hash_api_key(plaintext), ApiKey.revoked_at.is_(None))
            )
            if key is not None:
                now = utcnow()
                # Once a minute at most: reads should not all become writes.
                if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
                    key.last_used_at = now
                return Principal(
                    kind="api_key",
                    id=key.id,
                    label=f"api key {key.prefix}",
                    roles={key.account.slug: Role.VIEWER},
                )
    raise JsonError(401, "invalid or revoked API key", CHALLENGE)


def _from_cookie() -> Principal | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    with control() as session:
        found = logins.resolve(session, token)
    if found is None:
        return None  # expired or revoked: the same as no cookie
    g.session_token = token
    return Principal(kind="user", id=found.user_id, label=found.email, roles=found.roles)


@contextmanager
def control() -> Iterator[Session]:
    """A control-database transaction whose failure is a 503 worded for the
    client, never a trace (the details go to the log)."""
    try:
        with session_scope(_state().control_db_url) as session:
            yield session
    except SQLAlchemyError:
        log.exception("control database error")
        raise _unavailable() from None


def _unavailable() -> JsonError:
    return JsonError(503, "the account registry is unavailable; please retry")


# --- CSRF ----------------------------------------------------------------------------


def csrf_token() -> str | None:
    """The CSRF token of the request's login session (None for API keys).

    Derived from the session token with the deployment's secret, so nothing
    more is stored, and it changes with every login."""
    token = g.get("session_token")
    if token is None:
        return None
    return csrf_for(token)


def csrf_for(session_token: str) -> str:
    return hmac.new(
        _state().secret_key, b"csrf|" + session_token.encode(), hashlib.sha256
    ).hexdigest()


def require_csrf() -> None:
    expected = csrf_token()
    if expected is None:
        return  # API keys are sent deliberately by a program; a browser never adds one
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise JsonError(
            403, f"missing or wrong {CSRF_HEADER} header (its value comes with login and /me)"
        )


# --- what views use ----------------------------------------------------------------


def principal() -> Principal:
    found = g.get("principal")
    if found is None:
        raise JsonError(401, "authentication required", CHALLENGE)
    return found


def actor() -> str:
    """Who to name in the audit log."""
    return principal().label


def record(session: Session, slug: str, action: str, target: str, before: Any, after: Any) -> None:
    """An audit entry for a change the caller made to account ``slug``."""
    audit.record(
        session,
        actor=actor(),
        account_slug=slug,
        action=action,
        target=target,
        before=before,
        after=after,
    )


def record_change(
    session: Session, slug: str, action: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """An audit entry of the settings that changed between two snapshots, if any did."""
    audit.record_change(
        session,
        actor=actor(),
        account_slug=slug,
        action=action,
        target=slug,
        before=before,
        after=after,
    )


def account_for(slug: str | None, minimum: Role = Role.VIEWER) -> AccountInfo:
    """The account ``slug`` if the caller holds at least ``minimum`` on it.

    ``None`` means the caller's only account. An account the caller has no role
    on gets the same 404 as one that does not exist, so slugs cannot be probed.
    """
    who = principal()
    if slug is None:
        if len(who.roles) != 1:
            choices = ", ".join(sorted(who.roles)) or "none"
            raise JsonError(400, f"name the account (?account=...); yours: {choices}")
        slug = next(iter(who.roles))
    role = who.roles.get(slug)
    if role is None:
        raise JsonError(404, f"no account {slug!r} among yours")
    if role < minimum:
        raise JsonError(403, f"this needs the {minimum.label} role on {slug}; you are {role.label}")
    try:
        with control() as session:
            return get_account(session, slug)
    except RegistryError:
        raise JsonError(404, f"no account {slug!r} among yours") from None


def is_local_request() -> bool:
    """Plain-HTTP development: the cookie can only be ``Secure`` over HTTPS."""
    host = request.host.lower()
    if host.startswith("["):  # [::1]:8000
        host = host[1 : host.find("]")]
    elif host.count(":") == 1:  # 127.0.0.1:8000
        host = host.split(":", 1)[0]
    return host in LOCAL_HOSTS
