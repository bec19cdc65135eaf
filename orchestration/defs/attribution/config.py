"""The accounts' channel rules and attribution settings, from the control
database to the warehouse, where dbt reads them (dbt reads only the warehouse)."""

from __future__ import annotations

from orchestration.defs.attribution.tables import replace_rows
from touchline.control.channel_rules import (
    AttributionSettings,
    Rule,
    attribution_settings,
    rules_by_account,
)
from touchline.control.db import session_scope
from touchline.tables import ACCOUNT_ATTRIBUTION_SETTINGS, ACCOUNT_CHANNEL_RULES
from touchline.warehouse import Warehouse


def read_config(
    control_url: str, accounts: list[str]
) -> tuple[dict[str, list[Rule]], dict[str, AttributionSettings]]:
    with session_scope(control_url) as session:
        return rules_by_account(session, accounts), attribution_settings(session, accounts)


def export_config(
    warehouse: Warehouse,
    accounts: list[str],
    rules: dict[str, list[Rule]],
    settings: dict[str, AttributionSettings],
) -> tuple[int, int]:
    """Replace the accounts' rows of account_channel_rules and
    account_attribution_settings; (conditions written, settings written)."""
    marks = ", ".join("?" for _ in accounts)
    condition_rows = [
        (account, rule.position, index + 1, c.field, c.operator, c.value, rule.channel)
        for account in accounts
        for rule in rules.get(account, [])
        for index, c in enumerate(rule.conditions)
    ]
    conditions = replace_rows(
        warehouse, ACCOUNT_CHANNEL_RULES, condition_rows, f"account IN ({marks})", accounts
    )
    setting_rows = [
        (s.account, s.timezone, s.currency, s.lookback_days, s.fit_days, s.view_through_hours)
        for s in (settings[a] for a in accounts if a in settings)
    ]
    written = replace_rows(
        warehouse, ACCOUNT_ATTRIBUTION_SETTINGS, setting_rows, f"account IN ({marks})", accounts
    )
    return conditions, written
