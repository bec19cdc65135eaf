"""A bulk writer for the warehouse tables the attribution assets write
(declared in touchline.tables, which dbt's on-run-start creates too).

Writes are set-based: the rows go to a temporary file that the warehouse reads
itself (DuckDB ``read_csv``, MySQL/MariaDB ``LOAD DATA LOCAL INFILE``), and the
old rows are deleted in the same transaction.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from touchline.tables import COMPUTED_TABLES, RAW_HITS, Table
from touchline.warehouse import Warehouse


def ensure_tables(warehouse: Warehouse) -> None:
    # the attribution assets read raw_hits
    warehouse.create_tables(RAW_HITS, *COMPUTED_TABLES)


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
    types = ", ".join(f"'{n}': '{d}'" for n, d in table.column_types("duckdb").items())
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
