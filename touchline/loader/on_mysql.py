"""Loading into MySQL/MariaDB: ``LOAD DATA LOCAL INFILE`` of the rows to load.

The server's JSON functions take 70-110 µs per line for the 34 fields of a hit
(about 10,000 hits/s on our 2-core machines, a fifth of the target), so the
landed NDJSON is read by the same DuckDB SQL as the DuckDB warehouse's
(:mod:`touchline.loader.scan`), in an in-memory DuckDB inside the loader with
a memory limit (it spills to a temporary directory). Its result, the
deduplicated rows, goes to the server as tab-separated chunks of a few files
each.

The server's side runs in a thread of its own from the start: it deletes the
days' old rows while DuckDB scans, then takes each chunk with ``LOAD DATA``
while DuckDB writes the next ones, and commits once, so a reader sees the old
days or the new ones.
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
from touchline.tables import RAW_HITS
from touchline.warehouse import Warehouse, create_table_mysql

# Landed bytes per chunk: large enough that a chunk's fixed costs vanish,
# small enough that the temporary files stay small and the server starts early.
CHUNK_BYTES = 64 * 1024 * 1024

_TEXT_COLUMNS = [
    c
    for c in RAW_HITS.column_names
    if c not in (*scan.TIMESTAMP_COLUMNS, *scan.BOOLEAN_COLUMNS)
    and c not in ("contract_version", "account", "loaded_at", "event_date")
]
# Tab-separated, NULL as \N, and a backslash, tab or newline inside a value
# escaped with a backslash, as the server's own SELECT ... INTO OUTFILE writes
# them. (Quoted CSV needs no escaping but costs the server a quarter more.)
_FORMAT = "FORMAT csv, DELIMITER '\t', QUOTE '', ESCAPE '', HEADER false, NULLSTR '\\N'"
_LOAD_DATA = (
    f"LOAD DATA LOCAL INFILE %s INTO TABLE {RAW_HITS.name} CHARACTER SET utf8mb4 "
    "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
    f"LINES TERMINATED BY '\\n' ({', '.join(RAW_HITS.column_names)})"
)
# Most rows hold no backslash, tab or newline: one test of the row's text
# spares escaping each value (contains() is a memchr; a regex costs 4x more).
_ALL_TEXT = (
    "concat("
    + ", ".join("CAST(properties AS VARCHAR)" if c == "properties" else c for c in _TEXT_COLUMNS)
    + ")"
)
_PLAIN = (
    f", NOT (contains({_ALL_TEXT}, '\\') OR contains({_ALL_TEXT}, chr(9)) "
    f"OR contains({_ALL_TEXT}, chr(10))) AS tl_plain"
)
_SPECIAL = "'([\\\\\t\n])'"  # a regex class: backslash, tab, newline
_VALUES = {
    # DuckDB's own text of a timestamp ('2026-11-20 10:00:00.05') is what the
    # server reads, at a fifth of strftime's cost.
    **{c: "CAST({column} AS VARCHAR)" for c in (*scan.TIMESTAMP_COLUMNS, "loaded_at")},
    **{c: "CAST({column} AS INTEGER)" for c in scan.BOOLEAN_COLUMNS},
    **{
        c: "CASE WHEN s.tl_plain THEN {column} "
        f"ELSE regexp_replace({{column}}, {_SPECIAL}, '\\\\\\1', 'g') END"
        for c in _TEXT_COLUMNS
    },
}
# Chunks DuckDB may write ahead of the server (a few tens of MB each on disk):
# enough to keep DuckDB busy while the server deletes the days' old rows.
CHUNKS_AHEAD = 8


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load(
    warehouse: Warehouse, account: str, window: LoadWindow, landed: Landed, loaded_at: datetime
) -> scan.DayStats:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="touchline-load-") as tmp:
        server = _ServerSide(warehouse, account, window)
        try:
            duck = duckdb.connect(":memory:")
            try:
                duck.execute(f"SET temp_directory = {_literal(os.path.join(tmp, 'spill'))}")
                # The server takes a core of its own for LOAD DATA: DuckDB on
                # both cores of our machines slowed it more than DuckDB gained
                # (21.6 -> 17.5 s for a million hits with one thread).
                scan.configure(duck, landed, threads=max(1, scan.loader_threads() - 1))
                stats = scan.scan(duck, account, window, landed) if landed.files else {}
                for day, path in _write_chunks(duck, tmp, account, window, landed, loaded_at):
                    server.take((day, path))
            finally:
                duck.close()
            counts = server.commit()
        finally:
            server.stop()
    for day, rows in counts:
        lines, unreadable, _ = stats.get(day, (0, 0, 0))
        stats[day] = (lines, unreadable, rows)
    return stats


def _write_chunks(
    duck: Any, tmp: str, account: str, window: LoadWindow, landed: Landed, loaded_at: datetime
) -> Iterator[tuple[date, str]]:
    """The rows to load as tab-separated files, a few landed files at a time,
    one file per local day (so that the server's count of what it took is a
    day's count: counting the rows afterwards, inside the transaction, costs
    the server a visibility check of every row)."""
    if not landed.window:
        return
    params = {"account": account, "start": window.start, "end": window.end}
    rows = scan.rows_sql(window, _VALUES, _PLAIN)
    groups = [[landed.url(f) for f in files] for files in landed.window_chunks(CHUNK_BYTES)]
    jobs = scan.row_jobs(duck, rows, groups)
    for n, (sql, files) in enumerate(jobs):
        target = os.path.join(tmp, f"rows-{n}")
        copy = (
            f"COPY ({sql}) TO {_literal(target)} "
            f"({_FORMAT}, PARTITION_BY (event_date), WRITE_PARTITION_COLUMNS true)"
        )
        scan.without_side_swap(duck, copy, {**params, "loaded_at": loaded_at, "files": files})
        if not os.path.isdir(target):
            continue  # no rows in these files
        for folder in sorted(os.listdir(target)):
            day = date.fromisoformat(folder.removeprefix("event_date="))
            for name in sorted(os.listdir(os.path.join(target, folder))):
                yield day, os.path.join(target, folder, name)


_DONE, _GIVEN_UP = "done", "given up"


class _ServerSide:
    """One connection and one transaction in a thread: delete the days' rows,
    then ``LOAD DATA`` each chunk handed over, counting the rows it took."""

    def __init__(self, warehouse: Warehouse, account: str, window: LoadWindow) -> None:
        self._queue: queue.Queue[tuple[date, str] | None] = queue.Queue(maxsize=CHUNKS_AHEAD)
        self._stopped = threading.Event()
        self._error: BaseException | None = None
        self._counts: dict[date, int] = {}
        self._args = (warehouse, (account, window.start, window.end))
        self._thread = threading.Thread(target=self._run, name="touchline-load", daemon=True)
        self._thread.start()

    def take(self, chunk: tuple[date, str] | None) -> None:
        """Hand a day's chunk over (None: that was all); the file is removed once
        loaded. Waits while the server is behind."""
        while True:
            self._raise_if_failed()
            try:
                self._queue.put(chunk, timeout=0.2)
                return
            except queue.Full:
                continue

    def commit(self) -> list[tuple[date, int]]:
        """Wait for the server to load every chunk and commit; each day's rows."""
        self.take(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return sorted(self._counts.items())

    def stop(self) -> None:
        """Roll back unless committed (the server finishes its current statement first)."""
        self._stopped.set()
        self._thread.join()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
        if not self._thread.is_alive():
            raise RuntimeError("the warehouse connection of the load ended before the load")

    def _next(self) -> tuple[date, str] | str:
        while not self._stopped.is_set():
            try:
                return self._queue.get(timeout=0.2) or _DONE
            except queue.Empty:
                continue
        return _GIVEN_UP

    def _run(self) -> None:
        warehouse, days = self._args
        where = "account = %s AND event_date BETWEEN %s AND %s"
        try:
            with warehouse.connect() as conn:
                with conn.cursor() as cur:
                    # before the transaction: DDL commits implicitly
                    create_table_mysql(cur, RAW_HITS)
                    cur.execute(f"DELETE FROM {RAW_HITS.name} WHERE {where}", days)
                    while isinstance(chunk := self._next(), tuple):
                        day, path = chunk
                        cur.execute(_LOAD_DATA, (path,))
                        self._counts[day] = self._counts.get(day, 0) + cur.rowcount
                        os.remove(path)
                if chunk == _GIVEN_UP:
                    conn.rollback()
                    return
                conn.commit()
        except BaseException as exc:  # noqa: BLE001 - raised in the loading thread
            self._error = exc
