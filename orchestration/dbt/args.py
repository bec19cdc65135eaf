"""Small pure functions that turn a partition into dbt arguments."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

# The dbt project's models read these vars to process one partition.
ACCOUNT_VAR = "account"
DATE_VAR = "date"


def partition_vars(account: str, day: date) -> dict[str, str]:
    return {ACCOUNT_VAR: account, DATE_VAR: day.isoformat()}


def build_args(account: str, day: date) -> list[str]:
    """``dbt build`` of one account and day; the models replace exactly that partition."""
    return ["build", "--vars", json.dumps(partition_vars(account, day), sort_keys=True)]


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


def partition_count_sql(table: str, date_column: str) -> str:
    return f"SELECT count(*) AS n FROM {table} WHERE account = ? AND {date_column} = ?"


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
