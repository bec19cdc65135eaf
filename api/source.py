"""Where reports read.

DuckDB: the serving copy of the marts that each build publishes
(:mod:`touchline.serving`), never the warehouse file, which a build holds
exclusively while it writes. Every query of one request reads the same copy,
and that copy's name is the data version in the ETag.

MySQL/MariaDB: the warehouse itself; InnoDB readers take no locks that could
stop a build. The queries of one request run in one read-only transaction with
a consistent snapshot, so rows, totals and comparison agree. There is no
published copy to name, so the ETag is a hash of the answer itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from touchline.serving import SnapshotReader
from touchline.warehouse import Warehouse, WarehouseError, parse_warehouse_url

BATCH_ROWS = 2000


class Reader(Protocol):
    """Reads of one request, all from one state of the marts."""

    # The serving copy's name (DuckDB), None when reading the warehouse live.
    version: str | None
    published_at: datetime | None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]: ...


class ReportSource(Protocol):
    dialect: str  # "duckdb" or "mysql" (MariaDB included): the SQL it takes

    def reading(self) -> contextlib.AbstractContextManager[Reader]: ...

    def table_exists(self, name: str) -> bool: ...


@dataclass
class _DuckReader:
    cursor: Any
    version: str | None
    published_at: datetime | None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.cursor.execute(sql, list(params)).fetchall()

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        result = self.cursor.execute(sql, list(params))
        while batch := result.fetchmany(BATCH_ROWS):
            yield from batch


class ServingSource:
    dialect = "duckdb"

    def __init__(self, warehouse_path: str) -> None:
        self.reader = SnapshotReader(warehouse_path)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Reader]:
        with self.reader.cursor() as (snapshot, cur):
            yield _DuckReader(cur, snapshot.name, snapshot.published_at)

    def table_exists(self, name: str) -> bool:
        return self.reader.table_exists(name)


def _mysql(sql: str) -> str:
    # pymysql's placeholders are %s, and a literal % must be doubled.
    return sql.replace("%", "%%").replace("?", "%s")


@dataclass
class _MysqlReader:
    conn: Any
    version: str | None = None
    published_at: datetime | None = None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(_mysql(sql), list(params))
            return list(cur.fetchall())

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        import pymysql.cursors

        # Unbuffered: rows come from the server as the client takes them.
        with self.conn.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute(_mysql(sql), list(params))
            while batch := cur.fetchmany(BATCH_ROWS):
                yield from batch


class WarehouseSource:
    dialect = "mysql"

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    @contextlib.contextmanager
    def reading(self) -> Iterator[Reader]:
        with self.warehouse.connect(read_only=True) as conn:
            with conn.cursor() as cur:
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            try:
                yield _MysqlReader(conn)
            finally:
                conn.rollback()

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
