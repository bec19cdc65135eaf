"""Marts built by a real pipeline run, for reconciling the report API with the
warehouse (tests/api/test_report_reconciliation.py).

Two accounts, each with a week of simulated visits and sales sent to the real
collector over HTTP, and connected to the ad-platform fakes (the connectors
pull spend over HTTP and gRPC in the run, as ``touchline demo`` does); then one
``touchline materialize`` per account, in its own process (the Dagster
definitions pin one dbt target per process), whose last step publishes the
serving copy on DuckDB. Built once per dialect for the whole module.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

from demo.fakes.connect import connect_demo_account
from demo.fakes.server import FakePlatforms
from demo.simulator import simulate
from demo.walkthrough import send_hits
from tests.api.report_data import app_for
from tests.support.collector import landed_lines
from tests.support.processes import run_touchline
from tests.support.servers import served
from touchline.control import connections as store
from touchline.control import registry
from touchline.control.db import migrate, session_scope
from touchline.platforms import PLATFORMS
from touchline.settings import Settings, load_settings
from touchline.warehouse import parse_warehouse_url

ACME, RIVAL = "acme", "rival"
DAYS = 8  # always across a week boundary
ACME_WEEK_START = 6  # Sunday: the week grain must follow the account, not ISO weeks
BOT_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@dataclass
class Built:
    dialect: str
    warehouse_url: str
    api_url: str
    keys: dict[str, str]
    days: list[date]
    landed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _environment(data_dir: Path, warehouse_url: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("TOUCHLINE_") and not k.startswith("TOUCHLINE_TEST_"))
        and not k.startswith("DBT_ENV_SECRET_")
        and k != "DAGSTER_HOME"
    }
    env["TOUCHLINE_DATA_DIR"] = str(data_dir)
    env["TOUCHLINE_SETTINGS_FILE"] = str(data_dir / "none.env")
    env["TOUCHLINE_SECRET_KEY"] = "test-secret-" + uuid.uuid4().hex
    if warehouse_url:
        env["TOUCHLINE_WAREHOUSE_URL"] = warehouse_url
    return env


def _settings(env: dict[str, str]) -> Settings:
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return load_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _connect_rival(settings: Settings, fakes: FakePlatforms) -> None:
    """The rival's own ad accounts: other ids, so other spend, on two platforms."""
    with session_scope(settings.resolved_control_db_url) as session:
        for platform, external, names in (
            ("google_ads", "5100001", ["brand_search", "rival_only_search"]),
            ("meta", "5100002", ["autumn_sale"]),
        ):
            secrets = fakes.add_account(platform, external, currency="EUR", campaign_names=names)
            store.add_connection(
                session,
                settings.secret_key.get_secret_value(),
                RIVAL,
                platform,
                external,
                secrets,
                {**fakes.connection_settings(platform), "customer_id": "1"},
            )


def _extra_hits(sim_hits: list[dict[str, Any]], fakes: FakePlatforms, days: list[date]) -> list:
    """What the simulator does not make: a reloaded thank-you page (the same order
    again the same day, and again the next day), a bot's sale, ad clicks whose
    gclid the Google Ads click view names, and hits that fail validation."""
    sales = [h for h in sim_hits if h["type"] == "sale"]
    extra: list[dict[str, Any]] = []
    for sale, later in ((sales[0], timedelta(minutes=3)), (sales[1], timedelta(days=1))):
        at = datetime.fromisoformat(sale["client_ts"]) + later
        if at.date() > days[-1]:
            at = datetime.fromisoformat(sale["client_ts"]) + timedelta(minutes=2)
        extra.append({**sale, "hit_id": str(uuid.uuid4()), "client_ts": at.isoformat()})
    bot = dict(sales[2])
    bot.update(
        hit_id=str(uuid.uuid4()),
        visitor_id="v-crawler",
        session_id="crawler",
        order_id="o-bot-order",
        _user_agent=BOT_AGENT,
    )
    extra.append(bot)
    # connect_demo_account's ad account ids: 4000000 + the platform's place, from 1
    google = fakes.state.account("google_ads", str(4000001 + PLATFORMS.index("google_ads")))
    assert google is not None
    template = next(h for h in sim_hits if h["type"] == "pageview")
    for n, day in enumerate(days[1:4]):
        gclid, _campaign = fakes.state.gclids(google, day)[0]
        at = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(
            hours=13, minutes=n
        )
        visitor = f"v-clicker-{n}"
        extra.append(
            {
                **template,
                "hit_id": str(uuid.uuid4()),
                "visitor_id": visitor,
                "session_id": f"clicker-{n}",
                "client_ts": at.isoformat(),
                "url": f"https://shop.example.com/?gclid={gclid}",
                "referrer": "https://www.google.com/",
                "gclid": gclid,
                "utm_source": None,
                "utm_medium": None,
                "utm_campaign": None,
            }
        )
        extra.append(
            {
                **sales[0],
                "hit_id": str(uuid.uuid4()),
                "visitor_id": visitor,
                "session_id": f"clicker-{n}",
                "client_ts": (at + timedelta(minutes=4)).isoformat(),
                "order_id": f"o-click-{n}",
                "revenue": 40.5 + n,
            }
        )
    # A URL only the fallback schema takes: landed without it, next to a
    # validation_failure record (fct_validation_failures), from a person and a bot.
    for n, agent in enumerate((template["_user_agent"], BOT_AGENT)):
        extra.append(
            {
                **template,
                "hit_id": str(uuid.uuid4()),
                "visitor_id": f"v-broken-{n}",
                "session_id": f"broken-{n}",
                "url": "https://[shop.example.com/p",
                "_user_agent": agent,
            }
        )
    return [{k: v for k, v in h.items() if v is not None} for h in extra]


def _cli(env: dict[str, str], *args: str) -> None:
    result = run_touchline(env, *args)
    assert result.returncode == 0, (
        f"touchline {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )


@contextlib.contextmanager
def build(data_dir: Path, warehouse_url: str | None) -> Iterator[Built]:
    """Two accounts' week through the real pipeline; yields them served by the API."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = _environment(data_dir, warehouse_url)
    settings = _settings(env)
    migrate(settings.resolved_control_db_url)
    keys, tokens = {}, {}
    with session_scope(settings.resolved_control_db_url) as session:
        for slug in (ACME, RIVAL):
            account = registry.create_account(
                session, slug, slug.title(), "UTC", "EUR", ["shop.example.com"]
            )
            tokens[slug] = account.tracking_token
            keys[slug] = registry.create_api_key(session, slug, "reconcile").plaintext
        registry.update_profile(session, ACME, week_start=ACME_WEEK_START)

    end = datetime.now(timezone.utc).date() - timedelta(days=1)
    days = [end - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    with FakePlatforms() as fakes:
        connect_demo_account(settings, ACME, days, fakes)
        _connect_rival(settings, fakes)
        acme = simulate(tokens[ACME], end, days=DAYS, target_hits=360, seed=5)
        rival = simulate(tokens[RIVAL], end, days=DAYS, target_hits=160, seed=6)
        hits = acme.hits + _extra_hits(acme.hits, fakes, days) + rival.hits

        from collector.app import create_app as collector_app

        with served(collector_app(settings)) as collector, tqdm(disable=True) as bar:
            assert send_hits(collector, hits, bar) == 0
        # Through today: a validation failure is dated when it reached the collector
        # (and today's spend has no fx rate yet: spend_rows_without_rate).
        today = str(end + timedelta(days=1))
        for slug in (ACME, RIVAL):
            _cli(env, "materialize", slug, "--start", str(days[0]), "--end", today)

    url = settings.resolved_warehouse_url
    landing = Path(settings.resolved_landing_root)
    built = Built(
        dialect=parse_warehouse_url(url).dialect,
        warehouse_url=url,
        api_url="",
        keys=keys,
        days=days,
        landed={slug: landed_lines(landing / slug) for slug in (ACME, RIVAL)},
    )
    with served(app_for(settings)) as api_url:
        built.api_url = api_url
        yield built
