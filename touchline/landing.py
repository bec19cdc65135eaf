"""The landing zone: append-only NDJSON files, one folder per account and hour.

Layout: ``<root>/<account>/<yyyy>/<mm>/<dd>/<hh>/<instance>-<seq>.ndjson``, where
the date and hour are the hit's skew-corrected event time (UTC). A partition
(account, day) is therefore exactly one folder, and a hit that arrives late
lands in the folder of the day it happened, where the next materialisation of
that day (the restatement window) picks it up.

Each collector process writes only its own files (the instance name includes
host and pid), so any number of processes can append side by side without
locks between them.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import fsspec

from touchline.contract import LandedHit

MAX_FILE_BYTES = 64 * 1024 * 1024


def hour_folder(root: str, account: str, when: datetime) -> str:
    return f"{root.rstrip('/')}/{account}/{when:%Y/%m/%d/%H}"


def day_glob(root: str, account: str, day: date) -> str:
    return f"{root.rstrip('/')}/{account}/{day:%Y/%m/%d}/*/*.ndjson"


def instance_name(configured: str | None = None) -> str:
    """Host (or the configured name) and pid: each process owns its files."""
    return f"{configured or socket.gethostname()}-{os.getpid()}"


class LandingWriter:
    """Appends hits and returns only once the bytes are handed to the filesystem."""

    def __init__(self, root: str, instance: str | None = None, fsync: bool = False) -> None:
        self.root = root
        self._instance = instance
        self._fsync = fsync
        self._lock = threading.Lock()
        # folder -> (current file, bytes in it); saves a mkdir and a stat per hit
        self._current: dict[str, tuple[str, int]] = {}
        fs, _ = fsspec.core.url_to_fs(root)
        if not isinstance(fs, fsspec.implementations.local.LocalFileSystem):
            # Object stores cannot append; they take the spool-and-ship writer (later issue).
            raise ValueError(
                f"the collector can append only to a local or mounted landing root, not {root!r}"
            )

    @property
    def instance(self) -> str:
        # Resolved lazily: gunicorn forks workers after the app is built.
        return instance_name(self._instance)

    def _path(self, folder: str, incoming: int) -> str:
        current = self._current.get(folder)
        if current is not None and current[1] + incoming <= MAX_FILE_BYTES:
            path = current[0]
            self._current[folder] = (path, current[1] + incoming)
            return path
        Path(folder).mkdir(parents=True, exist_ok=True)
        seq = 0
        while True:
            path = f"{folder}/{self.instance}-{seq:05d}.ndjson"
            size = os.path.getsize(path) if os.path.exists(path) else 0
            if size == 0 or size + incoming <= MAX_FILE_BYTES:
                self._current[folder] = (path, size + incoming)
                return path
            seq += 1

    def write(self, hits: list[LandedHit]) -> None:
        by_folder: dict[str, list[str]] = {}
        for hit in hits:
            folder = hour_folder(self.root, hit.account, hit.event_at)
            by_folder.setdefault(folder, []).append(hit.model_dump_json() + "\n")
        with self._lock:
            for folder, lines in by_folder.items():
                # One write() of whole lines on an O_APPEND file: a reader never
                # sees half a line from another process in the middle of ours.
                data = "".join(lines).encode()
                path = self._path(folder, len(data))
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                except FileNotFoundError:  # the folder was removed under us
                    self._current.pop(folder, None)
                    fd = os.open(
                        self._path(folder, len(data)), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644
                    )
                try:
                    os.write(fd, data)
                    if self._fsync:
                        os.fsync(fd)
                finally:
                    os.close(fd)


@dataclass
class PartitionRead:
    hits: list[dict]
    files: int
    lines: int
    duplicates: int
    unreadable: int


def read_partition(root: str, account: str, day: date) -> PartitionRead:
    """Every hit landed for one account and day, each hit id once (first received wins)."""
    fs, _ = fsspec.core.url_to_fs(root)
    files = sorted(fs.glob(day_glob(root, account, day)))
    seen: dict[str, dict] = {}
    lines = duplicates = unreadable = 0
    for path in files:
        with fs.open(path, "rb") as handle:
            for raw in handle:
                if not raw.endswith(b"\n"):
                    continue  # still being written; the next load takes it
                lines += 1
                try:
                    hit = json.loads(raw)
                    hit_id = hit["hit_id"]
                except (ValueError, KeyError, TypeError):
                    unreadable += 1
                    continue
                kept = seen.get(hit_id)
                if kept is None:
                    seen[hit_id] = hit
                else:
                    duplicates += 1
                    if hit.get("received_at", "") < kept.get("received_at", ""):
                        seen[hit_id] = hit
    return PartitionRead(list(seen.values()), len(files), lines, duplicates, unreadable)


def iter_accounts_with_data(root: str) -> Iterator[str]:
    fs, _ = fsspec.core.url_to_fs(root)
    if not fs.exists(root):
        return
    for entry in fs.ls(root, detail=False):
        yield entry.rstrip("/").rsplit("/", 1)[-1]
