"""Reading landed NDJSON with DuckDB and deciding, in SQL, which lines to load.

Used by both warehouses: on DuckDB it runs in the warehouse itself; for
MySQL/MariaDB it runs in an in-memory DuckDB inside the loader (with a memory
limit, spilling to disk), whose output the server then takes with
``LOAD DATA``. Either way one set of SQL decides what a load holds, so both
warehouses hold the same rows for the same landed files.

1. :func:`scan`: a narrow read (hit id, account, the two times) of the
   window's and the margin's files into ``tl_lines`` counts each day's lines
   and, among the hit ids with more than one copy (a small share), lists the
   copies that are not the first received (compared as timestamps, whatever
   their offset or precision) in ``tl_dropped``.
2. :func:`rows_sql`: a wide read of the window's files: every readable line of
   the days but those in ``tl_dropped``, as raw_hits rows.

``read_json`` gets every column explicitly as text (``properties`` as JSON),
so no line's content can change how the others are read; a line that is not
a JSON object comes back as a row of NULLs, which is how it is counted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from typing import Any

from touchline.contract import RAW_HIT_COLUMNS
from touchline.loader.files import Landed
from touchline.loader.window import LoadWindow

# DuckDB spills beyond its memory limit (to its temp directory), which keeps
# the loader's memory flat however many hits a day holds. read_json holds
# buffers per thread: the limit grows with the threads (a fixed 256 MB failed
# with DuckDB's out-of-memory error at 3 threads), and the threads are capped
# so that a many-core machine still loads in a few hundred MB.
MAX_THREADS = 4
BASE_MEMORY_MB, THREAD_MEMORY_MB = 128, 64


def loader_threads(cpus: int | None = None) -> int:
    return max(1, min(cpus if cpus is not None else (os.cpu_count() or 1), MAX_THREADS))


def memory_limit(threads: int) -> str:
    return f"{BASE_MEMORY_MB + THREAD_MEMORY_MB * threads}MB"


LANDED_COLUMNS = tuple(c for c in RAW_HIT_COLUMNS if c != "loaded_at")
TIMESTAMP_COLUMNS = ("event_at", "received_at", "sent_at", "client_ts")
BOOLEAN_COLUMNS = ("is_bot", "dnt")

# Every landed field but the ones the copies share, event time first.
_TIE_ORDER = ", ".join(
    f"u.{c} NULLS LAST"
    for c in ("event_at", *(c for c in LANDED_COLUMNS if c not in ("event_at", "hit_id")))
    if c != "account"
)

DayStats = dict[date, tuple[int, int, int]]  # day: (lines, unreadable, rows)


def configure(conn: Any, landed: Landed, threads: int | None = None) -> None:
    """Session settings every load needs (``threads``: as many as the cores, capped)."""
    if not landed.local:
        conn.register_filesystem(landed.fs)
    # Times with an offset are converted to UTC, and naive results are UTC.
    conn.execute("SET TimeZone = 'UTC'")
    threads = threads or loader_threads()
    conn.execute(f"SET threads = {threads}")
    conn.execute(f"SET memory_limit = '{memory_limit(threads)}'")
    conn.execute("SET preserve_insertion_order = false")


def ts(column: str) -> str:
    # Through TIMESTAMPTZ so that an offset is applied (a plain TIMESTAMP cast
    # drops it); the session time zone is UTC, so the result is naive UTC.
    return f"TRY_CAST(TRY_CAST({column} AS TIMESTAMPTZ) AS TIMESTAMP)"


def read_json(columns: Sequence[str]) -> str:
    spec = ", ".join(f"'{c}': '{'JSON' if c == 'properties' else 'VARCHAR'}'" for c in columns)
    return (
        "read_json($files, format = 'newline_delimited', columns = {" + spec + "}, "
        "ignore_errors = true, filename = true, hive_partitioning = false)"
    )


def scan(conn: Any, account: str, window: LoadWindow, landed: Landed) -> DayStats:
    """The narrow read into tl_lines and tl_dropped; each day's (lines, unreadable).
    ``landed`` must hold at least one file.

    Also fills tl_tied: hit ids of which the very same line (same window file,
    same received_at) is there twice, which the anti join cannot tell apart;
    the caller loads them through :func:`one_of_tied_sql`."""
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE tl_files "
        "(path VARCHAR, file_no INTEGER, in_window BOOLEAN, hour_day DATE)"
    )
    conn.executemany(
        "INSERT INTO tl_files VALUES (?, ?, ?, ?)",
        [
            (landed.url(f), n, f.in_window, window.hour_day(f.hour))
            for n, f in enumerate(landed.files)
        ],
    )
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE tl_lines AS
        SELECT f.file_no, l.hit_id, l.received_at, l.event_ts,
            coalesce(l.hit_id <> '' AND l.account = $account AND l.event_ts IS NOT NULL, false)
                AS readable
        FROM (
            SELECT filename, hit_id, account, received_at, {ts("event_at")} AS event_ts
            FROM {read_json(("hit_id", "account", "received_at", "event_at"))}
        ) l
        JOIN tl_files f ON f.path = l.filename
        """,
        {"files": [landed.url(f) for f in landed.files], "account": account},
    )
    # Ranked only where a hit id has several copies: a small share of the lines.
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE tl_ranked AS
        WITH several AS (
            SELECT hit_id FROM tl_lines WHERE readable GROUP BY hit_id HAVING count(*) > 1
        )
        SELECT l.hit_id, l.file_no, l.received_at,
            row_number() OVER w AS n,
            first_value(l.file_no) OVER w AS kept_file,
            first_value(l.received_at) OVER w AS kept_received
        FROM tl_lines l SEMI JOIN several c ON c.hit_id = l.hit_id
        WHERE l.readable
        WINDOW w AS (
            PARTITION BY l.hit_id
            ORDER BY {ts("l.received_at")} NULLS LAST, l.event_ts, l.file_no
        )
        """
    )
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE tl_dropped AS
        SELECT r.hit_id, f.path, r.received_at
        FROM tl_ranked r JOIN tl_files f ON f.file_no = r.file_no AND f.in_window
        WHERE r.n > 1
            AND NOT (r.file_no = r.kept_file AND r.received_at IS NOT DISTINCT FROM r.kept_received)
        """
    )
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE tl_tied AS
        SELECT r.hit_id, any_value(f.path) AS path, count(*) AS copies
        FROM tl_ranked r JOIN tl_files f ON f.file_no = r.file_no AND f.in_window
        WHERE r.file_no = r.kept_file AND r.received_at IS NOT DISTINCT FROM r.kept_received
        GROUP BY r.hit_id HAVING count(*) > 1
        """
    )
    local_day = window.local_day_sql("l.event_ts", "duckdb")
    stats: DayStats = {}
    for day, lines, unreadable in conn.execute(
        f"""
        SELECT CASE WHEN l.readable THEN {local_day} ELSE f.hour_day END AS day,
            count(*), count(*) FILTER (WHERE NOT l.readable)
        FROM tl_lines l JOIN tl_files f ON f.file_no = l.file_no AND f.in_window
        GROUP BY 1
        """
    ).fetchall():
        stats[day] = (lines, unreadable, 0)
    # The wide read needs only the short lists: give the memory back to it.
    conn.execute("DROP TABLE tl_ranked")
    conn.execute("DROP TABLE tl_lines")
    return stats


def tied_files(conn: Any) -> list[str]:
    """The files holding a hit id twice with the same ``received_at`` (rare)."""
    return [p for (p,) in conn.execute("SELECT DISTINCT path FROM tl_tied ORDER BY 1").fetchall()]


def row_jobs(conn: Any, rows: str, groups: list[list[str]]) -> list[tuple[str, list[str]]]:
    """(query, files) pairs that together give every row to load, each once:
    ``rows`` without the tied hit ids per group of window files, then one row
    per tied hit id from the files holding them."""
    jobs = [(untied_sql(rows), files) for files in groups]
    if tied := tied_files(conn):
        jobs.append((one_of_tied_sql(rows), tied))
    return jobs


def untied_sql(rows: str) -> str:
    """``rows`` (a :func:`rows_sql`) without the hit ids of tl_tied."""
    return f"SELECT * FROM ({rows}) u ANTI JOIN tl_tied t ON t.hit_id = u.hit_id"


def one_of_tied_sql(rows: str) -> str:
    """One row per hit id of tl_tied, from ``rows`` over the files of
    :func:`tied_files`. Which copy is kept does not depend on the order of the
    lines: one batch carrying a hit id twice can hold two different hits."""
    return f"""
        SELECT * FROM ({rows}) u SEMI JOIN tl_tied t ON t.hit_id = u.hit_id
        QUALIFY row_number() OVER (PARTITION BY u.hit_id ORDER BY {_TIE_ORDER}) = 1
    """


def rows_sql(window: LoadWindow, values: dict[str, str] | None = None, derived: str = "") -> str:
    """SELECT of the rows to load, typed as raw_hits' columns (``loaded_at`` and
    ``event_date`` last), from ``$files`` (the window's files); parameters
    ``$account``, ``$start``, ``$end``, ``$loaded_at``. ``values`` overrides
    the expression of some columns by name (``{column}`` stands for the typed
    value); ``derived`` adds ``, expression AS name`` items next to the landed
    fields (``s.name``) for them to use.

    Run it with the optimizer's build_side_probe_side disabled (see
    :func:`without_side_swap`): the anti join's small side is tl_dropped."""
    typed = {c: _typed(c) for c in LANDED_COLUMNS}
    typed["loaded_at"] = "$loaded_at"
    typed["event_date"] = "s.tl_day"
    if values:
        for column, template in values.items():
            typed[column] = template.format(column=typed[column])
    local_day = window.local_day_sql("tl_event", "duckdb")
    return f"""
        SELECT {", ".join(f"{expr} AS {column}" for column, expr in typed.items())}
        FROM (
            SELECT *, {local_day} AS tl_day{derived}
            FROM (SELECT *, {ts("event_at")} AS tl_event FROM {read_json(LANDED_COLUMNS)})
        ) s
        ANTI JOIN tl_dropped d ON d.hit_id = s.hit_id AND d.path = s.filename
            AND d.received_at IS NOT DISTINCT FROM s.received_at
        WHERE s.account = $account AND s.hit_id <> '' AND s.tl_event IS NOT NULL
            AND s.tl_day BETWEEN $start AND $end
    """


def without_side_swap(conn: Any, sql: str, params: dict[str, Any]) -> None:
    # DuckDB cannot estimate how many rows read_json yields and would hash the
    # wide side of the anti join; keep the written order (tl_dropped is built).
    conn.execute("SET disabled_optimizers = 'build_side_probe_side'")
    try:
        conn.execute(sql, params)
    finally:
        conn.execute("RESET disabled_optimizers")


def _typed(column: str) -> str:
    if column == "event_at":
        return "s.tl_event"
    if column in TIMESTAMP_COLUMNS:
        return ts(f"s.{column}")
    if column == "contract_version":
        return "TRY_CAST(s.contract_version AS INTEGER)"
    if column in BOOLEAN_COLUMNS:
        return f"TRY_CAST(s.{column} AS BOOLEAN)"
    if column == "properties":
        return "CAST(COALESCE(s.properties, '{}') AS VARCHAR)"
    if column == "account":
        return "$account"
    return f"s.{column}"
