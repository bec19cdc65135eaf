"""The Segment-compatible API with the official ``segment-analytics-python`` SDK,
unchanged, pointed at a real collector; then loaded and built with dbt."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from segment.analytics.client import Client

from collector.app import create_app
from tests.support.collector import landed_lines, load_landed
from tests.support.dbt import DbtRunner
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.settings import Settings
from touchline.warehouse import Warehouse


@pytest.fixture
def segment(settings: Settings, make_account, serve):
    account, _ = make_account("acme", ("shop.example.com",))
    with session_scope(settings.resolved_control_db_url) as session:
        write_key = registry.rotate_write_key(session, "acme")

    class Target:
        url = serve(create_app(settings))
        key = write_key
        token = account.tracking_token
        root = settings.resolved_landing_root

        def post(self, path: str, body: dict, key: str | None = None, **kw) -> requests.Response:
            auth = base64.b64encode(f"{key or self.key}:".encode()).decode()
            headers = {"Authorization": f"Basic {auth}", **kw.pop("headers", {})}
            data = kw.pop("data", None) or json.dumps(body)
            return requests.post(f"{self.url}{path}", data=data, headers=headers, **kw)

    return Target()


def sdk(target, **options) -> tuple[Client, list]:
    errors: list = []
    client = Client(
        write_key=target.key,
        host=target.url,
        max_retries=0,
        on_error=lambda error, batch: errors.append((error, batch)),
        **options,
    )
    return client, errors


def test_the_official_sdk_lands_each_event_once_and_identify_merges_traits(
    segment, tmp_path: Path
) -> None:
    client, errors = sdk(segment, sync_mode=True)
    client.track("u-1", "Signed Up", {"plan": "pro", "category": "account", "value": 3})
    client.identify("u-1", {"name": "Ada", "plan": "free", "company": "Acme"})
    client.page("u-1", name="Pricing", properties={"url": "https://shop.example.com/pricing"})
    client.track(
        "u-1",
        "Order Completed",
        {
            "order_id": "o-77",
            "revenue": 120.0,
            "currency": "EUR",
            "products": [{"sku": "b-1", "name": "Boots", "price": 120.0, "quantity": 1}],
        },
    )
    # A retry of an event the API already took: the same messageId.
    retry_id = str(uuid.uuid4())
    client.track("u-1", "Clicked", {"label": "cta"}, message_id=retry_id)
    client.track("u-1", "Clicked", {"label": "cta"}, message_id=retry_id)
    assert errors == []

    # A gzip batch of several calls, flushed at once; a later identify changes
    # one trait and adds another.
    batcher, errors = sdk(segment, gzip=True, upload_size=50)
    batcher.identify("u-1", {"plan": "enterprise", "seats": 12})
    batcher.screen("u-1", name="Home")
    batcher.group("u-1", "g-9", {"industry": "retail"})
    batcher.alias("anon-5", "u-1")
    batcher.flush()
    batcher.join()
    assert errors == []

    landed = landed_lines(segment.root)
    assert [h["properties"] for h in landed if h["type"] == "validation_failure"] == []
    assert len(landed) == 10  # the retried event landed twice; the loader keeps it once
    assert {h["cookie_mode"] for h in landed} == {"none"}

    warehouse = Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    load_landed(segment.root, "acme", warehouse)
    DbtRunner(warehouse, tmp_path).build(
        "--select",
        "stg_hits__events stg_hits__identifies stg_hits__pageviews stg_hits__sales "
        "stg_hits__aliases dim_users",
        "--exclude",
        "test_type:singular",
    )
    events = warehouse.query("select category, action, event_value from stg_hits__events")
    assert sorted((e["action"], e["category"]) for e in events) == [
        ("Clicked", None),  # once: the retry had the same messageId
        ("Home", "screen"),
        ("Signed Up", "account"),
        ("g-9", "group"),
    ]
    assert [(p["page_url"], p["page_title"]) for p in warehouse.query(
        "select page_url, page_title from stg_hits__pageviews"
    )] == [("https://shop.example.com/pricing", "Pricing")]  # fmt: skip
    [sale] = warehouse.query("select order_id, revenue, currency, items_json from stg_hits__sales")
    assert (sale["order_id"], sale["revenue"], sale["currency"]) == ("o-77", 120.0, "EUR")
    assert json.loads(sale["items_json"])[0]["sku"] == "b-1"
    assert [(a["user_id"], a["previous_id"]) for a in warehouse.query(
        "select user_id, previous_id from stg_hits__aliases"
    )] == [("u-1", "anon-5")]  # fmt: skip
    [user] = warehouse.query("select user_id, traits_json, identifies from dim_users")
    assert user["identifies"] == 2
    assert json.loads(user["traits_json"]) == {
        "name": "Ada",
        "company": "Acme",
        "plan": "enterprise",
        "seats": 12,
    }


def test_write_key_auth_gzip_limits_and_per_event_errors(segment) -> None:
    message = {"type": "track", "userId": "u-2", "event": "Viewed", "messageId": "m-1"}
    # The public tracking token is not a write key.
    refused = segment.post("/v1/track", message, key=segment.token)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    # writeKey in the body works too.
    in_body = requests.post(
        f"{segment.url}/v1/track", data=json.dumps({**message, "writeKey": segment.key})
    )
    assert in_body.status_code == 200, in_body.text

    big = {"type": "track", "userId": "u-2", "event": "Huge", "properties": {"x": "y" * 33_000}}
    ok = {"type": "track", "userId": "u-2", "event": "Small", "messageId": "m-2"}
    body = gzip.compress(json.dumps({"batch": [big, ok, "nonsense"]}).encode())
    response = segment.post("/v1/batch", {}, data=body, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] == 1
    assert [(r["index"], "32 KB" in r["reason"]) for r in result["refused"]] == [
        (0, True),
        (2, False),
    ]
    too_big = {"batch": [{**ok, "properties": {"x": "y" * 30_000}} for _ in range(18)]}
    response = segment.post("/v1/batch", too_big)
    assert response.status_code == 413 and "500 KB" in response.json()["message"]
    bomb = gzip.compress(b'{"batch": [' + b" " * 5_000_000 + b"]}")
    response = segment.post("/v1/batch", {}, data=bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413
    actions = {h["properties"].get("action") for h in landed_lines(segment.root)}
    assert actions == {"Viewed", "Small"}


def test_event_time_follows_segments_clock_skew_rule(segment) -> None:
    now = datetime.now(timezone.utc)
    skewed_clock = now + timedelta(hours=5)  # the device clock is 5 h fast
    messages = [
        {   # receivedAt - (sentAt - originalTimestamp): 90 s before arrival
            "type": "track", "userId": "u", "event": "skewed", "messageId": str(uuid.uuid4()),
            "originalTimestamp": (skewed_clock - timedelta(seconds=90)).isoformat(),
            "sentAt": skewed_clock.isoformat(),
        },
        {   # an explicit timestamp from a server (history import) is kept
            "type": "track", "userId": "u", "event": "imported", "messageId": str(uuid.uuid4()),
            "timestamp": (now - timedelta(days=3)).isoformat(),
        },
        {   # nothing: the time of arrival
            "type": "track", "userId": "u", "event": "now", "messageId": str(uuid.uuid4()),
        },
        {   # garbage: refused on its own
            "type": "track", "userId": "u", "event": "bad", "timestamp": "0001-01-01T00:00:00Z",
        },
    ]  # fmt: skip
    response = segment.post("/v1/batch", {"batch": messages})
    assert response.json()["accepted"] == 3
    assert [r["index"] for r in response.json()["refused"]] == [3]
    landed = {h["properties"]["action"]: h for h in landed_lines(segment.root)}
    received = datetime.fromisoformat(landed["skewed"]["received_at"])
    skewed = datetime.fromisoformat(landed["skewed"]["event_at"])
    assert abs((received - skewed).total_seconds() - 90) < 0.01
    imported = datetime.fromisoformat(landed["imported"]["event_at"])
    assert abs((imported - (now - timedelta(days=3))).total_seconds()) < 0.01
    assert landed["now"]["event_at"] == landed["now"]["received_at"]
