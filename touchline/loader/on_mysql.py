"""Loading into MySQL/MariaDB: ``LOAD DATA LOCAL INFILE`` of the rows to load.

The server's JSON functions take 70-110 µs per line for the 34 fields of a hit
(about 10,000 hits/s on our 2-core machines, a fifth of the target), so the
landed NDJSON is read by the same DuckDB SQL as the DuckDB warehouse's
(:mod:`touchline.loader.scan`), in an in-memory DuckDB inside the loader with
a memory limit (it spills to a temporary directory). Its result, the
deduplicated rows, goes to the server as CSV chunks of a few files each:
while the server takes one chunk with ``LOAD DATA``, DuckDB writes the next.
The days' old rows are deleted and the chunks loaded in one transaction.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from touchline.loader import scan
from touchline.loader.files import Landed
from touchline.loader.window import LoadWindow
from touchline.warehouse import RAW_COLUMNS, RAW_HITS_TABLE, Warehouse, raw_hits_ddl

# Landed bytes per chunk: large enough that a chunk's fixed costs vanish,
# small enough that the temporary files stay small and the server starts early.
CHUNK_BYTES = 64 * 1024 * 1024

_TEXT_COLUMNS = [
    c
    for c in RAW_COLUMNS
    if c not in (*scan.TIMESTAMP_COLUMNS, *scan.BOOLEAN_COLUMNS)
    and c not in ("contract_version", "account", "loaded_at", "event_date")
]
# Tab-separated, NULL as \N, and a backslash, tab or newline inside a value
# escaped with a backslash, as the server's own SELECT ... INTO OUTFILE writes
# them. (Quoted CSV needs no escaping but costs the server a quarter more.)
_FORMAT = "FORMAT csv, DELIMITER '\t', QUOTE '', ESCAPE '', HEADER false, NULLSTR '\\N'"
_LOAD_DATA = (
    f"LOAD DATA LOCAL INFILE %s INTO TABLE {RAW_HITS_TABLE} CHARACTER SET utf8mb4 "
    "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
    f"LINES TERMINATED BY '\\n' ({', '.join(RAW_COLUMNS)})"
)
_SPECIAL = "'([\\\\\t\n])'"  # a regex class: backslash, tab, newline
# Most rows hold none of them: one test of the row's text spares escaping each value.
_PLAIN = (
    ", NOT regexp_matches(concat("
    + ", ".join("CAST(properties AS VARCHAR)" if c == "properties" else c for c in _TEXT_COLUMNS)
    + f"), {_SPECIAL}) AS tl_plain"
)
_VALUES = {
    **{c: "strftime({column}, '%Y-%m-%d %H:%M:%S.%f')" for c in scan.TIMESTAMP_COLUMNS},
    "loaded_at": "strftime({column}, '%Y-%m-%d %H:%M:%S.%f')",
    **{c: "CAST({column} AS INTEGER)" for c in scan.BOOLEAN_COLUMNS},
    **{
        c: "CASE WHEN s.tl_plain THEN {column} "
        f"ELSE regexp_replace({{column}}, {_SPECIAL}, '\\\\\\1', 'g') END"
        for c in _TEXT_COLUMNS
    },
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load(
    warehouse: Warehouse, account: str, window: LoadWindow, landed: Landed, loaded_at: datetime
) -> scan.DayStats:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="touchline-load-") as tmp:
        duck = duckdb.connect(":memory:")
        try:
            duck.execute(f"SET temp_directory = {_literal(os.path.join(tmp, 'spill'))}")
            scan.configure(duck, landed)
            stats = scan.scan(duck, account, window, landed) if landed.files else {}
            tied = scan.tied(duck) if landed.files else []
            chunks = _Chunks(duck, tmp, account, window, landed, loaded_at)
            try:
                counts = _replace_days(warehouse, account, window, chunks, tied)
            finally:
                chunks.stop()
        finally:
            duck.close()
    for day, rows in counts:
        lines, unreadable, _ = stats.get(day, (0, 0, 0))
        stats[day] = (lines, unreadable, rows)
    return stats


class _Chunks:
    """Writes the CSV chunks in a thread, at most two ahead of the server."""

    def __init__(
        self,
        duck: Any,
        tmp: str,
        account: str,
        window: LoadWindow,
        landed: Landed,
        loaded_at: datetime,
    ) -> None:
        self._queue: queue.Queue[str | BaseException | None] = queue.Queue(maxsize=1)
        self._stopped = threading.Event()
        params = {"account": account, "start": window.start, "end": window.end}
        self._jobs = [
            (os.path.join(tmp, f"rows-{n}.tsv"), [landed.url(f) for f in files])
            for n, files in enumerate(landed.window_chunks(CHUNK_BYTES))
        ]
        # Sorted by hit id, a chunk extends the server's (account, day, hit id)
        # index in order instead of at random places: a third less server time.
        rows = scan.rows_sql(window, _VALUES, _PLAIN)
        self._sql = f"COPY ({rows} ORDER BY hit_id) TO $target ({_FORMAT})"
        self._params = {**params, "loaded_at": loaded_at}
        self._duck = duck
        self._thread = threading.Thread(target=self._run, name="touchline-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for target, files in self._jobs:
                if self._stopped.is_set():
                    return
                sql = self._sql.replace("$target", _literal(target))
                scan.without_side_swap(self._duck, sql, {**self._params, "files": files})
                self._put(target)
            self._put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the loading thread
            self._put(exc)

    def _put(self, item: str | BaseException | None) -> None:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[str]:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            os.remove(item)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._duck.interrupt()
        self._thread.join()


def _replace_days(
    warehouse: Warehouse,
    account: str,
    window: LoadWindow,
    chunks: _Chunks,
    tied: list[tuple[str, int]],
) -> list[tuple[date, int]]:
    days = (account, window.start, window.end)
    where = "account = %s AND event_date BETWEEN %s AND %s"
    with warehouse.connect() as conn:
        with conn.cursor() as cur:
            for ddl in raw_hits_ddl(warehouse.dialect):
                cur.execute(ddl)  # before the transaction: DDL commits implicitly
            cur.execute(f"DELETE FROM {RAW_HITS_TABLE} WHERE {where}", days)
            for path in chunks:
                cur.execute(_LOAD_DATA, (path,))
            for hit_id, copies in tied:
                # The same line twice in one file: both copies came through.
                cur.execute(
                    f"DELETE FROM {RAW_HITS_TABLE} WHERE {where} AND hit_id = %s LIMIT %s",
                    (*days, hit_id, copies - 1),
                )
            cur.execute(
                f"SELECT event_date, count(*) FROM {RAW_HITS_TABLE} WHERE {where} "
                "GROUP BY event_date",
                days,
            )
            counts = list(cur.fetchall())
        conn.commit()
    return counts
