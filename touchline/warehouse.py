"""Warehouse access for DuckDB (embedded default) and MySQL/MariaDB.

One URL (``TOUCHLINE_WAREHOUSE_URL``) chooses the target for every component;
:func:`parse_warehouse_url` and :func:`dbt_env` turn it into connection
settings for Python and for dbt alike.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from touchline.tables import RAW_HITS, Table

Dialect = Literal["duckdb", "mysql", "mariadb"]

DBT_PROJECT_NAME = "touchline"


class WarehouseError(Exception):
    """A warehouse problem worded for the person who has to fix it."""


class WarehouseBusy(WarehouseError):
    """DuckDB is held by a writer (a build) for longer than we wait."""


@dataclass(frozen=True)
class WarehouseTarget:
    dialect: Dialect
    path: str | None = None
    host: str | None = None
    port: int = 3306
    user: str | None = None
    password: str | None = None
    database: str | None = None

    @property
    def schema(self) -> str:
        """Where dbt builds and the raw tables live."""
        return "main" if self.dialect == "duckdb" else str(self.database)

    def redacted(self) -> str:
        if self.dialect == "duckdb":
            return f"duckdb:///{self.path}"
        return f"{self.dialect}://{self.user}:***@{self.host}:{self.port}/{self.database}"


def parse_warehouse_url(url: str, server_version: str | None = None) -> WarehouseTarget:
    """``duckdb:///abs/path``, ``mysql+pymysql://u:p@h:port/db`` or ``mariadb+pymysql://…``.

    A ``mysql`` URL whose server reports a MariaDB version gets the ``mariadb``
    dbt adapter, which dbt-mysql needs to generate MariaDB-compatible SQL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme == "duckdb":
        path = unquote(parts.path)
        if parts.netloc:  # duckdb://relative/path
            path = parts.netloc + path
        elif path.startswith("//"):  # duckdb:////abs/path, SQLAlchemy's spelling
            path = "/" + path.lstrip("/")
        if not path or path == "/":
            raise WarehouseError("the DuckDB warehouse URL needs a file path: duckdb:///path/file")
        return WarehouseTarget(dialect="duckdb", path=path)
    if scheme in ("mysql", "mariadb"):
        database = parts.path.lstrip("/")
        if not database or not parts.hostname:
            raise WarehouseError(
                "the MySQL warehouse URL needs a host and a database: mysql+pymysql://user:pw@host/db"
            )
        dialect: Dialect = scheme  # type: ignore[assignment]
        if scheme == "mysql" and server_version and "mariadb" in server_version.lower():
            dialect = "mariadb"
        return WarehouseTarget(
            dialect=dialect,
            host=parts.hostname,
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            database=database,
        )
    raise WarehouseError(
        f"unsupported warehouse URL scheme {parts.scheme!r}: use duckdb:/// or mysql+pymysql://"
    )


def dbt_env(target: WarehouseTarget) -> dict[str, str]:
    """Environment for dbt's profiles.yml. The password goes in a DBT_ENV_SECRET_
    variable, which dbt scrubs from its logs."""
    if target.password and target.password.lower() in DBT_PROJECT_NAME:
        # dbt masks every occurrence of a secret in its output, node names included,
        # which breaks the events Dagster reads from it.
        raise WarehouseError(
            "the warehouse password must not be part of the word "
            f"'{DBT_PROJECT_NAME}': choose a longer password"
        )
    env = {
        "TOUCHLINE_DBT_TARGET": target.dialect,
        "TOUCHLINE_DBT_SCHEMA": target.schema,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if target.dialect == "duckdb":
        env["TOUCHLINE_DBT_DUCKDB_PATH"] = str(target.path)
    else:
        env.update(
            {
                "TOUCHLINE_DBT_HOST": str(target.host),
                "TOUCHLINE_DBT_PORT": str(target.port),
                "TOUCHLINE_DBT_USER": str(target.user),
                "DBT_ENV_SECRET_TOUCHLINE_DBT_PASSWORD": target.password or "",
            }
        )
    return env


def create_table_mysql(cur: Any, table: Table) -> None:
    """``table`` as this version has it, on a MySQL/MariaDB cursor (DDL: it commits).
    A table whose indexes changed across versions gets them brought up to date."""
    cur.execute(table.ddl("mysql"))
    if not table.dropped_indexes:
        return
    cur.execute(
        "SELECT DISTINCT index_name FROM information_schema.statistics "
        "WHERE table_schema = DATABASE() AND table_name = %s",
        (table.name,),
    )
    for change in table.index_changes({row[0] for row in cur.fetchall()}):
        cur.execute(change)


class Warehouse:
    """Short-lived connections; DuckDB ones retry while a writer holds the file."""

    def __init__(self, url: str, busy_timeout: float = 30.0) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self._target: WarehouseTarget | None = None

    @property
    def target(self) -> WarehouseTarget:
        if self._target is None:
            target = parse_warehouse_url(self.url)
            if target.dialect == "mysql":
                with self._mysql_connect(target) as conn, conn.cursor() as cur:
                    cur.execute("SELECT VERSION()")
                    target = parse_warehouse_url(self.url, cur.fetchone()[0])
            self._target = target
        return self._target

    @property
    def dialect(self) -> Dialect:
        return self.target.dialect

    @staticmethod
    def _mysql_connect(target: WarehouseTarget):
        import pymysql

        try:
            return pymysql.connect(
                host=target.host,
                port=target.port,
                user=target.user,
                password=target.password or "",
                database=target.database,
                local_infile=True,
                charset="utf8mb4",
                autocommit=False,
            )
        except pymysql.err.OperationalError as exc:
            raise WarehouseError(
                f"cannot connect to the warehouse at {target.redacted()}: {exc.args[-1]}"
            ) from None

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Any]:
        target = parse_warehouse_url(self.url) if self._target is None else self._target
        if target.dialect == "duckdb":
            conn = self._duckdb_connect(str(target.path), read_only)
        else:
            conn = self._mysql_connect(target)
        try:
            yield conn
        finally:
            conn.close()

    def _duckdb_connect(self, path: str, read_only: bool):
        import duckdb

        if read_only and not os.path.exists(path):
            raise WarehouseError("the warehouse is empty: no partition has been materialised yet")
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.05
        while True:
            try:
                return duckdb.connect(path, read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                    if "lock" in str(exc).lower():
                        raise WarehouseBusy(
                            "the warehouse is busy with a build; try again in a moment"
                        ) from None
                    raise WarehouseError(f"cannot open the warehouse: {exc}") from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a read query written with ``?`` placeholders; rows as dicts."""
        with self.reading() as query:
            return query(sql, params)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Callable[..., list[dict[str, Any]]]]:
        """Several read queries over one connection (opening a DuckDB file costs
        tens of milliseconds): yields ``query(sql, params=())``."""
        with self.connect(read_only=True) as conn:
            yield lambda sql, params=(): self._rows(conn, sql, params)

    def _rows(self, conn: Any, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        if self.dialect == "duckdb":
            cur = conn.execute(sql, list(params))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        mysql_sql = sql.replace("%", "%%").replace("?", "%s")
        with conn.cursor() as cur:
            cur.execute(mysql_sql, list(params))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def missing_tables(self, names: Sequence[str]) -> list[str]:
        """Which of ``names`` (tables or views) the warehouse lacks, in one query."""
        if self.dialect == "duckdb":
            sql = "SELECT table_name AS name FROM information_schema.tables"
            params: list[Any] = []
        else:
            sql = "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?"
            params = [self.target.database]
        try:
            present = {str(r["name"]) for r in self.query(sql, params)}
        except WarehouseError as exc:
            if "empty" in str(exc):
                return list(names)
            raise
        return [n for n in names if n not in present]

    def table_exists(self, name: str) -> bool:
        if self.dialect == "duckdb":
            sql = "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?"
            params: list[Any] = [name]
        else:
            sql = (
                "SELECT count(*) AS n FROM information_schema.tables "
                "WHERE table_schema = ? AND table_name = ?"
            )
            params = [self.target.database, name]
        try:
            return bool(self.query(sql, params)[0]["n"])
        except WarehouseError as exc:
            if "empty" in str(exc):
                return False
            raise

    def create_tables(self, *tables: Table) -> None:
        """Create ``tables`` (from :mod:`touchline.tables`) where missing."""
        with self.connect() as conn:
            if self.dialect == "duckdb":
                for table in tables:
                    conn.execute(table.ddl("duckdb"))
            else:
                with conn.cursor() as cur:
                    for table in tables:
                        create_table_mysql(cur, table)
                conn.commit()

    def ensure_raw_tables(self) -> None:
        self.create_tables(RAW_HITS)
