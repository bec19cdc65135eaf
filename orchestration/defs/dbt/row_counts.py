"""Each dbt model's row count on its materialisation: per partition (account ×
day) for a partitioned model, the whole relation otherwise."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, Output

from orchestration.defs.dbt.translator import translator
from orchestration.defs.partitions import DayRange, account_day_key
from touchline.warehouse import Warehouse


def partition_date_column(node: Mapping[str, Any]) -> str | None:
    """The model's day column (``meta.partition_date_column``), if it is partitioned."""
    meta = node.get("config", {}).get("meta") or node.get("meta") or {}
    return meta.get("partition_date_column")


def partition_count_sql(table: str, date_column: str, accounts: int) -> str:
    """Rows per account and day of a model, over some accounts and a day range."""
    marks = ", ".join("?" for _ in range(accounts))
    return (
        f"SELECT account, {date_column} AS day, count(*) AS n FROM {table} "
        f"WHERE account IN ({marks}) AND {date_column} BETWEEN ? AND ? "
        f"GROUP BY account, {date_column}"
    )


def with_row_counts(
    events: list[Any],
    manifest: Mapping[str, Any],
    warehouse: Warehouse,
    day_range: DayRange | None = None,
    context: AssetExecutionContext | None = None,
) -> Iterator[Any]:
    """Each model's row count on its materialisation: per partition (account ×
    day) for a partitioned model, the whole relation otherwise.

    The events are held back until dbt has exited (the caller lists them): DuckDB
    admits no reader while dbt writes. All counts share one connection.
    """
    counted: list[Any] = []
    with warehouse.reading() as query:
        for event in events:
            if isinstance(event, Output):
                event = _counted(event, manifest, query, day_range, context)
            counted.append(event)
    yield from counted


def _counted(
    event: Output,
    manifest: Mapping[str, Any],
    query: Any,
    day_range: DayRange | None,
    context: AssetExecutionContext | None,
) -> Output:
    unique_id = event.metadata.get("unique_id")
    node = manifest["nodes"].get(getattr(unique_id, "value", unique_id))
    if node is None:
        return event
    table = node.get("alias") or node["name"]
    column = partition_date_column(node)
    if day_range is None or not column or context is None:
        n = int(query(f"SELECT count(*) AS n FROM {table}")[0]["n"])
        return event.with_metadata({**event.metadata, "dagster/row_count": n})
    counts = {
        (r["account"], str(r["day"])[:10]): int(r["n"])
        for r in query(
            partition_count_sql(table, column, len(day_range.accounts)),
            [*day_range.accounts, day_range.start, day_range.end],
        )
    }
    asset_key = translator.get_asset_key(node)
    for account in day_range.accounts:
        for day in day_range.days:
            context.add_asset_metadata(
                {"dagster/row_count": counts.get((account, day.isoformat()), 0)},
                asset_key=asset_key,
                partition_key=str(account_day_key(account, day)),
            )
    return event.with_metadata({**event.metadata, "rows_in_run": sum(counts.values())})
