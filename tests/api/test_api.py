"""The report API over real HTTP, reading a real DuckDB file and a real MariaDB database.

The mart ``fct_channel_daily`` is created here with plain SQL and known rows
(on DuckDB then published to the serving copy the API reads, as a build's
last step does); the test through dbt lives elsewhere.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime
from typing import Any

import duckdb
import pymysql
import pytest
import requests
from sqlalchemy import update

from api.app import create_app
from touchline.control.db import session_scope
from touchline.control.models import ApiKey
from touchline.serving import publish
from touchline.settings import Settings
from touchline.warehouse import parse_warehouse_url

# (account, date_day, channel, sessions, visitors, pageviews)
ROWS: list[tuple[str, str, str, int, int, int]] = [
    ("acme", "2025-03-01", "Direct", 10, 8, 25),
    ("acme", "2025-03-01", "Organic Search", 5, 5, 9),
    ("acme", "2025-03-02", "Direct", 7, 6, 11),
    ("acme", "2025-03-02", "Email", 3, 3, 4),
    ("acme", "2025-03-03", "Organic Search", 4, 4, 8),
    ("acme", "2025-03-04", "Paid Search", 2, 2, 2),
    ("rival", "2025-03-01", "Direct", 1000, 900, 5000),
    ("rival", "2025-03-02", "Paid Search", 777, 700, 999),
    ("rival", "2025-03-05", "Secret Channel", 1, 1, 1),
]
METRICS = ("sessions", "visitors", "pageviews")
MART_COLUMNS = "account, date_day, channel, sessions, visitors, pageviews"


def create_mart(url: str, rows: list[tuple[str, str, str, int, int, int]]) -> None:
    target = parse_warehouse_url(url)
    placeholders = ", ".join(["?"] * 6)
    if target.dialect == "duckdb":
        with duckdb.connect(str(target.path)) as conn:
            conn.execute(
                "CREATE TABLE fct_channel_daily (account VARCHAR, date_day DATE, channel VARCHAR, "
                "sessions INTEGER, visitors INTEGER, pageviews INTEGER)"
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
                "channel VARCHAR(64), sessions BIGINT, visitors BIGINT, pageviews BIGINT)"
            )
            cur.executemany(
                f"INSERT INTO fct_channel_daily ({MART_COLUMNS}) VALUES ({', '.join(['%s'] * 6)})",
                rows,
            )
        conn.commit()
    finally:
        conn.close()


def expected(
    account: str,
    group_by: tuple[str, ...],
    gte: str | None = None,
    lte: str | None = None,
    channels: set[str] | None = None,
) -> list[dict[str, Any]]:
    """The report computed in Python from ROWS: the oracle for the SQL."""
    sums: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for acc, day, channel, *values in ROWS:
        if acc != account or (gte and day < gte) or (lte and day > lte):
            continue
        if channels is not None and channel not in channels:
            continue
        key = tuple({"date": day, "channel": channel}[g] for g in group_by)
        sums[key] = [a + b for a, b in zip(sums[key], values, strict=True)]
    return [
        {**dict(zip(group_by, key, strict=True)), **dict(zip(METRICS, values, strict=True))}
        for key, values in sorted(sums.items())
    ]


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

    def _start(**app_options: Any) -> Api:
        pointed = settings.model_copy(update={"warehouse_url": warehouse_url})
        return Api(serve(create_app(pointed, **app_options)), key, rival_key)

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


def test_default_report_groups_by_date_and_channel(api: Api) -> None:
    response = api.get()
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["account", "report", "group_by", "filters", "data", "totals", "meta"]
    assert body["account"] == "acme"
    assert body["report"] == "channel_daily"
    assert body["group_by"] == ["date", "channel"]
    assert body["filters"] == {"date__gte": None, "date__lte": None, "channel": None}
    assert body["data"] == expected("acme", ("date", "channel"))
    assert body["data"][0] == {
        "date": "2025-03-01",
        "channel": "Direct",
        "sessions": 10,
        "visitors": 8,
        "pageviews": 25,
    }
    # Totals equal the inserted rows of this account, nothing of the other.
    own = [r for r in ROWS if r[0] == "acme"]
    assert body["totals"] == {m: sum(r[3 + i] for r in own) for i, m in enumerate(METRICS)}
    assert "visitors" in body["meta"]["notes"]
    assert "Secret Channel" not in response.text and "rival" not in response.text


def test_filters_and_group_by(api: Api) -> None:
    cases: list[tuple[dict[str, Any], tuple[str, ...], dict[str, Any]]] = [
        ({"date__gte": "2025-03-02"}, ("date", "channel"), {"gte": "2025-03-02"}),
        ({"date__lte": "2025-03-02"}, ("date", "channel"), {"lte": "2025-03-02"}),
        (
            {"date__gte": "2025-03-02", "date__lte": "2025-03-03"},
            ("date", "channel"),
            {"gte": "2025-03-02", "lte": "2025-03-03"},
        ),
        ({"channel": "Direct"}, ("date", "channel"), {"channels": {"Direct"}}),
        ({"channel": ["Direct", "Email"]}, ("date", "channel"), {"channels": {"Direct", "Email"}}),
        (
            {"channel": "Direct,Organic Search"},
            ("date", "channel"),
            {"channels": {"Direct", "Organic Search"}},
        ),
        ({"channel": "Nobody"}, ("date", "channel"), {"channels": {"Nobody"}}),
        ({"group_by": "channel"}, ("channel",), {}),
        ({"group_by": "date"}, ("date",), {}),
        ({"group_by": "channel,date"}, ("date", "channel"), {}),
        (
            {"group_by": "channel", "date__gte": "2025-03-02", "channel": "Direct,Paid Search"},
            ("channel",),
            {"gte": "2025-03-02", "channels": {"Direct", "Paid Search"}},
        ),
    ]
    for params, group_by, oracle in cases:
        response = api.get(**params)
        assert response.status_code == 200, (params, response.text)
        body = response.json()
        want = expected("acme", group_by, **oracle)
        assert body["group_by"] == list(group_by), params
        assert body["data"] == want, params
        assert body["totals"] == {m: sum(r[m] for r in want) for m in METRICS}, params
    # Filters are echoed as applied.
    body = api.get(channel=["Email", "Direct,Email"], date__gte="2025-03-01").json()
    assert body["filters"] == {
        "date__gte": "2025-03-01",
        "date__lte": None,
        "channel": ["Email", "Direct"],
    }


def test_authentication_and_account_isolation(api: Api, settings: Settings) -> None:
    body = error_of(api.get(key=None), 401)
    assert "API key" in body["error"]
    error_of(api.get(key="tlk_not-a-key"), 401)
    error_of(api.get(key="garbage"), 401)
    error_of(api.get(key=None, headers={"Authorization": "Basic dXNlcjpwdw=="}), 401)
    assert api.get(key=None).headers["WWW-Authenticate"].startswith("Bearer")

    # X-API-Key works as well as the Bearer header.
    response = api.get(key=None, headers={"X-API-Key": api.key}, account="acme")
    assert response.status_code == 200 and response.json()["account"] == "acme"

    # The rival's key asking for acme's data: 403, and not a figure of it.
    body = error_of(api.get(key=api.rival_key, account="acme"), 403)
    assert "acme" in body["error"] and "Direct" not in str(body)
    # A nonexistent account is refused the same way (existence is not revealed).
    error_of(api.get(key=api.rival_key, account="nobody"), 403)
    # Without ?account= the rival's key sees only the rival's rows.
    rival = api.get(key=api.rival_key).json()
    assert rival["account"] == "rival"
    assert rival["data"] == expected("rival", ("date", "channel"))
    assert rival["totals"]["sessions"] == 1000 + 777 + 1

    # Bad parameters from an anonymous caller still get 401, not a hint.
    error_of(api.get(key=None, group_by="nonsense"), 401)

    # A revoked key stops working at once.
    with session_scope(settings.resolved_control_db_url) as session:
        session.execute(update(ApiKey).values(revoked_at=datetime(2025, 1, 1)))
    error_of(api.get(), 401)


def test_bad_parameters_are_explained(api: Api) -> None:
    for value in ("2025-3-1", "01/03/2025", "20250301", "2025-02-30", "yesterday"):
        body = error_of(api.get(date__gte=value), 400)
        assert "YYYY-MM-DD" in body["error"], value
    body = error_of(api.get(date__gte="2025-03-03", date__lte="2025-03-01"), 400)
    assert "after" in body["error"]
    body = error_of(api.get(group_by="date,campaign"), 400)
    assert body["allowed_group_by"] == ["date", "channel"] and "campaign" in body["error"]
    error_of(api.get(group_by=""), 400)
    body = error_of(api.get(date_gte="2025-03-01"), 400)  # typo for date__gte
    assert "date_gte" in body["error"] and "date__gte" in body["allowed_parameters"]
    error_of(api.get(date__gte=["2025-03-01", "2025-03-02"]), 400)
    body = error_of(api.get("/api/v1/reports/no_such_report"), 404)
    assert "channel_daily" in body["error"]
    # SQL in a value is only ever a value.
    response = api.get(channel="Direct' OR '1'='1")
    assert response.status_code == 200 and response.json()["data"] == []


def test_missing_mart_is_503(api_for, warehouse_url: str) -> None:
    api = api_for()
    # DuckDB: the warehouse file does not even exist; MariaDB: the table does not.
    body = error_of(api.get(), 503)
    assert body["error"] == "no report data yet: materialise a partition first"
    # Authentication still comes first.
    error_of(api.get(key=None), 401)


def test_healthz_and_catalogue(api: Api) -> None:
    response = requests.get(f"{api.base}/healthz", timeout=10)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    error_of(api.get("/api/v1/reports", key=None), 401)
    [report] = api.get("/api/v1/reports").json()["reports"]
    assert report["name"] == "channel_daily"
    assert report["dimensions"] == ["date", "channel"]
    assert report["metrics"] == list(METRICS)


def test_no_serving_copy_or_no_mart_is_503(settings: Settings, make_account, serve) -> None:
    _, key = make_account("acme")
    path = settings.data_dir / "warehouse.duckdb"
    base = serve(create_app(settings))
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
    base = serve(create_app(settings))
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
            "INSERT INTO fct_channel_daily VALUES ('acme', '2025-03-09', 'Email', 1, 1, 1)"
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
