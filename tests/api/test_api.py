"""The report API over real HTTP, reading a real DuckDB file and a real MariaDB database.

The mart ``fct_channel_daily`` is created here with plain SQL and known rows
(on DuckDB then published to the serving copy the API reads, as a build's
last step does); the test through dbt lives elsewhere.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import duckdb
import pymysql
import pytest
import requests
from sqlalchemy import update

from tests.api.report_data import app_for
from touchline.control.db import session_scope
from touchline.control.models import ApiKey
from touchline.serving import publish
from touchline.settings import Settings
from touchline.warehouse import parse_warehouse_url

# (account, date_day, channel, sessions, visitors, pageviews, sales)
ROWS: list[tuple[str, str, str, int, int, int, int]] = [
    ("acme", "2025-03-01", "Direct", 10, 8, 25, 1),
    ("acme", "2025-03-01", "Organic Search", 5, 5, 9, 1),
    ("acme", "2025-03-02", "Direct", 7, 6, 11, 1),
    ("acme", "2025-03-02", "Email", 3, 3, 4, 1),
    ("acme", "2025-03-03", "Organic Search", 4, 4, 8, 1),
    ("acme", "2025-03-04", "Paid Search", 2, 2, 2, 1),
    ("rival", "2025-03-01", "Direct", 1000, 900, 5000, 1),
    ("rival", "2025-03-02", "Paid Search", 777, 700, 999, 1),
    ("rival", "2025-03-05", "Secret Channel", 1, 1, 1, 1),
]
METRICS = ("sessions", "pageviews", "sales")
MART_COLUMNS = "account, date_day, channel, sessions, visitors, pageviews, sales"


def create_mart(url: str, rows: list[tuple[str, str, str, int, int, int, int]]) -> None:
    target = parse_warehouse_url(url)
    placeholders = ", ".join(["?"] * 7)
    if target.dialect == "duckdb":
        with duckdb.connect(str(target.path)) as conn:
            conn.execute(
                "CREATE TABLE fct_channel_daily (account VARCHAR, date_day DATE, channel VARCHAR, "
                "sessions INTEGER, visitors INTEGER, pageviews INTEGER, sales INTEGER)"
            )
            conn.executemany(f"INSERT INTO fct_channel_daily VALUES ({placeholders})", rows)
        publish(str(target.path))
        return
    conn = pymysql.connect(
        host=target.host,
        port=target.port,
        user=target.user,
        password=target.password or "",
        database=target.database,
    )
    try:
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE fct_channel_daily (account VARCHAR(64), date_day DATE, "
                "channel VARCHAR(64), sessions BIGINT, visitors BIGINT, pageviews BIGINT, "
                "sales BIGINT)"
            )
            cur.executemany(
                f"INSERT INTO fct_channel_daily ({MART_COLUMNS}) VALUES ({', '.join(['%s'] * 7)})",
                rows,
            )
        conn.commit()
    finally:
        conn.close()


@pytest.fixture(params=["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def warehouse_url(request: pytest.FixtureRequest, settings: Settings) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{settings.data_dir / 'warehouse.duckdb'}"
    return request.getfixturevalue("mariadb_url")


class Api:
    def __init__(self, base: str, key: str, rival_key: str) -> None:
        self.base = base
        self.key = key
        self.rival_key = rival_key

    def get(
        self,
        path: str = "/api/v1/reports/channel_daily",
        key: str | None = "own",
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> requests.Response:
        all_headers = dict(headers or {})
        if key == "own":
            key = self.key
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        return requests.get(self.base + path, params=params, headers=all_headers, timeout=30)


@pytest.fixture
def api_for(settings: Settings, make_account, serve, warehouse_url: str):
    _, key = make_account("acme")
    _, rival_key = make_account("rival")

    def _start() -> Api:
        return Api(serve(app_for(settings, warehouse_url)), key, rival_key)

    return _start


@pytest.fixture
def api(api_for, warehouse_url: str) -> Api:
    create_mart(warehouse_url, ROWS)
    return api_for()


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and body["error"]
    assert "data" not in body and "totals" not in body
    assert "Traceback" not in response.text
    return body


def test_authentication_and_account_isolation(api: Api, settings: Settings) -> None:
    body = error_of(api.get(key=None), 401)
    assert "key" in body["error"]
    error_of(api.get(key="tlk_not-a-key"), 401)
    error_of(api.get(key="garbage"), 401)
    error_of(api.get(key=None, headers={"Authorization": "Basic dXNlcjpwdw=="}), 401)
    assert api.get(key=None).headers["WWW-Authenticate"].startswith("Bearer")

    # X-API-Key works as well as the Bearer header.
    response = api.get(key=None, headers={"X-API-Key": api.key}, account="acme")
    assert response.status_code == 200 and response.json()["account"] == "acme"

    # The rival's key asking for acme's data: refused, and not a figure of it.
    body = error_of(api.get(key=api.rival_key, account="acme"), 404)
    assert "acme" in body["error"] and "Direct" not in str(body)
    # A nonexistent account is refused the same way (existence is not revealed).
    nobody = error_of(api.get(key=api.rival_key, account="nobody"), 404)
    assert nobody["error"].replace("nobody", "acme") == body["error"]
    # Without ?account= the rival's key sees only the rival's rows.
    rival = api.get(key=api.rival_key).json()
    assert rival["account"] == "rival"
    assert {r["channel"] for r in rival["data"]} == {"Direct", "Paid Search", "Secret Channel"}
    assert rival["totals"]["sessions"] == 1000 + 777 + 1

    # Bad parameters from an anonymous caller still get 401, not a hint.
    error_of(api.get(key=None, group_by="nonsense"), 401)

    # A revoked key stops working at once.
    with session_scope(settings.resolved_control_db_url) as session:
        session.execute(update(ApiKey).values(revoked_at=datetime(2025, 1, 1)))
    error_of(api.get(), 401)


def test_missing_mart_is_503(api_for, warehouse_url: str) -> None:
    api = api_for()
    # DuckDB: the warehouse file does not even exist; MariaDB: the table does not.
    body = error_of(api.get(), 503)
    assert body["error"] == "no report data yet: materialise a partition first"
    # Authentication still comes first.
    error_of(api.get(key=None), 401)


def test_no_serving_copy_or_no_mart_is_503(settings: Settings, make_account, serve) -> None:
    _, key = make_account("acme")
    path = settings.data_dir / "warehouse.duckdb"
    base = serve(app_for(settings))
    url = f"{base}/api/v1/reports/channel_daily"
    headers = {"X-API-Key": key}
    # A warehouse was built but never published: the API does not read it.
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE fct_channel_daily AS SELECT 1 AS sessions")
    body = error_of(requests.get(url, headers=headers, timeout=10), 503)
    assert body["error"] == "no report data yet: materialise a partition first"
    # A published copy without this mart answers the same.
    with duckdb.connect(str(path)) as conn:
        conn.execute("DROP TABLE fct_channel_daily")
    publish(str(path))
    body = error_of(requests.get(url, headers=headers, timeout=10), 503)
    assert body["error"] == "no report data yet: materialise a partition first"
    assert str(settings.data_dir) not in body["error"]


def test_a_build_holding_duckdb_does_not_stop_reports(
    settings: Settings, make_account, serve
) -> None:
    _, key = make_account("acme")
    path = settings.data_dir / "warehouse.duckdb"
    create_mart(f"duckdb:///{path}", ROWS)
    base = serve(app_for(settings))
    url = f"{base}/api/v1/reports/channel_daily"
    first = requests.get(url, headers={"X-API-Key": key}, timeout=10)
    assert first.status_code == 200, first.text
    published_at = first.json()["meta"]["published_at"]
    assert published_at and published_at.endswith("Z")
    # Another process holds the warehouse for writing, as a dbt build does.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        response = requests.get(url, headers={"X-API-Key": key}, timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["data"] == first.json()["data"]
    finally:
        holder.kill()
        holder.wait()
    # The reader never held the warehouse: the next build writes it at once,
    # and its publish switches the API to the new marts.
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "INSERT INTO fct_channel_daily VALUES ('acme', '2025-03-09', 'Email', 1, 1, 1, 0)"
        )
    unchanged = requests.get(url, params={"date__gte": "2025-03-09"}, headers={"X-API-Key": key})
    assert unchanged.json()["data"] == []
    publish(str(path))
    # Each worker opens the new copy in the background and answers from the old
    # one, whole, until it is open.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = requests.get(url, params={"date__gte": "2025-03-09"}, headers={"X-API-Key": key})
        body = response.json()
        if body["meta"]["published_at"] == published_at:
            assert body["data"] == []
            continue
        assert body["meta"]["published_at"] > published_at
        assert body["totals"]["sessions"] == 1
        break
    else:
        raise AssertionError("the API never switched to the new copy")


HOLD_LOCK = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""
