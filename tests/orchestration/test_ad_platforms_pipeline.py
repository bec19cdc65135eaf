"""Ad platform fakes → connectors → raw tables → dbt → fct_campaign_daily,
through real Dagster materialisations (DuckDB) and real dbt runs (MariaDB)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from dagster import AssetKey, DagsterEventType, instance_for_test

from connectors.platforms import CONNECTORS
from connectors.runner import pull_account
from demo.fakes.server import FakePlatforms
from demo.spend import campaign_spend, format_campaign_spend
from tests.support.landed import replace_day
from tests.support.platforms import ACCOUNT_IDS
from touchline import fx
from touchline.control import connections as store
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.dbt.invocation import DbtInvocation
from touchline.dbt.runner import run_dbt, warehouse_target
from touchline.settings import load_settings
from touchline.warehouse import Warehouse, dbt_env

DAY = date(2026, 11, 2)
DATE_2 = date(2026, 11, 3)
# Meta's ad account bills in USD, the rest in the account's EUR.
CURRENCY = {p: ("USD" if p == "meta" else "EUR") for p in CONNECTORS}
USD_IN_EUR = Decimal("0.9")


def external(platform: str, slug: str) -> str:
    return ACCOUNT_IDS[platform] + str(len(slug))


def connect_all(settings, fakes, slug: str, scenarios: dict[str, str]) -> dict[str, dict]:
    secrets_by_platform = {}
    with session_scope(settings.resolved_control_db_url) as session:
        registry.create_account(session, slug, currency="EUR")
        for platform in CONNECTORS:
            ext = external(platform, slug)
            secrets = fakes.add_account(
                platform,
                ext,
                currency=CURRENCY[platform],
                scenario=scenarios.get(platform, "ok"),
            )
            store.add_connection(
                session,
                settings.secret_key.get_secret_value(),
                slug,
                platform,
                ext,
                secrets,
                {**fakes.connection_settings(platform), "customer_id": "1"},
            )
            secrets_by_platform[platform] = secrets
    return secrets_by_platform


def load_fx(settings, tmp_path) -> None:
    path = tmp_path / "fx.csv"
    path.write_text(f"date_day,currency_code,rate\n{DAY},EUR,1\n{DAY},USD,{USD_IN_EUR}\n")
    fx.load_rates(Warehouse(settings.resolved_warehouse_url), fx.read_rates(path))


def fct_by_platform(warehouse: Warehouse, account: str) -> dict[str, dict]:
    rows = warehouse.query(
        "SELECT platform, count(*) AS n, sum(spend) AS spend, "
        "sum(spend_reporting) AS spend_reporting, min(fx_status) AS fx_status, "
        "sum(conversions_value) AS value FROM fct_campaign_daily "
        "WHERE account = ? AND date_day = ? GROUP BY platform",
        [account, DAY],
    )
    return {r["platform"]: r for r in rows}


def assert_reconciles(fakes, warehouse, account: str) -> None:
    got = fct_by_platform(warehouse, account)
    assert set(got) == set(CONNECTORS)
    for platform in CONNECTORS:
        spend, value = fakes.served_totals(platform, external(platform, account), DAY, DAY)
        row = got[platform]
        assert row["n"] == 4, platform
        assert Decimal(str(row["spend"])).quantize(Decimal("0.01")) == spend, platform
        assert Decimal(str(row["value"])).quantize(Decimal("0.01")) == value, platform
        factor = USD_IN_EUR if CURRENCY[platform] == "USD" else 1
        assert Decimal(str(row["spend_reporting"])).quantize(Decimal("0.01")) == (
            spend * factor
        ).quantize(Decimal("0.01"))
        assert row["fx_status"] == ("converted" if factor != 1 else "same_currency")


@pytest.mark.slow
def test_dagster_pulls_replaces_and_isolates_failing_accounts(
    settings, tmp_path, monkeypatch
) -> None:
    for key, value in dbt_env(warehouse_target(settings)).items():
        monkeypatch.setenv(key, value)
    from orchestration.definitions import defs
    from orchestration.defs.partitions import account_day_key
    from orchestration.local_runs import build_views

    with FakePlatforms() as fakes, instance_for_test() as instance:
        acme_secrets = connect_all(settings, fakes, "acme", {"google_ads": "expired_token"})
        broken_secrets = connect_all(settings, fakes, "broken", {"meta": "auth_failure"})
        load_fx(settings, tmp_path)
        instance.add_dynamic_partitions("account", ["acme", "broken"])
        assert build_views(instance)
        job = defs.resolve_job_def("account_day")

        def run(account: str):
            return job.execute_in_process(
                instance=instance,
                partition_key=account_day_key(account, DAY),
                raise_on_error=False,
            )

        first = run("acme")
        assert first.success
        again = run("acme")  # re-materialising replaces, never duplicates
        assert again.success
        warehouse = Warehouse(settings.resolved_warehouse_url)
        assert_reconciles(fakes, warehouse, "acme")

        # The expired Google token was refreshed and the new one stored, encrypted.
        with session_scope(settings.resolved_control_db_url) as session:
            (google,) = store.list_connections(
                session, settings.secret_key.get_secret_value(), "acme", "google_ads"
            )
            blob = session.get(store.Connection, google.id).secret_blob
        assert google.secrets["access_token"] in fakes.state.issued
        assert google.secrets["access_token"] != acme_secrets["google_ads"]["access_token"]
        assert google.secrets["access_token"] not in blob

        # Metadata per day in the UI, with spend and currency.
        record = instance.fetch_materializations(
            AssetKey("raw_meta__campaign_daily"), limit=1
        ).records[0]
        meta = record.asset_materialization.metadata
        assert record.partition_key == account_day_key("acme", DAY)
        assert meta["dagster/row_count"].value == 4
        assert meta["currency"].value == "USD"

        broken = run("broken")
        assert not broken.success
        failures = [e for e in broken.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
        assert [e.step_key for e in failures] == ["raw_meta__campaign_daily"]
        message = str(failures[0].event_specific_data.error)
        assert "meta" in message and "broken" in message
        # the other platforms of the failing account still loaded
        loaded = {e.step_key for e in broken.all_events if e.is_successful_output}
        assert "raw_google_ads__campaign_daily" in loaded

        # No secret anywhere in the runs' event logs.
        logs = json.dumps(
            [str(e) for r in (first, again, broken) for e in instance.all_logs(r.run_id)]
        )
        for secrets in (*acme_secrets.values(), *broken_secrets.values()):
            for name, value in secrets.items():
                if name != "client_id":
                    assert value not in logs, name
        assert google.secrets["access_token"] not in logs


def pageview(n: int, **fields) -> dict:
    return {
        "hit_id": f"00000000-0000-4000-8000-{n:012d}",
        "type": "pageview",
        "account": "acme",
        "event_at": f"{DAY}T10:{n:02d}:00",
        "received_at": f"{DAY}T10:{n:02d}:00",
        "visitor_id": f"visitor-{n}",
        "url": "https://shop.example.com/",
        **fields,
    }


@pytest.fixture(params=["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def warehouse_settings(request, data_dir, monkeypatch):
    if request.param == "mariadb":
        monkeypatch.setenv("TOUCHLINE_WAREHOUSE_URL", request.getfixturevalue("mariadb_url"))
    settings = load_settings()
    from touchline.control.db import migrate

    migrate(settings.resolved_control_db_url)
    return settings


def test_dbt_reconciles_spend_and_matches_paid_sessions(warehouse_settings, tmp_path) -> None:
    settings = warehouse_settings
    target = warehouse_target(settings)
    warehouse = Warehouse(settings.resolved_warehouse_url)
    with FakePlatforms() as fakes:
        connect_all(settings, fakes, "acme", {"tiktok": "expired_token"})
        load_fx(settings, tmp_path)
        for _ in range(2):  # loading twice holds each campaign-day once
            for platform in CONNECTORS:
                pull = pull_account(settings, platform, "acme", [DAY])
                assert pull.ok, pull.error
        google = fakes.state.account("google_ads", external("google_ads", "acme"))
        gclid, google_campaign = fakes.state.gclids(google, DAY)[0]
        meta = fakes.state.account("meta", external("meta", "acme")).campaigns
    hits = [
        pageview(1, gclid=gclid, utm_campaign="whatever"),
        pageview(2, fbclid="fb.1", utm_campaign=meta[1][0]),  # the campaign id
        pageview(
            3, utm_source="facebook", utm_medium="paid_social", utm_campaign=meta[2][1].upper()
        ),
        pageview(4, utm_source="google", utm_medium="cpc", utm_campaign="not_a_campaign"),
        pageview(5, utm_source="newsletter", utm_medium="email"),  # not paid
    ]
    replace_day(warehouse, tmp_path / "landing", "acme", DAY, hits)
    run_dbt(
        [
            "build",
            "--indirect-selection",
            "cautious",  # not the hits tests that need fct_channel_daily too
            "--select",
            "+fct_campaign_daily",
            "+int_paid_sessions__matched",
        ],
        DbtInvocation.for_range(target, ("acme",), DAY, DAY),
    )
    assert_reconciles(fakes, warehouse, "acme")
    assert warehouse.query("SELECT count(*) AS n FROM raw_meta__campaign_daily")[0]["n"] == 4
    currency, spend_rows = campaign_spend(warehouse, "acme", DAY, DAY)
    assert currency == "EUR" and len(spend_rows) == len(CONNECTORS) * 4
    expected = sum(
        fakes.served_totals(p, external(p, "acme"), DAY, DAY)[0]
        * (USD_IN_EUR if CURRENCY[p] == "USD" else 1)
        for p in CONNECTORS
    )
    total = sum(r.spend for r in spend_rows)
    assert total.quantize(Decimal("0.01")) == expected.quantize(Decimal("0.01"))
    assert f"{expected:,.2f} EUR" in format_campaign_spend(currency, spend_rows)
    matched = warehouse.query(
        "SELECT session_key, match_rule, platform, campaign_id FROM int_paid_sessions__matched "
        "ORDER BY match_rule"
    )
    assert [(r["match_rule"], r["platform"], r["campaign_id"]) for r in matched] == [
        ("campaign_id", "meta", meta[1][0]),
        ("campaign_name", "meta", meta[2][0]),
        ("gclid_click_view", "google_ads", google_campaign),
        ("unmatched", None, None),
    ]


@pytest.mark.parametrize("platform", sorted(CONNECTORS))
def test_each_platform_fails_only_the_revoked_account_and_reloads_without_duplicates(
    settings, platform
) -> None:
    with FakePlatforms() as fakes:
        for slug, scenario in (("good", "ok"), ("revoked", "auth_failure")):
            with session_scope(settings.resolved_control_db_url) as session:
                registry.create_account(session, slug, currency="EUR")
                ext = external(platform, slug)
                secrets = fakes.add_account(platform, ext, scenario=scenario)
                store.add_connection(
                    session,
                    settings.secret_key.get_secret_value(),
                    slug,
                    platform,
                    ext,
                    secrets,
                    {**fakes.connection_settings(platform), "customer_id": "1"},
                )
        first = pull_account(settings, platform, "good", [DAY, DATE_2])
        again = pull_account(settings, platform, "good", [DAY, DATE_2])
        revoked = pull_account(settings, platform, "revoked", [DAY])
    assert first.ok and again.ok
    assert revoked.error and revoked.permanent
    assert platform in revoked.error and "revoked" in revoked.error
    table = f"raw_{platform}__campaign_daily"
    counts = Warehouse(settings.resolved_warehouse_url).query(
        f"SELECT account, count(*) AS n FROM {table} GROUP BY account"
    )
    assert {r["account"]: r["n"] for r in counts} == {"good": 8}


def test_a_range_run_pulls_each_account_day_once_with_per_day_metadata(settings) -> None:
    """One Dagster run over one account × three days (the nightly's restatement
    window), as the partition-range tags request it."""
    from dagster import materialize

    from orchestration.defs.ad_platforms.assets import build_ad_platform_asset
    from orchestration.defs.partitions import account_day_key
    from orchestration.defs.resources import TouchlineResource

    days = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    asset = build_ad_platform_asset("pinterest")
    with FakePlatforms() as fakes, instance_for_test() as instance:
        connect_all(settings, fakes, "acme", {})
        instance.add_dynamic_partitions("account", ["acme"])
        result = materialize(
            [asset],
            instance=instance,
            resources={"touchline": TouchlineResource()},
            tags={
                "dagster/asset_partition_range_start": str(account_day_key("acme", days[0])),
                "dagster/asset_partition_range_end": str(account_day_key("acme", days[-1])),
            },
        )
        assert result.success
        analytics = [r for r in fakes.state.requests("pinterest", "analytics")]
        assert len(analytics) == 1  # the whole window in one call
        spend, _ = fakes.served_totals("pinterest", external("pinterest", "acme"), *days[::2])
        records = instance.fetch_materializations(
            AssetKey("raw_pinterest__campaign_daily"), limit=10
        ).records
    by_day = {r.partition_key: r.asset_materialization.metadata for r in records}
    assert set(by_day) == {account_day_key("acme", d) for d in days}
    assert all(m["dagster/row_count"].value == 4 for m in by_day.values())
    total = sum(Decimal(m["spend"].value.split()[0]) for m in by_day.values())
    assert total == spend
