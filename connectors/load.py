"""Connector rows → the warehouse's raw tables, one per platform
(``raw_<platform>__campaign_daily``).

A load replaces exactly one (Touchline account, platform, date range): the
range is deleted and the new rows inserted in one transaction, so loading the
same days twice holds each campaign-day once, and a campaign that disappeared
from a restated report disappears here too. Set-based: DuckDB reads a temp
CSV, MariaDB takes ``executemany`` batches.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from connectors.record import COLUMNS, CampaignDay, Click
from touchline.warehouse import Warehouse

BATCH = 10_000


def raw_table(platform: str) -> str:
    """One raw table per platform, so each platform's Dagster asset owns its table.
    dbt creates the same tables (macros/ad_platforms/raw_tables.sql) so its views
    never miss one; keep the two in step."""
    return f"raw_{platform}__campaign_daily"


# column: (duckdb, mysql)
_TYPES: dict[str, tuple[str, str]] = {
    "account": ("VARCHAR", "VARCHAR(64)"),
    "date_day": ("DATE", "DATE"),
    "platform": ("VARCHAR", "VARCHAR(32)"),
    "account_id": ("VARCHAR", "VARCHAR(64)"),
    "campaign_id": ("VARCHAR", "VARCHAR(64)"),
    "campaign_name": ("VARCHAR", "VARCHAR(512)"),
    "impressions": ("BIGINT", "BIGINT"),
    "clicks": ("BIGINT", "BIGINT"),
    "spend": ("DECIMAL(18,6)", "DECIMAL(18,6)"),
    "conversions": ("DECIMAL(18,6)", "DECIMAL(18,6)"),
    "conversions_value": ("DECIMAL(18,6)", "DECIMAL(18,6)"),
    "currency_code": ("VARCHAR", "CHAR(3)"),
    "account_currency": ("VARCHAR", "CHAR(3)"),
    "gclid": ("VARCHAR", "VARCHAR(128)"),
    "ad_group_id": ("VARCHAR", "VARCHAR(64)"),
    "loaded_at": ("TIMESTAMP", "DATETIME(6)"),
}
# account_currency: the Touchline account's reporting currency (the marts convert to it).
TABLE_COLUMNS: tuple[str, ...] = ("account", *COLUMNS, "account_currency", "loaded_at")


CLICKS_TABLE = "raw_google_ads__click_view"
CLICK_COLUMNS: tuple[str, ...] = (
    "account",
    "date_day",
    "account_id",
    "gclid",
    "campaign_id",
    "ad_group_id",
    "loaded_at",
)


def ddl(dialect: str, table: str, columns: tuple[str, ...] = TABLE_COLUMNS) -> str:
    i = 0 if dialect == "duckdb" else 1
    cols = ",\n  ".join(f"{c} {_TYPES[c][i]}" for c in columns)
    if dialect == "duckdb":
        return f"CREATE TABLE IF NOT EXISTS {table} (\n  {cols}\n)"
    extra = f"  KEY ix_{table}_gclid (account, gclid),\n" if "gclid" in columns else ""
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (\n  {cols},\n{extra}"
        f"  KEY ix_{table}_partition (account, date_day)\n"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    )


@dataclass
class LoadSummary:
    rows: int = 0
    spend: dict[str, Decimal] = field(default_factory=dict)  # per currency
    per_day: dict[date, dict[str, Decimal]] = field(default_factory=dict)
    rows_per_day: dict[date, int] = field(default_factory=dict)


def ensure_table(warehouse: Warehouse, platform: str) -> None:
    with warehouse.connect() as conn:
        if warehouse.dialect == "duckdb":
            conn.execute(ddl("duckdb", raw_table(platform)))
        else:
            with conn.cursor() as cur:
                cur.execute(ddl(warehouse.dialect, raw_table(platform)))
            conn.commit()


def replace_range(
    warehouse: Warehouse,
    account: str,
    platform: str,
    start: date,
    end: date,
    rows: Iterable[CampaignDay],
    account_currency: str,
) -> LoadSummary:
    """Make the table hold exactly ``rows`` for (account, platform, start..end)."""
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    summary = LoadSummary()
    values: list[tuple] = []
    for row in rows:
        if row.platform != platform or not start <= row.date_day <= end:
            raise ValueError(
                f"{row.platform} row for {row.date_day} is outside the load of "
                f"{platform} {start}..{end}"
            )
        values.append((account, *row.as_tuple(), account_currency, loaded_at))
        summary.rows += 1
        summary.spend[row.currency_code] = summary.spend.get(row.currency_code, 0) + row.spend
        day = summary.per_day.setdefault(row.date_day, {})
        day[row.currency_code] = day.get(row.currency_code, 0) + row.spend
        summary.rows_per_day[row.date_day] = summary.rows_per_day.get(row.date_day, 0) + 1
    _replace(warehouse, raw_table(platform), TABLE_COLUMNS, account, start, end, values)
    return summary


def replace_clicks(
    warehouse: Warehouse, account: str, start: date, end: date, clicks: Iterable[Click]
) -> int:
    """Make the click table hold exactly ``clicks`` for (account, start..end)."""
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    values = [
        (account, c.date_day, c.account_id, c.gclid, c.campaign_id, c.ad_group_id, loaded_at)
        for c in clicks
    ]
    _replace(warehouse, CLICKS_TABLE, CLICK_COLUMNS, account, start, end, values)
    return len(values)


def _replace(warehouse, table, columns, account, start, end, values) -> None:
    if warehouse.dialect == "duckdb":
        _replace_duckdb(warehouse, table, columns, account, start, end, values)
    else:
        _replace_mysql(warehouse, table, columns, account, start, end, values)


def _delete(table: str) -> str:
    return f"DELETE FROM {table} WHERE account = ? AND date_day BETWEEN ? AND ?"


def _replace_duckdb(warehouse, table, columns, account, start, end, values) -> None:
    with tempfile.TemporaryDirectory() as tmp, warehouse.connect() as conn:
        path = os.path.join(tmp, "rows.csv")
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(values)
        conn.execute(ddl("duckdb", table, columns))
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(_delete(table), [account, start, end])
            if values:
                types = ", ".join(f"'{c}': '{_TYPES[c][0]}'" for c in columns)
                conn.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {', '.join(columns)} FROM read_csv(?, header=false, "
                    f"columns={{{types}}}, quote='\"', escape='\"')",
                    [path],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _replace_mysql(warehouse, table, columns, account, start, end, values) -> None:
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with warehouse.connect() as conn:
        try:
            with conn.cursor() as cur:
                cur.execute(ddl(warehouse.dialect, table, columns))
                cur.execute(_delete(table).replace("?", "%s"), (account, start, end))
                for i in range(0, len(values), BATCH):
                    cur.executemany(insert, values[i : i + BATCH])
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
