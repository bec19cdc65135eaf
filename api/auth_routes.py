"""Logging in and out, accepting an invite, and ``/me``.

``POST /api/v1/auth/login``          {email, password} -> cookie + {user, accounts, csrf_token}
``POST /api/v1/auth/logout``         ends the session (needs its CSRF token)
``POST /api/v1/auth/accept-invite``  {token, password} -> cookie + {user, accounts, csrf_token}
``GET  /api/v1/me``                  {user | api_key, accounts, csrf_token}
``POST /api/v1/me/password``         {current_password, new_password}: every other session ends
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import select

from api import access
from api.access import COOKIE, Role
from api.bodies import json_body, text_field
from touchline.control import audit, logins, throttle, users
from touchline.control.models import Account
from touchline.control.users import UserInfo, UsersError
from touchline.web_errors import JsonError

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__, url_prefix="/api/v1")

# One answer whatever was wrong, so that a login form cannot tell which emails exist.
WRONG = "wrong email or password"


def _accounts(roles: Mapping[str, Role]) -> list[dict[str, str]]:
    if not roles:
        return []
    with access.control() as session:
        rows = session.execute(select(Account.slug, Account.name).where(Account.slug.in_(roles)))
        names = {slug: name for slug, name in rows}
    return [
        {"slug": slug, "name": names[slug], "role": roles[slug].label}
        for slug in sorted(roles)
        if slug in names
    ]


def _user_json(user: UserInfo) -> dict[str, object]:
    return {"id": user.id, "email": user.email, "name": user.name}


def _logged_in(user: UserInfo, status: int = 200) -> Response:
    """Start a session for ``user``: the cookie, and the body a login answers."""
    with access.control() as session:
        token, lifetime = logins.start(session, user.id)
        roles = users.memberships_of(session, user.id)
    response = jsonify(
        user=_user_json(user), accounts=_accounts(roles), csrf_token=access.csrf_for(token)
    )
    response.status_code = status
    response.set_cookie(
        COOKIE,
        token,
        max_age=lifetime,
        path="/",
        httponly=True,  # scripts never see it
        samesite="Lax",  # not sent on other sites' POSTs
        secure=not access.is_local_request(),  # plain HTTP only on this machine
    )
    return response


def _throttled(keys: throttle.Keys) -> None:
    with access.control() as session:
        wait = throttle.retry_after(session, keys)
    if wait is not None:
        raise JsonError(
            429,
            f"too many failed logins; try again in {wait} seconds",
            {"Retry-After": str(wait)},
            retry_after=wait,
        )


def _check_password(email: str, password: str) -> UserInfo:
    """The user if the password is theirs; throttled per email and client network.
    A failure is committed before the 401 is raised."""
    keys = throttle.keys_for(email, request.remote_addr)
    _throttled(keys)
    with access.control() as session:
        user = users.authenticate(session, email, password)
        if user is None:
            throttle.failed(session, keys)
        else:
            throttle.succeeded(session, keys)
    if user is None:
        log.info("failed login from %s", request.remote_addr)
        raise JsonError(401, WRONG)
    return user


@bp.post("/auth/login")
def login() -> Response:
    body = json_body()
    email = text_field(body, "email") or ""
    password = text_field(body, "password") or ""
    return _logged_in(_check_password(email, password))


@bp.post("/auth/logout")
def logout() -> Response:
    token = g.get("session_token")
    if token is not None:
        access.require_csrf()  # a cross-site page must not log people out
        with access.control() as session:
            logins.end(session, token)
    response = Response(status=204)
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="Lax", secure=not access.is_local_request()
    )
    return response


@bp.post("/auth/accept-invite")
def accept_invite() -> Response:
    body = json_body()
    token = text_field(body, "token") or ""
    password = text_field(body, "password") or ""
    try:
        with access.control() as session:
            user, invite, created = users.accept_invite(session, token, password)
            audit.record(
                session,
                actor=user.email,
                account_slug=invite.account,
                action="member.join",
                target=user.email,
                before=None,
                after={"email": user.email, "role": invite.role.label, "new_user": created},
            )
    except UsersError as exc:
        raise JsonError(400, str(exc)) from None
    return _logged_in(user, status=201)


@bp.get("/me")
def me() -> Response:
    who = access.principal()
    identity: dict[str, object]
    if who.kind == "user":
        identity = {"user": {"id": who.id, "email": who.label}}
    else:
        identity = {"api_key": {"id": who.id, "label": who.label}}
    return jsonify(**identity, accounts=_accounts(who.roles), csrf_token=access.csrf_token())


@bp.post("/me/password")
def change_password() -> Response:
    who = access.principal()
    if who.kind != "user":
        raise JsonError(403, "an API key has no password")
    body = json_body()
    current = text_field(body, "current_password") or ""
    new = text_field(body, "new_password") or ""
    try:
        _check_password(who.label, current)
    except JsonError as exc:
        if exc.status != 401:
            raise  # 429 stays a 429
        # Still logged in: a 401 would make the dashboard show its login page.
        raise JsonError(403, "the current password is wrong") from None
    try:
        with access.control() as session:
            # Every session ends, this one too: whoever else had the old
            # password is logged out; this browser gets a fresh session below.
            user = users.set_password(session, who.label, new)
            audit.record(
                session,
                actor=who.label,
                account_slug=None,
                action="user.password",
                target=who.label,
                before=None,
                after=None,
            )
    except UsersError as exc:
        raise JsonError(400, str(exc)) from None
    return _logged_in(user)
