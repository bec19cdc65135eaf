"""Which account a report request reads, and that account's week start."""

from __future__ import annotations

import logging

from flask import g, request
from sqlalchemy.exc import SQLAlchemyError

from api.access import Role, account_for, principal
from touchline.control.db import session_scope
from touchline.control.models import Account
from touchline.control.registry import AccountInfo

log = logging.getLogger(__name__)


def current_account() -> AccountInfo:
    """The caller's account (``?account=`` or its only one), at least viewer."""
    return account_for(request.args.get("account") or None, Role.VIEWER)


def require_caller() -> None:
    """Any authenticated caller (what it reads holds no account's data)."""
    principal()


def week_start(account: AccountInfo) -> int:
    """0 = Monday … 6 = Sunday, from the account's settings; Monday when unset."""
    cached = g.get("report_week_start")
    if cached is not None and cached[0] == account.id:
        return cached[1]
    value = getattr(account, "week_start", None)
    if value is None:
        from api.reports import state  # the control database the app was made with

        try:
            with session_scope(state().control_db_url) as session:
                row = session.get(Account, account.id)
                value = getattr(row, "week_start", None)
        except SQLAlchemyError:
            log.exception("cannot read the week start of %s", account.slug)
    value = int(value or 0) % 7
    g.report_week_start = (account.id, value)
    return value
