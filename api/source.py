"""Where reports read.

DuckDB: the serving copy of the marts that each build publishes
(:mod:`touchline.serving`), never the warehouse file, which a build holds
exclusively while it writes. MySQL/MariaDB: the warehouse itself; InnoDB
readers take no locks that could stop a build, and each report is one
SELECT, so it sees one committed state of its mart (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from touchline.serving import SnapshotReader
from touchline.warehouse import Warehouse, WarehouseError, parse_warehouse_url


@dataclass(frozen=True)
class Result:
    rows: list[dict[str, Any]]
    # When the serving copy was taken; None when reading the warehouse directly.
    published_at: datetime | None = None


class ReportSource(Protocol):
    def query(self, sql: str, params: Sequence[Any]) -> Result: ...

    def table_exists(self, name: str) -> bool: ...


class ServingSource:
    def __init__(self, warehouse_path: str) -> None:
        self.reader = SnapshotReader(warehouse_path)

    def query(self, sql: str, params: Sequence[Any]) -> Result:
        snapshot, rows = self.reader.query(sql, params)
        return Result(rows, snapshot.published_at)

    def table_exists(self, name: str) -> bool:
        return self.reader.table_exists(name)


class WarehouseSource:
    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def query(self, sql: str, params: Sequence[Any]) -> Result:
        return Result(self.warehouse.query(sql, params))

    def table_exists(self, name: str) -> bool:
        return self.warehouse.table_exists(name)


def source_for(warehouse_url: str) -> ReportSource:
    try:
        target = parse_warehouse_url(warehouse_url)
    except WarehouseError:
        # Answered per request as a 503 in the warehouse's own words.
        return WarehouseSource(Warehouse(warehouse_url))
    if target.dialect == "duckdb":
        return ServingSource(str(target.path))
    return WarehouseSource(Warehouse(warehouse_url))
