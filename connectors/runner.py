"""Pull one platform for some Touchline accounts and days, and load the rows.

This is all the Dagster asset does, without Dagster: for each account, every
connection it has to the platform is fetched for the account's days and the
result replaces that (account, platform, range) in the warehouse. An account
without a connection is loaded as empty (which also clears rows of a removed
connection). One account's failure is recorded and the others carry on.

Each connection keeps its last pull (``touchline.control.connections.record_pull``):
when a pull that loaded its rows succeeded, or the first line of the error
that stopped it, for the settings page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import SQLAlchemyError

from connectors.errors import AuthError, ConnectorError
from connectors.load import LoadSummary, replace_clicks, replace_range
from connectors.platforms import CONNECTORS
from connectors.platforms.google_ads import GoogleAdsConnector, fetch_clicks
from connectors.record import CampaignDay, Click
from connectors.retry import RetryPolicy
from touchline.control import connections as store
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.settings import Settings
from touchline.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass
class AccountPull:
    account: str
    platform: str
    days: list[date]
    connections: list[str] = field(default_factory=list)
    summary: LoadSummary | None = None
    clicks: int | None = None  # Google Ads click_view rows (gclid → campaign)
    error: str | None = None
    permanent: bool = False  # an auth failure: retrying will not help

    @property
    def ok(self) -> bool:
        return self.error is None


def _saver(settings: Settings, connection_id: int):
    def save(secrets: dict) -> None:
        with session_scope(settings.resolved_control_db_url) as session:
            store.save_secrets(
                session, settings.secret_key.get_secret_value(), connection_id, secrets
            )

    return save


def _record_pulls(
    settings: Settings,
    conns: list[store.ConnectionInfo],
    failed: store.ConnectionInfo | None,
    error: str | None,
) -> None:
    """Note the outcome on the connections: all succeeded, or the one that failed
    (the others were not loaded, so they keep their previous state)."""
    try:
        with session_scope(settings.resolved_control_db_url) as session:
            if failed is not None:
                store.record_pull(session, failed.id, error or "failed", failed.secrets)
            elif error is None:
                for conn in conns:
                    store.record_pull(session, conn.id)
    except SQLAlchemyError:
        # The pull's own outcome stands; only the status line is missing.
        log.warning("could not record the last pull of %d connection(s)", len(conns))


def pull_account(
    settings: Settings,
    platform: str,
    account: str,
    days: list[date],
    retry: RetryPolicy | None = None,
) -> AccountPull:
    start, end = min(days), max(days)
    result = AccountPull(account, platform, days)
    secret_key = settings.secret_key.get_secret_value()
    conns: list[store.ConnectionInfo] = []
    current: store.ConnectionInfo | None = None
    failure: str | None = None
    try:
        with session_scope(settings.resolved_control_db_url) as session:
            currency = registry.get_account(session, account).currency
            conns = store.list_connections(session, secret_key, account, platform)
        rows: list[CampaignDay] = []
        clicks: list[Click] = []
        for conn in conns:
            current = conn
            result.connections.append(conn.external_account_id)
            connector = CONNECTORS[platform](
                conn.external_account_id,
                conn.secrets,
                conn.settings,
                save_secrets=_saver(settings, conn.id),
                retry=retry,
            )
            rows.extend(connector.fetch(start, end))
            if isinstance(connector, GoogleAdsConnector):
                clicks.extend(fetch_clicks(connector, start, end))
        current = None
        warehouse = Warehouse(settings.resolved_warehouse_url)
        result.summary = replace_range(warehouse, account, platform, start, end, rows, currency)
        if platform == GoogleAdsConnector.platform:
            result.clicks = replace_clicks(warehouse, account, start, end, clicks)
    except (ConnectorError, store.ConnectionsError, registry.RegistryError) as exc:
        result.error = f"{platform} for account {account}: {exc}"
        failure = str(exc)
        result.permanent = isinstance(
            exc, (AuthError, store.ConnectionsError, registry.RegistryError)
        )
        log.warning("%s", result.error)
    if conns:
        # The connection's own error (the account and platform are on the page already).
        _record_pulls(settings, conns, current, failure)
    return result
