"""connectors.load writes the connectors' rows into the registry's tables."""

from __future__ import annotations

from dataclasses import fields

from connectors.record import CampaignDay, Click
from touchline.platforms import PLATFORMS
from touchline.tables import CLICK_VIEW, PLATFORM_TABLES, campaign_daily


def test_the_connectors_rows_are_in_the_tables_column_order() -> None:
    # connectors.load writes (account, *CampaignDay, account_currency, loaded_at)
    # and (account, *Click, loaded_at) as rows of these tables.
    rows = [f.name for f in fields(CampaignDay)]
    assert campaign_daily("x").column_names == ("account", *rows, "account_currency", "loaded_at")
    assert CLICK_VIEW.column_names == ("account", *(f.name for f in fields(Click)), "loaded_at")
    assert [t.name for t in PLATFORM_TABLES] == [f"raw_{p}__campaign_daily" for p in PLATFORMS]
