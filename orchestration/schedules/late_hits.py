"""Which local days received landed files since they were last loaded.

The landing zone is in UTC hours; an account's partitions are its local days.
A file in hour folder H holds hits of every local day that hour overlaps (two
of them in a zone with a half-hour offset), so a new file marks those days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import fsspec

_HOUR_PATH = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+\.ndjson$")


def local_days_of_utc_hour(hour_start: datetime, tz: str) -> set[date]:
    """The local days that the UTC hour [hour_start, hour_start + 1 h) overlaps."""
    zone = ZoneInfo(tz)
    first = hour_start.astimezone(zone).date()
    last = (hour_start + timedelta(hours=1) - timedelta(microseconds=1)).astimezone(zone).date()
    return {first, last}


def hour_of_path(path: str) -> datetime | None:
    match = _HOUR_PATH.search(path)
    if not match:
        return None
    y, m, d, h = (int(g) for g in match.groups())
    try:
        return datetime(y, m, d, h, tzinfo=timezone.utc)
    except ValueError:
        return None


@dataclass(frozen=True)
class LandedFile:
    path: str
    modified: datetime  # UTC


def landed_files(landing_root: str, account: str) -> list[LandedFile]:
    """Every landed file of the account with its modification time."""
    fs, _ = fsspec.core.url_to_fs(landing_root)
    folder = f"{landing_root.rstrip('/')}/{account}"
    if not fs.exists(folder):
        return []
    found = []
    for path, info in fs.find(folder, detail=True).items():
        if not path.endswith(".ndjson"):
            continue
        mtime = info.get("mtime") or info.get("LastModified") or info.get("last_modified")
        if isinstance(mtime, (int, float)):
            modified = datetime.fromtimestamp(mtime, tz=timezone.utc)
        elif isinstance(mtime, datetime):
            modified = mtime if mtime.tzinfo else mtime.replace(tzinfo=timezone.utc)
        else:
            modified = datetime.now(timezone.utc)  # unknown: treat as new, never lose it
        found.append(LandedFile(path, modified))
    return found


def newest_file_by_day(files: Iterable[LandedFile], tz: str) -> dict[date, datetime]:
    newest: dict[date, datetime] = {}
    for file in files:
        hour = hour_of_path(file.path)
        if hour is None:
            continue
        for day in local_days_of_utc_hour(hour, tz):
            if day not in newest or file.modified > newest[day]:
                newest[day] = file.modified
    return newest


def days_needing_load(
    newest_by_day: Mapping[date, datetime],
    last_loaded: Mapping[date, datetime],
    before: date,
) -> list[date]:
    """Days before ``before`` whose newest file is newer than their last load
    (or that were never loaded)."""
    return sorted(
        day
        for day, newest in newest_by_day.items()
        if day < before and (day not in last_loaded or newest > last_loaded[day])
    )


@dataclass(frozen=True)
class NightlyRange:
    start: date
    end: date
    late_days_outside_window: tuple[date, ...]


def nightly_range(
    today: date, late_days: Iterable[date], late_window_days: int, restatement_days: int = 0
) -> NightlyRange:
    """The one range a nightly run of an account covers: yesterday, every earlier
    day with late hits inside the late-data window, and the restatement window.
    Late days older than the window are returned to be reported, not loaded."""
    yesterday = today - timedelta(days=1)
    start = yesterday - timedelta(days=max(restatement_days - 1, 0))
    oldest_late = yesterday - timedelta(days=late_window_days)
    late = sorted(set(late_days))
    inside = [d for d in late if oldest_late <= d <= yesterday]
    outside = tuple(d for d in late if d < oldest_late)
    if inside:
        start = min(start, inside[0])
    return NightlyRange(start, yesterday, outside)
