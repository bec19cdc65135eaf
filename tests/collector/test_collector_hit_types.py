"""Every hit type over real HTTP, landed, loaded and read back from its staging
model by a real dbt build, on DuckDB and on MariaDB."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from collector.app import create_app
from tests.support.collector import CHROME, SITE, landed_lines, load_landed, wire_hit
from tests.support.dbt import DbtRunner
from touchline.settings import Settings
from touchline.warehouse import Warehouse

STAGING = [
    "stg_hits__pageviews",
    "stg_hits__events",
    "stg_hits__sales",
    "stg_hits__labels",
    "stg_hits__impressions",
    "stg_hits__redirects",
    "stg_hits__identifies",
    "stg_hits__aliases",
    "stg_hits__validation_failures",
    "fct_validation_failures",
    "dim_users",
]


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def test_every_hit_type_lands_and_reaches_its_staging_model(
    settings: Settings,
    make_account,
    serve,
    warehouse_url: str,
    tmp_path: Path,
) -> None:
    account, _ = make_account("acme", ("shop.example.com",))
    base = serve(create_app(settings))
    now = datetime.now(timezone.utc)
    hits = {
        "pageview": wire_hit(title="Boots"),
        "event": wire_hit("event", category="video", action="play", label="intro", value=4.5),
        "sale": wire_hit(
            "sale",
            order_id="o-1001",
            revenue=99.5,
            currency="eur",
            items=[{"sku": "b-1", "name": "Boots", "price": 89.5, "quantity": 1}],
        ),
        "label": wire_hit("label", key="plan", value="pro"),
        "impression": wire_hit("impression", campaign="autumn", creative="c-1", placement="top"),
        "identify1": wire_hit(
            "identify",
            user_id="u-1",
            traits={"name": "Ada", "plan": "free"},
            client_ts=_iso(now - timedelta(seconds=10)),
        ),
        "identify2": wire_hit(
            "identify",
            user_id="u-1",
            traits={"plan": "pro", "seats": 3},
            client_ts=_iso(now - timedelta(seconds=5)),
        ),
        "alias": wire_hit("alias", user_id="u-1", previous_id="v-1"),
        # no action: fails the full schema, lands at the fallback level
        "fallback": wire_hit("event", category="video"),
    }
    batch = {"token": account.tracking_token, "sent_at": _iso(now), "hits": list(hits.values())}
    browser = {"User-Agent": CHROME, "Origin": SITE}
    response = requests.post(f"{base}/collect", data=json.dumps(batch), headers=browser)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": len(hits), "refused": [], "dropped": 0}

    pixel = requests.get(
        f"{base}/i.gif",
        params={"token": account.tracking_token, "campaign": "retarget", "creative": "banner-2"},
        headers={"User-Agent": CHROME, "Referer": "https://news.publisher.example/story"},
    )
    assert pixel.status_code == 200 and pixel.headers["Content-Type"] == "image/gif"
    redirect = requests.get(
        f"{base}/r",
        params={"token": account.tracking_token, "to": f"{SITE}/sale", "campaign": "mail-7"},
        headers={"User-Agent": CHROME},
        allow_redirects=False,
    )
    assert redirect.status_code == 302 and redirect.headers["Location"] == f"{SITE}/sale"

    landed = landed_lines(Path(settings.resolved_landing_root))
    assert {h["contract_version"] for h in landed} == {2}
    by_type: dict[str, list[dict]] = {}
    for hit in landed:
        by_type.setdefault(hit["type"], []).append(hit)
    assert {t: len(v) for t, v in by_type.items()} == {
        "pageview": 1,
        "event": 2,
        "sale": 1,
        "label": 1,
        "impression": 2,
        "identify": 2,
        "alias": 1,
        "redirect": 1,
        "validation_failure": 1,
    }

    warehouse = Warehouse(warehouse_url)
    assert load_landed(settings.resolved_landing_root, "acme", warehouse) == len(landed)
    DbtRunner(warehouse, tmp_path).build(
        "--select", " ".join(STAGING), "--exclude", "test_type:singular"
    )

    def rows(model: str, columns: str) -> list[tuple]:
        result = warehouse.query(f"select {columns} from {model} order by hit_id")
        return [tuple(r.values()) for r in result]

    assert rows("stg_hits__pageviews", "hit_id, page_title, schema_level") == [
        (hits["pageview"]["hit_id"], "Boots", "full")
    ]
    events = {
        r["hit_id"]: r
        for r in warehouse.query(
            "select hit_id, category, action, label, event_value, schema_level "
            "from stg_hits__events"
        )
    }
    assert set(events) == {hits["event"]["hit_id"], hits["fallback"]["hit_id"]}
    played = events[hits["event"]["hit_id"]]
    assert (played["category"], played["action"], played["label"]) == ("video", "play", "intro")
    assert played["event_value"] == pytest.approx(4.5) and played["schema_level"] == "full"
    assert events[hits["fallback"]["hit_id"]]["schema_level"] == "fallback"

    [sale] = warehouse.query("select order_id, revenue, currency, items_json from stg_hits__sales")
    assert (sale["order_id"], sale["revenue"], sale["currency"]) == ("o-1001", 99.5, "EUR")
    assert json.loads(sale["items_json"]) == [
        {"sku": "b-1", "name": "Boots", "price": 89.5, "quantity": 1}
    ]
    assert rows("stg_hits__labels", "label_key, label_value") == [("plan", "pro")]
    impressions = sorted(rows("stg_hits__impressions", "campaign, creative, placement"))
    assert impressions == [("autumn", "c-1", "top"), ("retarget", "banner-2", None)]
    assert rows("stg_hits__redirects", "target_url, campaign") == [(f"{SITE}/sale", "mail-7")]
    assert rows("stg_hits__aliases", "user_id, previous_id") == [("u-1", "v-1")]
    assert len(rows("stg_hits__identifies", "hit_id")) == 2

    [failure] = warehouse.query(
        "select reason, failed_level, failed_type, browser, os, page_url "
        "from stg_hits__validation_failures"
    )
    assert "needs action" in failure["reason"] and failure["failed_level"] == "full"
    assert (failure["failed_type"], failure["browser"], failure["os"]) == (
        "event",
        "Chrome",
        "Windows",
    )
    assert failure["page_url"] == f"{SITE}/products"
    [daily] = warehouse.query(
        "select account, failure_date, failed_level, failures from fct_validation_failures"
    )
    assert (daily["account"], daily["failed_level"], daily["failures"]) == ("acme", "full", 1)

    [user] = warehouse.query("select user_id, traits_json, identifies from dim_users")
    assert user["user_id"] == "u-1" and user["identifies"] == 2
    # the later identify changed plan and added seats; name, not mentioned, stays
    assert json.loads(user["traits_json"]) == {"name": "Ada", "plan": "pro", "seats": 3}
