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

from connectors.record import CampaignDay, Click
from touchline.tables import CLICK_VIEW, Table, campaign_daily
from touchline.warehouse import Warehouse

BATCH = 10_000


@dataclass
class LoadSummary:
    rows: int = 0
    spend: dict[str, Decimal] = field(default_factory=dict)  # per currency
    per_day: dict[date, dict[str, Decimal]] = field(default_factory=dict)
    rows_per_day: dict[date, int] = field(default_factory=dict)


def ensure_table(warehouse: Warehouse, platform: str) -> None:
    warehouse.create_tables(campaign_daily(platform))


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
    _replace(warehouse, campaign_daily(platform), account, start, end, values)
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
    _replace(warehouse, CLICK_VIEW, account, start, end, values)
    return len(values)


def _replace(warehouse: Warehouse, table: Table, account, start, end, values) -> None:
    """Rows in ``table``'s column order (touchline.tables)."""
    if warehouse.dialect == "duckdb":
        _replace_duckdb(warehouse, table, account, start, end, values)
    else:
        _replace_mysql(warehouse, table, account, start, end, values)


def _delete(table: Table) -> str:
    return f"DELETE FROM {table.name} WHERE account = ? AND date_day BETWEEN ? AND ?"


def _replace_duckdb(warehouse, table: Table, account, start, end, values) -> None:
    columns = ", ".join(table.column_names)
    with tempfile.TemporaryDirectory() as tmp, warehouse.connect() as conn:
        path = os.path.join(tmp, "rows.csv")
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(values)
        conn.execute(table.ddl("duckdb"))
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(_delete(table), [account, start, end])
            if values:
                types = ", ".join(f"'{c}': '{t}'" for c, t in table.column_types("duckdb").items())
                conn.execute(
                    f"INSERT INTO {table.name} ({columns}) "
                    f"SELECT {columns} FROM read_csv(?, header=false, "
                    f"columns={{{types}}}, quote='\"', escape='\"')",
                    [path],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _replace_mysql(warehouse, table: Table, account, start, end, values) -> None:
    names = table.column_names
    insert = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
    )
    with warehouse.connect() as conn:
        try:
            with conn.cursor() as cur:
                cur.execute(table.ddl(warehouse.dialect))
                cur.execute(_delete(table).replace("?", "%s"), (account, start, end))
                for i in range(0, len(values), BATCH):
                    cur.executemany(insert, values[i : i + BATCH])
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
