"""Warehouse URLs, the dbt environment they give, and idempotent partition loads
on a real DuckDB file and a real MariaDB server."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest

from touchline.contract import IncomingHit, land
from touchline.warehouse import Warehouse, WarehouseError, dbt_env, parse_warehouse_url


def test_urls_pick_the_dialect_and_dbt_profile() -> None:
    duck = parse_warehouse_url("duckdb:////data/w.duckdb")
    assert (duck.dialect, duck.path, duck.schema) == ("duckdb", "/data/w.duckdb", "main")
    mysql = parse_warehouse_url("mysql+pymysql://u:p%40ss@db.internal:3307/wh")
    assert (mysql.dialect, mysql.host, mysql.port, mysql.password, mysql.schema) == (
        "mysql",
        "db.internal",
        3307,
        "p@ss",
        "wh",
    )
    assert parse_warehouse_url("mysql+pymysql://u:p@h/wh", "10.11.9-MariaDB").dialect == "mariadb"
    assert parse_warehouse_url("mariadb+pymysql://u:p@h/wh").dialect == "mariadb"
    env = dbt_env(mysql)
    assert env["TOUCHLINE_DBT_TARGET"] == "mysql"
    assert env["DBT_ENV_SECRET_TOUCHLINE_DBT_PASSWORD"] == "p@ss"
    assert "p@ss" not in mysql.redacted()


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgres://x/y", "unsupported warehouse URL scheme"),
        ("duckdb://", "needs a file path"),
        ("mysql+pymysql://u:p@h/", "needs a host and a database"),
    ],
)
def test_bad_urls_get_clear_errors(url, message) -> None:
    with pytest.raises(WarehouseError, match=message):
        parse_warehouse_url(url)


def test_a_password_dbt_would_mask_inside_model_names_is_refused() -> None:
    with pytest.raises(WarehouseError, match="password"):
        dbt_env(parse_warehouse_url("mysql+pymysql://u:touch@h/wh"))


def _hits(n: int, day: date) -> list[dict]:
    now = datetime.now(timezone.utc)
    out = []
    for i in range(n):
        hit = IncomingHit(
            token="t",
            hit_id=uuid.uuid4(),
            visitor_id=f"v{i}",
            url="https://a.example/p?q=1\t2",
            client_ts=datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc),
            sent_at=now,
            properties={"note": "back\\slash, 'quote' \"dq\"\nnewline"},
        )
        out.append(
            land(
                hit,
                account="acme",
                received_at=now,
                ip=None,
                user_agent="UA",
                is_bot=False,
                dnt=False,
            ).model_dump(mode="json")
        )
    return out


@pytest.fixture(params=["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def warehouse(request, tmp_path) -> Warehouse:
    if request.param == "mariadb":
        return Warehouse(request.getfixturevalue("mariadb_url"))
    return Warehouse(f"duckdb:///{tmp_path}/w.duckdb")


def test_replacing_a_partition_is_idempotent_and_exact(warehouse) -> None:
    day, other = date(2026, 11, 20), date(2026, 11, 21)
    hits = _hits(5, day)
    assert warehouse.replace_partition("acme", day, hits) == 5
    assert warehouse.replace_partition("acme", day, hits) == 5
    warehouse.replace_partition("acme", other, _hits(2, other))
    count = "SELECT count(*) AS n FROM raw_hits WHERE account = ? AND event_date = ?"
    assert warehouse.query(count, ["acme", day])[0]["n"] == 5
    row = warehouse.query(
        "SELECT url, properties FROM raw_hits WHERE hit_id = ?", [hits[0]["hit_id"]]
    )[0]
    assert row["url"] == "https://a.example/p?q=1\t2"
    assert "back\\\\slash" in row["properties"] and "\\n" in row["properties"]
    # Emptying a day leaves that day empty and the next day untouched.
    warehouse.replace_partition("acme", day, [])
    assert warehouse.query(count, ["acme", day])[0]["n"] == 0
    assert warehouse.query(count, ["acme", other])[0]["n"] == 2
    with pytest.raises(WarehouseError, match="not to partition"):
        warehouse.replace_partition("acme", other, hits)
