"""Point a demo account at the local fakes, so ``touchline demo`` shows spend
per platform and campaign without any real ad account.

    fakes = connect_demo_account(settings, "demo", days)
    try:
        ... materialise the account's days through Dagster ...
    finally:
        fakes.stop()

The fakes must keep running while Dagster materialises (they live in this
process; ``execute_in_process`` runs there too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from demo.fakes.server import FakePlatforms
from touchline import fx
from touchline.control import connections as store
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.platforms import PLATFORMS
from touchline.settings import Settings
from touchline.warehouse import Warehouse

# Campaign names the simulator also puts in utm_campaign, so spend joins visits.
DEMO_CAMPAIGNS: dict[str, list[str]] = {
    "google_ads": ["brand_search", "generic_search", "shopping"],
    "microsoft_ads": ["brand_search", "generic_search"],
    "meta": ["autumn_sale", "prospecting", "retargeting_social"],
    "klaviyo": ["weekly", "welcome_flow"],
    "tiktok": ["autumn_sale_tt", "creators"],
    "pinterest": ["autumn_inspiration"],
}
# One platform bills in another currency, to show the conversion.
DEMO_FOREIGN = {"meta": "USD"}
DEMO_RATES = {"USD": Decimal("0.92"), "GBP": Decimal("1.15")}  # in EUR


def connect_demo_account(
    settings: Settings,
    account: str,
    days: Sequence[date],
    fakes: FakePlatforms | None = None,
) -> FakePlatforms:
    """Start the fakes (unless given), connect ``account`` to every platform
    (replacing earlier demo connections) and load fx rates for ``days``. A
    platform without demo campaigns of its own gets one named after it."""
    fakes = fakes or FakePlatforms().start()
    with session_scope(settings.resolved_control_db_url) as session:
        currency = registry.get_account(session, account).currency
        for index, platform in enumerate(PLATFORMS, start=1):
            names = DEMO_CAMPAIGNS.get(platform, [f"{platform}_prospecting"])
            external = f"{4000000 + index}"
            secrets = fakes.add_account(
                platform,
                external,
                currency=DEMO_FOREIGN.get(platform, currency),
                campaign_names=names,
            )
            store.add_connection(
                session,
                settings.secret_key.get_secret_value(),
                account,
                platform,
                external,
                secrets,
                {**fakes.connection_settings(platform), "customer_id": "1"},
                replace=True,
            )
    reference = {"EUR": Decimal(1), **DEMO_RATES}
    if currency not in reference:
        reference[currency] = Decimal(1)
    rates = [fx.Rate(day, code, rate) for day in days for code, rate in reference.items()]
    fx.load_rates(Warehouse(settings.resolved_warehouse_url), rates)
    return fakes
