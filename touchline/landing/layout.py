"""The landing zone's layout: where a hit's file goes, which hour a file holds,
which local days an hour touches, and the listing of an account's files.

``<root>/<account>/<yyyy>/<mm>/<dd>/<hh>/<instance>-<seq>.ndjson``, where the
date and hour are the hit's skew-corrected event time (UTC). The writer, the
loader, the landing sensor and the nightly schedule all read the layout here.

The root may be a local path or an fsspec URL (object storage).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import fsspec

SUFFIX = ".ndjson"

_HOUR_PATH = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+\.ndjson$")


def account_folder(root: str, account: str) -> str:
    return f"{root.rstrip('/')}/{account}"


def hour_folder(root: str, account: str, when: datetime) -> str:
    # Not strftime: this runs for every hit, and strftime costs several times more.
    return (
        f"{root.rstrip('/')}/{account}/{when.year:04d}/{when.month:02d}/"
        f"{when.day:02d}/{when.hour:02d}"
    )


def file_name(instance: str, seq: int) -> str:
    """One writer's ``seq``-th file in a folder."""
    return f"{instance}-{seq:05d}{SUFFIX}"


def day_glob(root: str, account: str, day: date) -> str:
    """Every file of one account's UTC day folder."""
    return f"{root.rstrip('/')}/{account}/{day:%Y/%m/%d}/*/*{SUFFIX}"


def hour_of_path(path: str) -> datetime | None:
    """The start of the UTC hour a landed file's folder names (naive, UTC), or
    None for a path outside the layout."""
    match = _HOUR_PATH.search(path)
    if match is None:
        return None
    try:
        return datetime(*(int(g) for g in match.groups()))  # type: ignore[misc]
    except ValueError:
        return None


def local_days_of_utc_hour(hour_start: datetime, tz: str) -> set[date]:
    """The local days that the UTC hour [hour_start, hour_start + 1 h) overlaps
    (two of them in a zone with a half-hour offset). A naive time is UTC."""
    if hour_start.tzinfo is None:
        hour_start = hour_start.replace(tzinfo=timezone.utc)
    zone = ZoneInfo(tz)
    first = hour_start.astimezone(zone).date()
    last = (hour_start + timedelta(hours=1) - timedelta(microseconds=1)).astimezone(zone).date()
    return {first, last}


def filesystem(root: str) -> fsspec.AbstractFileSystem:
    fs, _ = fsspec.core.url_to_fs(root)
    return fs


def day_files(fs: fsspec.AbstractFileSystem, root: str, account: str, day: date) -> dict[str, Any]:
    """The files of one account's UTC day folder with fsspec's details (size),
    by path as fsspec lists it (no protocol)."""
    return fs.glob(day_glob(root, account, day), detail=True)


@dataclass(frozen=True)
class ListedFile:
    path: str
    modified: datetime  # UTC


def _modified(info: dict[str, Any]) -> datetime:
    mtime = info.get("mtime") or info.get("LastModified") or info.get("last_modified")
    if isinstance(mtime, (int, float)):
        return datetime.fromtimestamp(mtime, tz=timezone.utc)
    if isinstance(mtime, datetime):
        return mtime if mtime.tzinfo else mtime.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)  # unknown: treat as new, never lose it


def landed_files(landing_root: str, account: str) -> list[ListedFile]:
    """Every landed file of the account with its modification time."""
    fs = filesystem(landing_root)
    folder = account_folder(landing_root, account)
    if not fs.exists(folder):
        return []
    return [
        ListedFile(path, _modified(info))
        for path, info in fs.find(folder, detail=True).items()
        if path.endswith(SUFFIX)
    ]


def newest_file_by_day(files: Iterable[ListedFile], tz: str) -> dict[date, datetime]:
    """For each local day in ``tz``, when the newest file of an hour it overlaps
    was modified."""
    newest: dict[date, datetime] = {}
    for file in files:
        hour = hour_of_path(file.path)
        if hour is None:
            continue
        for day in local_days_of_utc_hour(hour, tz):
            if day not in newest or file.modified > newest[day]:
                newest[day] = file.modified
    return newest
