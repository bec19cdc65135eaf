"""How far back the nightly run re-pulls an account's ad platforms.

Platforms keep restating recent days (late conversions, invalid-click
refunds), so each night re-pulls a window, not just yesterday. Each connector
declares its default (``Connector.restatement_days``: Google 30, most 28,
Klaviyo 7); a connection may override it with the setting
``restatement_days`` (``touchline connections add ... --setting
restatement_days=14``). The account's window is the longest of its
connections'; an account with none needs no window.
"""

from __future__ import annotations

from datetime import date, timedelta

from touchline.control import connections as store
from touchline.control.db import session_scope
from touchline.settings import Settings


def connection_window(platform: str, settings: dict) -> int:
    override = settings.get("restatement_days")
    if override is not None:
        try:
            return max(1, int(override))
        except (TypeError, ValueError):
            pass  # a bad setting must not stop the nightly: use the platform's default
    from connectors.platforms import CONNECTORS  # its client libraries load slowly

    return CONNECTORS[platform].restatement_days


def restatement_days(settings: Settings, account: str) -> int:
    """Days (ending yesterday) the nightly run should cover for ``account``; 1 when
    the account has no ad platform connection."""
    with session_scope(settings.resolved_control_db_url) as session:
        conns = store.list_connections(session, settings.secret_key.get_secret_value(), account)
    return max((connection_window(c.platform, c.settings) for c in conns), default=1)


def restatement_range(yesterday: date, days: int) -> tuple[date, date]:
    """The inclusive day range of a ``days``-day window ending ``yesterday``."""
    return yesterday - timedelta(days=max(1, days) - 1), yesterday
