"""Marts with known rows for the report API's tests, on DuckDB (then published to
the serving copy the API reads) or MariaDB.

Hand-made rows hold the edge cases a real build rarely makes at once: NULLs,
mixed case, '%' and '_' in names, several models, days across week and month
boundaries. The reconciliation against a real pipeline run is in
test_report_reconciliation.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pymysql
from flask import Flask

from touchline.serving import publish
from touchline.settings import Settings
from touchline.warehouse import parse_warehouse_url

CAMPAIGN_COLUMNS = (
    "account, date_day, platform, campaign_id, campaign_name, model, conversions, revenue, "
    "spend, spend_rows_without_rate, reporting_currency"
)
CAMPAIGN_DDL = {
    "duckdb": "CREATE TABLE fct_attribution_campaign_daily (account VARCHAR, date_day DATE, "
    "platform VARCHAR, campaign_id VARCHAR, campaign_name VARCHAR, model VARCHAR, "
    "conversions DOUBLE, revenue DOUBLE, spend DOUBLE, spend_rows_without_rate INTEGER, "
    "reporting_currency VARCHAR)",
    "mysql": "CREATE TABLE fct_attribution_campaign_daily (account VARCHAR(64), date_day DATE, "
    "platform VARCHAR(32), campaign_id VARCHAR(64), campaign_name VARCHAR(512), "
    "model VARCHAR(16), conversions DOUBLE, revenue DOUBLE, spend DOUBLE, "
    "spend_rows_without_rate INT, reporting_currency VARCHAR(3))",
}
CHANNEL_COLUMNS = "account, date_day, channel, sessions, visitors, pageviews, sales"
CHANNEL_DDL = {
    "duckdb": "CREATE TABLE fct_channel_daily (account VARCHAR, date_day DATE, channel VARCHAR, "
    "sessions BIGINT, visitors BIGINT, pageviews BIGINT, sales BIGINT)",
    "mysql": "CREATE TABLE fct_channel_daily (account VARCHAR(64), date_day DATE, "
    "channel VARCHAR(64), sessions BIGINT, visitors BIGINT, pageviews BIGINT, sales BIGINT)",
}

D0 = date(2025, 3, 1)  # a Saturday


def campaign_rows() -> list[tuple[Any, ...]]:
    rows = []
    names = ["Brand_%50", "brand search", None, "Retargeting"]
    for day in range(4):
        for i, name in enumerate(names):
            for model, share in (("linear", 1.0), ("last_touch", 0.5)):
                spend = None if i == 2 else round(10.25 * (i + 1) + day, 2)
                rows.append(
                    (
                        "acme",
                        D0 + timedelta(days=day),
                        "google_ads" if i < 2 else "meta",
                        f"c{i}",
                        name,
                        model,
                        (i + day) * share,
                        round((i + 1) * 33.33 * share + day, 2),
                        spend,
                        0,
                        "EUR",
                    )
                )
    # The other account: same campaign ids and names, far bigger numbers.
    rows += [
        ("rival", D0, "google_ads", "c0", "Brand_%50", "linear", 4242.0, 777777.0, 1.0, 0, "USD"),
        ("rival", D0, "meta", "secret", "Secret", "linear", 5.0, 5.0, 5.0, 0, "USD"),
    ]
    return rows


def channel_rows() -> list[tuple[Any, ...]]:
    """Six weeks of three channels for acme, one channel for rival."""
    rows = []
    for day in range(42):
        when = D0 + timedelta(days=day)
        for c, channel in enumerate(("Direct", "Email", "Paid Search")):
            sessions = 10 + day + c
            rows.append(
                ("acme", when, channel, sessions, sessions - 2, 2 * sessions, (day + c) % 4)
            )
        rows.append(("rival", when, "Secret Channel", 1000, 900, 5000, 50))
    return rows


def create_marts(url: str, tables_exist: bool = False) -> None:
    """The rows above; ``tables_exist``: into marts a dbt build made."""
    target = parse_warehouse_url(url)
    tables = [
        ("fct_attribution_campaign_daily", CAMPAIGN_DDL, CAMPAIGN_COLUMNS, campaign_rows()),
        ("fct_channel_daily", CHANNEL_DDL, CHANNEL_COLUMNS, channel_rows()),
    ]
    if target.dialect == "duckdb":
        with duckdb.connect(str(target.path)) as conn:
            for name, ddl, columns, rows in tables:
                if not tables_exist:
                    conn.execute(ddl["duckdb"])
                marks = ", ".join("?" for _ in columns.split(","))
                conn.executemany(f"INSERT INTO {name} ({columns}) VALUES ({marks})", rows)
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
            for name, ddl, columns, rows in tables:
                if not tables_exist:
                    cur.execute(ddl["mysql"])
                marks = ", ".join("%s" for _ in columns.split(","))
                cur.executemany(f"INSERT INTO {name} ({columns}) VALUES ({marks})", rows)
        conn.commit()
    finally:
        conn.close()


def app_for(settings: Settings, warehouse_url: str | None = None) -> Flask:
    """The API app reading ``warehouse_url`` (default: the settings' own)."""
    from api.app import create_app

    if warehouse_url is not None:
        settings = settings.model_copy(update={"warehouse_url": warehouse_url})
    return create_app(settings)


def sql_rows(url: str, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Straight on the warehouse (DuckDB: the file itself, not the serving copy)."""
    target = parse_warehouse_url(url)
    if target.dialect == "duckdb":
        with duckdb.connect(str(target.path), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()
    conn = pymysql.connect(
        host=target.host,
        port=target.port,
        user=target.user,
        password=target.password or "",
        database=target.database,
    )
    try:
        with conn.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), params or [])
            return list(cur.fetchall())
    finally:
        conn.close()
