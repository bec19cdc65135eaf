"""Small pure functions that turn a partition into dbt arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestration.partitions import DayRange


def partition_env(day_range: DayRange) -> dict[str, str]:
    """The environment that makes one dbt call build exactly these partitions
    (read by partition_vars() in dbt_project/macros/touchline/partitions.sql)."""
    return {
        "TOUCHLINE_PARTITION_ACCOUNTS": ",".join(day_range.accounts),
        "TOUCHLINE_PARTITION_START": day_range.start.isoformat(),
        "TOUCHLINE_PARTITION_END": day_range.end.isoformat(),
    }


def group_for(fqn: list[str]) -> str:
    """Dagster group from the model's folder: staging, intermediate or marts."""
    layer = fqn[1] if len(fqn) > 2 else "dbt"
    return {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}.get(
        layer, layer
    )


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


def tables_behind_views(manifest: Mapping[str, Any], unique_id: str) -> list[str]:
    """Upstream nodes a model reads *through* views.

    A view is rebuilt only on deploy, not per partition, so a partitioned model
    that reads a view really depends on the view's inputs: without that edge
    Dagster could run the model before the partition's raw data is loaded.
    """
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    found: list[str] = []

    def is_view(uid: str) -> bool:
        node = nodes.get(uid, {})
        return node.get("resource_type") == "model" and (
            node.get("config", {}).get("materialized") == "view"
        )

    def walk(uid: str) -> None:
        for parent in nodes.get(uid, {}).get("depends_on", {}).get("nodes", []):
            if is_view(parent):
                walk(parent)
            elif parent not in found:
                found.append(parent)

    for parent in nodes.get(unique_id, {}).get("depends_on", {}).get("nodes", []):
        if is_view(parent):
            walk(parent)
    return found
