"""The warehouse tables the attribution assets write, and a bulk writer.

dbt creates the same tables empty on every run (dbt_project/macros/touchline/
computed_tables.sql), so a dbt build never misses one; keep the two in step.
Writes are set-based: the rows go to a temporary file that the warehouse reads
itself (DuckDB ``read_csv``, MySQL/MariaDB ``LOAD DATA LOCAL INFILE``), and the
old rows are deleted in the same transaction.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from touchline.warehouse import Warehouse


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str, str], ...]  # (name, duckdb type, mysql type)
    index: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c[0] for c in self.columns)

    def ddl(self, dialect: str) -> str:
        if dialect == "duckdb":
            cols = ", ".join(f"{n} {d}" for n, d, _ in self.columns)
            return f"CREATE TABLE IF NOT EXISTS {self.name} ({cols})"
        cols = ", ".join(f"{n} {m}" for n, _, m in self.columns)
        index = f"KEY ix_{self.name}_{self.index[-1]} ({', '.join(self.index)})"
        return (
            f"CREATE TABLE IF NOT EXISTS {self.name} ({cols}, {index}) "
            "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        )


ACCOUNT_CHANNEL_RULES = Table(
    "account_channel_rules",
    (
        ("account", "VARCHAR", "VARCHAR(64)"),
        ("rule_position", "INTEGER", "INT"),
        ("condition_position", "INTEGER", "INT"),
        ("field", "VARCHAR", "VARCHAR(32)"),
        ("operator", "VARCHAR", "VARCHAR(16)"),
        ("value", "VARCHAR", "VARCHAR(512)"),
        ("channel", "VARCHAR", "VARCHAR(64)"),
    ),
    ("account",),
)
ACCOUNT_ATTRIBUTION_SETTINGS = Table(
    "account_attribution_settings",
    (
        ("account", "VARCHAR", "VARCHAR(64)"),
        ("timezone", "VARCHAR", "VARCHAR(64)"),
        ("currency", "VARCHAR", "CHAR(3)"),
        ("lookback_days", "INTEGER", "INT"),
        ("fit_days", "INTEGER", "INT"),
        ("view_through_hours", "INTEGER", "INT"),
    ),
    ("account",),
)
IDENTITY_MAP = Table(
    "identity_map",
    (
        ("account", "VARCHAR", "VARCHAR(64)"),
        ("visitor_id", "VARCHAR", "VARCHAR(128)"),
        ("person_id", "VARCHAR", "VARCHAR(64)"),
    ),
    ("account", "visitor_id"),
)
ATTRIBUTION_RESTATEMENTS = Table(
    "attribution_restatements",
    (
        ("account", "VARCHAR", "VARCHAR(64)"),
        ("restate_start", "DATE", "DATE"),
        ("restate_end", "DATE", "DATE"),
        ("planned_at", "TIMESTAMP", "DATETIME(6)"),
    ),
    ("account",),
)
ATTRIBUTION_PATH_CREDITS = Table(
    "attribution_path_credits",
    (
        ("account", "VARCHAR", "VARCHAR(64)"),
        ("period_start", "DATE", "DATE"),
        ("model", "VARCHAR", "VARCHAR(16)"),
        ("path_key", "VARCHAR", "CHAR(32)"),
        ("touch_position", "INTEGER", "INT"),
        ("channel", "VARCHAR", "VARCHAR(64)"),
        ("conversion_share", "DOUBLE", "DOUBLE"),
        ("value_share", "DOUBLE", "DOUBLE"),
    ),
    ("account", "period_start", "path_key", "touch_position"),
)
TABLES = (
    ACCOUNT_CHANNEL_RULES,
    ACCOUNT_ATTRIBUTION_SETTINGS,
    IDENTITY_MAP,
    ATTRIBUTION_RESTATEMENTS,
    ATTRIBUTION_PATH_CREDITS,
)


def ensure_tables(warehouse: Warehouse) -> None:
    warehouse.ensure_raw_tables()  # the attribution assets read raw_hits
    with warehouse.connect() as conn:
        for table in TABLES:
            if warehouse.dialect == "duckdb":
                conn.execute(table.ddl("duckdb"))
            else:
                with conn.cursor() as cur:
                    cur.execute(table.ddl(warehouse.dialect))
        if warehouse.dialect != "duckdb":
            conn.commit()


def _tsv_field(value: Any) -> str:
    """A field of LOAD DATA's default text format: \\N is NULL, backslash escapes."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _csv_field(value: Any) -> str:
    """A bare empty field is NULL to DuckDB's reader; every text is quoted (so an
    empty text stays empty, and commas and newlines inside it are safe)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace('"', '""') + '"'


def replace_rows(
    warehouse: Warehouse,
    table: Table,
    rows: Iterable[Sequence[Any]],
    where: str,
    params: Sequence[Any],
) -> int:
    """Delete ``table``'s rows matching ``where`` (``?`` placeholders) and insert
    ``rows`` (tuples in the table's column order), in one transaction."""
    names = table.column_names
    count = 0
    with tempfile.TemporaryDirectory() as tmp, warehouse.connect() as conn:
        path = os.path.join(tmp, "rows")
        if warehouse.dialect == "duckdb":
            with open(path, "w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(",".join(_csv_field(v) for v in row) + "\n")
                    count += 1
            _duckdb_replace(conn, table, path, where, params, count)
        else:
            with open(path, "w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write("\t".join(_tsv_field(v) for v in row) + "\n")
                    count += 1
            with conn.cursor() as cur:
                cur.execute(f"DELETE FROM {table.name} WHERE {where.replace('?', '%s')}", params)
                if count:
                    cur.execute(
                        f"LOAD DATA LOCAL INFILE %s INTO TABLE {table.name} "
                        "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
                        f"LINES TERMINATED BY '\\n' ({', '.join(names)})",
                        (path,),
                    )
            conn.commit()
    return count


def _duckdb_replace(conn, table: Table, path: str, where: str, params, count: int) -> None:
    types = ", ".join(f"'{n}': '{d}'" for n, d, _ in table.columns)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"DELETE FROM {table.name} WHERE {where}", list(params))
        if count:
            conn.execute(
                f"INSERT INTO {table.name} ({', '.join(table.column_names)}) "
                f"SELECT * FROM read_csv(?, header = false, quote = '\"', escape = '\"', "
                f"columns = {{{types}}}, allow_quoted_nulls = false)",
                [path],
            )
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def execute(warehouse: Warehouse, sql: str, params: Sequence[Any] = ()) -> None:
    """One write statement with ``?`` placeholders, committed."""
    with warehouse.connect() as conn:
        if warehouse.dialect == "duckdb":
            conn.execute(sql, list(params))
        else:
            with conn.cursor() as cur:
                cur.execute(sql.replace("%", "%%").replace("?", "%s"), list(params))
            conn.commit()
