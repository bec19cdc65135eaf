"""Loading into DuckDB: the warehouse reads the landed files itself (``read_json``)."""

from __future__ import annotations

from datetime import datetime

from touchline.loader import scan
from touchline.loader.files import Landed
from touchline.loader.window import LoadWindow
from touchline.tables import RAW_HITS
from touchline.warehouse import Warehouse


def load(
    warehouse: Warehouse, account: str, window: LoadWindow, landed: Landed, loaded_at: datetime
) -> scan.DayStats:
    """Replace the window's days of the account in raw_hits, in one transaction."""
    days = {"account": account, "start": window.start, "end": window.end}
    with warehouse.connect() as conn:
        scan.configure(conn, landed)
        conn.execute(RAW_HITS.ddl("duckdb"))
        stats = scan.scan(conn, account, window, landed) if landed.files else {}
        conn.execute("BEGIN TRANSACTION")
        conn.execute(
            f"DELETE FROM {RAW_HITS.name} WHERE account = $account "
            "AND event_date BETWEEN $start AND $end",
            days,
        )
        if landed.window:
            insert = f"INSERT INTO {RAW_HITS.name} ({', '.join(RAW_HITS.column_names)}) "
            params = {"loaded_at": loaded_at, **days}
            files = [landed.url(f) for f in landed.window]
            for sql, group in scan.row_jobs(conn, scan.rows_sql(window), [files]):
                scan.without_side_swap(conn, insert + sql, {**params, "files": group})
        counts = conn.execute(
            f"SELECT event_date, count(*) FROM {RAW_HITS.name} WHERE account = $account "
            "AND event_date BETWEEN $start AND $end GROUP BY 1",
            days,
        ).fetchall()
        conn.execute("COMMIT")
    for day, rows in counts:
        lines, unreadable, _ = stats.get(day, (0, 0, 0))
        stats[day] = (lines, unreadable, rows)
    return stats
