"""API-key authentication: every report request is scoped to the key's account.

The key comes from ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.
Missing and invalid keys both get 401; the message never says whether a key
or an account exists.
"""

from __future__ import annotations

import logging

from flask import Request
from sqlalchemy.exc import SQLAlchemyError

from touchline.control.db import session_scope
from touchline.control.registry import AccountInfo, authenticate_api_key
from touchline.web_errors import JsonError

log = logging.getLogger(__name__)

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="touchline"'}


def presented_key(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    key = request.headers.get("X-API-Key", "").strip()
    return key or None


def authenticate(request: Request, control_db_url: str) -> AccountInfo:
    key = presented_key(request)
    if key is None:
        raise JsonError(
            401,
            "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            CHALLENGE,
        )
    try:
        with session_scope(control_db_url) as session:
            account = authenticate_api_key(session, key)
    except SQLAlchemyError:
        log.exception("control database unavailable during authentication")
        raise JsonError(503, "the account registry is unavailable; please retry") from None
    if account is None:
        raise JsonError(401, "invalid or revoked API key", CHALLENGE)
    return account


def check_account(requested: str | None, account: AccountInfo) -> None:
    """``?account=`` may only name the key's own account.

    The answer is the same whether or not the named account exists.
    """
    if requested is not None and requested != account.slug:
        raise JsonError(403, f"this API key cannot read account {requested!r}")
