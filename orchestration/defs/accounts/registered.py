"""The accounts of the control database, as the sensors and schedules read them."""

from __future__ import annotations

from touchline.control.db import session_scope
from touchline.control.registry import list_accounts
from touchline.settings import load_settings


def registered_accounts() -> list[str]:
    with session_scope(load_settings().resolved_control_db_url) as session:
        return [a.slug for a in list_accounts(session)]


def account_timezones() -> dict[str, str]:
    """Every registered account's IANA time zone."""
    with session_scope(load_settings().resolved_control_db_url) as session:
        return {a.slug: a.timezone for a in list_accounts(session)}
