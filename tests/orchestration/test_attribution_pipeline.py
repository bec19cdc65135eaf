"""Sales journeys and attribution through real Dagster range runs and real dbt,
from landed hits: a journey over several days and two devices that an email
identify joins into one person, attributed the same whichever day is
materialised first; re-materialising a day changes nothing; and the marts on
MariaDB equal DuckDB's."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance

from orchestration.local_runs import materialize_range, prepare_local
from tests.support.processes import run_touchline
from touchline.attribution import Path as AttributionPath
from touchline.attribution import attribute
from touchline.contract import LandedHit
from touchline.control import registry
from touchline.control.db import migrate, session_scope
from touchline.landing import LandingWriter
from touchline.settings import load_settings
from touchline.warehouse import Warehouse

ACCOUNT = "shop"
D1, D2, D3 = date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7)
NAMESPACE = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")


def hit(visitor: str, day: date, at: str, type: str = "pageview", **fields: Any) -> LandedHit:
    when = datetime.fromisoformat(f"{day}T{at}").replace(tzinfo=timezone.utc)
    if type == "pageview":
        fields.setdefault("url", "https://shop.example.com/")
    return LandedHit(
        hit_id=str(uuid.uuid5(NAMESPACE, f"{visitor}/{day}/{at}/{type}")),
        type=type,
        account=ACCOUNT,
        event_at=when,
        received_at=when + timedelta(milliseconds=80),
        visitor_id=visitor,
        **fields,
    )


def sale(visitor: str, day: date, at: str, order: str, revenue: float) -> LandedHit:
    return hit(
        visitor,
        day,
        at,
        type="sale",
        properties={"order_id": order, "revenue": revenue, "currency": "EUR"},
    )


def identify(visitor: str, day: date, at: str, **traits: Any) -> LandedHit:
    user = traits.pop("user_id", None)
    return hit(visitor, day, at, type="identify", user_id=user, properties={"traits": traits})


def landed_hits() -> list[LandedHit]:
    display = {"utm_source": "dv360", "utm_medium": "display", "utm_campaign": "prospecting"}
    email = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "weekly"}
    search = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "brand", "gclid": "g1"}
    return [
        # Ann: her phone on day 1 (Display), her laptop on day 2 (Email) and day 3
        # (Direct, then the sale). Only the email of her identifies joins the devices.
        hit("ann-phone", D1, "10:00:00", **display),
        identify("ann-phone", D1, "10:01:00", user_id="u-ann", email="ann@example.com"),
        hit("ann-laptop", D2, "09:00:00", **email),
        hit("ann-laptop", D3, "12:00:00"),
        identify("ann-laptop", D3, "12:04:00", email="  Ann@Example.COM "),
        sale("ann-laptop", D3, "12:10:00", "o-ann", 120.0),
        # Bob: a search ad click and a sale on day 2; the thank-you page sent the
        # order again on day 3 (one sale)
        hit("bob", D2, "15:00:00", **search),
        sale("bob", D2, "15:20:00", "o-bob", 50.0),
        sale("bob", D3, "08:00:00", "o-bob", 50.0),
        # Cleo visits from search and a referral, never buys
        hit("cleo", D1, "11:00:00", referrer="https://www.google.com/"),
        hit("cleo", D3, "16:00:00", referrer="https://blog.example.org/post"),
        # Dan buys without any visit the tag saw: Direct
        sale("dan", D3, "18:00:00", "o-dan", 30.0),
    ]


def setup_account(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    monkeypatch.setenv("TOUCHLINE_DATA_DIR", str(data_dir))
    settings = load_settings()
    migrate(settings.resolved_control_db_url)
    with session_scope(settings.resolved_control_db_url) as session:
        registry.create_account(session, ACCOUNT, "Shop", "UTC", "EUR", [])
    LandingWriter(settings.resolved_landing_root, instance="t").write(landed_hits())
    prepare_local(settings)
    return Warehouse(settings.resolved_warehouse_url)


def run(first: date, last: date) -> None:
    with DagsterInstance.get() as instance:
        result = materialize_range(ACCOUNT, first, last, instance)
    assert result.success, f"the run {first}..{last} failed"


ATTRIBUTED = (
    "SELECT sale_date, order_id, model, touch_position, channel, campaign, platform, "
    "conversion_credit, revenue_credit FROM fct_attributed_conversions "
    "ORDER BY order_id, model, touch_position"
)
SNAPSHOTS = {
    "attributed": ATTRIBUTED,
    "channel_daily": "SELECT * FROM fct_attribution_channel_daily "
    "ORDER BY date_day, channel, model",
    "paths": "SELECT * FROM fct_conversion_paths ORDER BY date_day, path_key",
    "credits": "SELECT * FROM attribution_path_credits ORDER BY period_start, model, path_key, "
    "touch_position",
    "people": "SELECT * FROM identity_map ORDER BY visitor_id",
}


def snapshot(warehouse: Warehouse) -> dict[str, list[dict]]:
    def clean(row: dict) -> dict:
        return {k: round(v, 9) if isinstance(v, float) else v for k, v in row.items()}

    return {name: [clean(r) for r in warehouse.query(sql)] for name, sql in SNAPSHOTS.items()}


def credits(warehouse: Warehouse) -> dict[tuple[str, str], list[tuple[str, float]]]:
    out: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for r in warehouse.query(ATTRIBUTED):
        out.setdefault((r["order_id"], r["model"]), []).append(
            (r["channel"], round(r["conversion_credit"], 9))
        )
    return out


def assert_attribution_is_right(warehouse: Warehouse) -> None:
    got = credits(warehouse)
    ann = "Display > Email > Direct"
    assert got[("o-ann", "first_touch")] == [("Display", 1.0), ("Email", 0.0), ("Direct", 0.0)]
    assert got[("o-ann", "last_touch")] == [("Display", 0.0), ("Email", 0.0), ("Direct", 1.0)]
    assert got[("o-ann", "last_non_direct")] == [("Display", 0.0), ("Email", 1.0), ("Direct", 0.0)]
    assert got[("o-ann", "position_based")] == [("Display", 0.4), ("Email", 0.2), ("Direct", 0.4)]
    assert [c for _, c in got[("o-ann", "linear")]] == [round(1 / 3, 9)] * 3
    # time decay: 2^(-Δt/168 h), Δt = 50 h 10 min, 27 h 10 min and 10 min
    weights = [2 ** (-h / 168) for h in (50 + 1 / 6, 27 + 1 / 6, 1 / 6)]
    assert [c for _, c in got[("o-ann", "time_decay")]] == [
        round(w / sum(weights), 9) for w in weights
    ]
    # ... all as the library computes them on the same journey
    hours = (50 + 1 / 6, 27 + 1 / 6, 1 / 6)
    journey = [AttributionPath(tuple(ann.split(" > ")), 1, 120.0, hours_before_end=hours)]
    for model in ("first_touch", "last_touch", "last_non_direct", "linear", "position_based"):
        library = attribute(journey, model).shares[0]
        assert [c for _, c in got[("o-ann", model)]] == [round(float(x), 9) for x in library]
    library = attribute(journey, "time_decay").shares[0]
    assert [c for _, c in got[("o-ann", "time_decay")]] == [round(float(x), 9) for x in library]
    assert got[("o-bob", "markov")] == [("Paid Search", 1.0)]
    assert got[("o-dan", "linear")] == [("Direct", 1.0)]

    # The data-driven credits are the library's, fitted on October's paths
    # (Cleo's two touches are a non-converting journey).
    october = [
        AttributionPath(tuple(ann.split(" > ")), 1, 120.0),
        AttributionPath(("Paid Search",), 1, 50.0),
        AttributionPath(("Direct",), 1, 30.0),
        AttributionPath(("Organic Search", "Referral"), nulls=1),
    ]
    for model in ("markov", "shapley"):
        expected = attribute(october, model).shares[0, :3]
        assert [c for _, c in got[("o-ann", model)]] == [round(float(s), 9) for s in expected]

    people = {r["visitor_id"]: r["person_id"] for r in warehouse.query(SNAPSHOTS["people"])}
    assert people["ann-phone"] == people["ann-laptop"]
    assert "bob" not in people  # never identified: a person of its own
    sales = warehouse.query(
        "SELECT order_id, count(DISTINCT sale_key) AS n, max(revenue_reporting) AS revenue "
        "FROM int_sale_journeys GROUP BY order_id ORDER BY order_id"
    )
    assert [(s["order_id"], s["n"], float(s["revenue"])) for s in sales] == [
        ("o-ann", 1, 120.0),
        ("o-bob", 1, 50.0),
        ("o-dan", 1, 30.0),
    ]
    by_day = warehouse.query(
        "SELECT date_day, sum(conversions) AS conversions, sum(revenue) AS revenue "
        "FROM fct_attribution_channel_daily WHERE model = 'markov' GROUP BY date_day "
        "ORDER BY date_day"
    )
    assert [
        (r["date_day"], round(r["conversions"], 9), round(r["revenue"], 6)) for r in by_day
    ] == [
        (D2, 1.0, 50.0),
        (D3, 2.0, 150.0),
    ]


@pytest.mark.slow
def test_journeys_across_days_and_devices_are_attributed_the_same_in_any_order(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Day 3 first (the sale before the touches that led to it), then days 1-2.
    late = setup_account(data_dir / "late", monkeypatch)
    run(D3, D3)
    run(D1, D2)
    late_rows = snapshot(late)

    # The same hits in one range run, in another deployment: the same rows.
    in_order = setup_account(data_dir / "in-order", monkeypatch)
    run(D1, D3)
    assert snapshot(in_order) == late_rows

    # Re-materialising a day leaves identical rows.
    run(D2, D2)
    assert snapshot(in_order) == late_rows

    assert_attribution_is_right(in_order)


@pytest.mark.slow
@pytest.mark.mariadb
def test_the_same_attribution_on_mariadb(data_dir: Path, mariadb_url: str) -> None:
    env = {
        **os.environ,
        "TOUCHLINE_DATA_DIR": str(data_dir),
        "TOUCHLINE_WAREHOUSE_URL": mariadb_url,
    }
    for name in [n for n in env if n.startswith(("TOUCHLINE_DBT_", "DBT_ENV_SECRET_"))]:
        env.pop(name)
    assert run_touchline(env, "accounts", "add", ACCOUNT, "--currency", "EUR").returncode == 0
    LandingWriter(str(data_dir / "landing"), instance="t").write(landed_hits())
    result = run_touchline(env, "materialize", ACCOUNT, "--start", str(D1), "--end", str(D3))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert_attribution_is_right(Warehouse(mariadb_url))
