"""Landed hits → ``raw_hits`` for an account's range of local days, inside the warehouse.

The landed NDJSON is read and deduplicated in SQL by DuckDB: the warehouse
itself on DuckDB; for MySQL and MariaDB an in-memory DuckDB in the loader,
whose rows the server takes with ``LOAD DATA LOCAL INFILE``. Python only lists
the files and counts what the warehouse reports, so the loader's memory does
not grow with the hits of a day.

* A day is the account's local calendar day; loading it reads the UTC hour
  folders it spans, plus a margin on each side for earlier copies of a hit
  (:mod:`touchline.loader.window` states the rule).
* A hit id is loaded once per account: its first received copy
  (``received_at`` compared as a time, whatever its offset or precision).
* A line that is not a whole JSON object of this account with a ``hit_id`` and
  a valid ``event_at`` (garbage, a cut-off line, another account's hit) is
  skipped and counted as unreadable; it never fails the load.
* The range's rows of the account are deleted and inserted in one transaction:
  loading twice holds each hit once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from touchline.loader.files import find_landed
from touchline.loader.window import RETRY_MARGIN, LoadWindow
from touchline.warehouse import Warehouse

__all__ = ["RETRY_MARGIN", "DayLoad", "load_hits"]

_UTC = timezone.utc


@dataclass(frozen=True)
class DayLoad:
    account: str
    day: date  # the account's local day
    rows: int  # hits in raw_hits for the day after the load
    landed_files: int  # files in the hour folders the day spans
    landed_lines: int  # their lines of this day (unreadable ones by their folder's hour)
    duplicates: int  # readable lines of the day not loaded: another copy was first
    unreadable: int


def load_hits(
    warehouse: Warehouse, landing_root: str, account: str, timezone: str, start: date, end: date
) -> list[DayLoad]:
    """Make raw_hits hold the account's landed hits of local days ``start..end``."""
    window = LoadWindow.of(timezone, start, end)
    landed = find_landed(landing_root, account, window)
    loaded_at = datetime.now(_UTC).replace(tzinfo=None)
    if warehouse.dialect == "duckdb":
        from touchline.loader import on_duckdb as backend
    else:
        from touchline.loader import on_mysql as backend  # type: ignore[no-redef]
    stats = backend.load(warehouse, account, window, landed, loaded_at)
    loads = []
    for day in window.days:
        lines, unreadable, rows = stats.get(day, (0, 0, 0))
        files = sum(1 for f in landed.window if day in window.days_of_hour(f.hour))
        loads.append(
            DayLoad(account, day, rows, files, lines, lines - unreadable - rows, unreadable)
        )
    return loads
