"""The collector's writer of the landing zone: append-only NDJSON files, one
folder per account and hour (the layout is :mod:`touchline.landing.layout`).

The date and hour of a hit's folder are its skew-corrected event time (UTC). A partition
(account, day) is therefore exactly one folder, and a hit that arrives late
lands in the folder of the day it happened, where the next materialisation of
that day (the restatement window) picks it up.

Each collector process writes only its own files (the instance name includes
host, pid and a random nonce), so any number of processes, hosts and
containers can append side by side without locks between them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import fsspec

from touchline.contract import LandedHit
from touchline.landing.layout import file_name, hour_folder

MAX_FILE_BYTES = 64 * 1024 * 1024
# A file is closed after this long, so a loader that reads only settled files
# (or a backup) is never more than this behind.
MAX_FILE_AGE = 300.0

FsyncPolicy = Literal["always", "interval", "never"]
FSYNC_POLICIES: tuple[str, ...] = ("always", "interval", "never")


class LandingUnavailable(OSError):
    """The landing zone cannot take the hits now (disk full, permissions, I/O error)."""


def instance_name(configured: str | None = None) -> str:
    """Host (or the configured name), pid and a random nonce drawn per process.

    Host and pid alone collide between containers (every container's first
    process may be pid 1 on a host name that an orchestrator reuses); 48
    random bits make that a non-event, and files are created with O_EXCL
    so a collision could never interleave two writers anyway.
    """
    host = re.sub(r"[^A-Za-z0-9_.-]", "_", configured or socket.gethostname())[:64]
    return f"{host}-{os.getpid()}-{secrets.token_hex(6)}"


@dataclass
class _OpenFile:
    fd: int
    path: str
    size: int
    opened_at: float


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return  # removed meanwhile: nothing of it left to make durable
    except OSError as exc:
        raise LandingUnavailable(exc.errno, f"fsync failed: {exc.strerror}") from None
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some file systems cannot sync a directory (EINVAL); their names are durable
        # by other means (or never), and refusing every hit would help nobody.
        if exc.errno != errno.EINVAL:
            raise LandingUnavailable(exc.errno, f"fsync failed: {exc.strerror}") from None
    finally:
        os.close(fd)


class LandingWriter:
    """Appends hits; returns only once they are written under the fsync policy.

    * ``always``: fsync before returning (group commit: concurrent requests
      share one fsync), the folders that got a new file or folder included,
      since a file's fsync does not make its name durable. A 2xx survives a
      crash of the process, the host or the power.
    * ``interval``: fsync at most ``fsync_interval`` seconds later by a
      background thread. A 2xx survives a crash of the process (the bytes are
      in the kernel); a power loss may take the last interval.
    * ``never``: leave it to the kernel (tests, benchmarks).

    Each process writes only files it created (name from :func:`instance_name`),
    one ``write()`` of whole lines per folder per call; a failed write is cut
    back to the last whole line, so a reader never sees half a hit.
    """

    def __init__(
        self,
        root: str,
        instance: str | None = None,
        fsync: FsyncPolicy | bool = "interval",
        *,
        max_bytes: int = MAX_FILE_BYTES,
        max_age: float = MAX_FILE_AGE,
        fsync_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(fsync, bool):
            fsync = "always" if fsync else "never"
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync policy must be one of {', '.join(FSYNC_POLICIES)}")
        self.root = root
        self.fsync = fsync
        self._configured = instance
        self._max_bytes = max_bytes
        self._max_age = max_age
        self._fsync_interval = fsync_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._pid = -1
        self._root_dir = root.rstrip("/") or "/"
        fs, _ = fsspec.core.url_to_fs(root)
        if not isinstance(fs, fsspec.implementations.local.LocalFileSystem):
            # Object stores cannot append; they take the spool-and-ship writer (later issue).
            raise ValueError(
                f"the collector can append only to a local or mounted landing root, not {root!r}"
            )
        self._reset()

    def _reset(self) -> None:
        # Called in every new process: descriptors inherited over fork belong to
        # the parent's files, and two processes must never share a file.
        self._pid = os.getpid()
        self._instance = instance_name(self._configured)
        self._files: dict[str, _OpenFile] = {}
        self._seq = 0
        self._written_gen = 0
        self._synced_gen = 0
        self._dirty: dict[int, _OpenFile] = {}
        self._dirty_dirs: set[str] = set()
        self._last_sweep = self._clock()
        if self.fsync == "interval":
            threading.Thread(target=self._sync_forever, daemon=True, name="landing-fsync").start()

    @property
    def instance(self) -> str:
        if self._pid != os.getpid():
            with self._lock:
                self._reset()
        return self._instance

    # -- files ---------------------------------------------------------------------

    def _open_new(self, folder: str) -> _OpenFile:
        syncing = self.fsync != "never"
        if not os.path.isdir(folder):
            Path(folder).mkdir(parents=True, exist_ok=True)
            # The new folders' own entries must reach the disk too: up to the root.
            parent = os.path.dirname(folder)
            while syncing and len(parent) >= len(self._root_dir) and parent not in self._dirty_dirs:
                self._dirty_dirs.add(parent)
                parent = os.path.dirname(parent)
        while True:
            self._seq += 1
            path = f"{folder}/{file_name(self._instance, self._seq)}"
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
            except FileExistsError:
                continue
            if syncing:  # fsync of a file does not make its name durable; the folder's does
                self._dirty_dirs.add(folder)
            return _OpenFile(fd, path, 0, self._clock())

    def _close(self, folder: str) -> None:
        handle = self._files.pop(folder, None)
        if handle is None:
            return
        try:
            if handle.fd in self._dirty and self.fsync != "never":
                os.fsync(handle.fd)
        except OSError:
            pass
        finally:
            self._dirty.pop(handle.fd, None)
            os.close(handle.fd)

    def _file_for(self, folder: str, incoming: int, now: float) -> _OpenFile:
        handle = self._files.get(folder)
        if handle is not None and (
            (handle.size and handle.size + incoming > self._max_bytes)
            or now - handle.opened_at > self._max_age
        ):
            self._close(folder)
            handle = None
        if handle is None:
            handle = self._files[folder] = self._open_new(folder)
        return handle

    def _sweep(self, now: float) -> None:
        """Close files not rotated by traffic (last hour's folders)."""
        self._last_sweep = now
        for folder, handle in list(self._files.items()):
            if now - handle.opened_at > self._max_age:
                self._close(folder)

    def _append(self, folder: str, data: bytes, now: float) -> None:
        handle = self._file_for(folder, len(data), now)
        start = handle.size
        view = memoryview(data)
        written = 0
        try:
            while written < len(data):
                written += os.write(handle.fd, view[written:])
        except OSError as exc:
            try:
                if written:
                    os.ftruncate(handle.fd, start)
            except OSError:
                # Cannot cut the partial line off: abandon the file, so that no
                # later hit is glued to it. The loader skips an unterminated last line.
                pass
            self._close(folder)
            raise LandingUnavailable(exc.errno, f"landing write failed: {exc.strerror}") from None
        handle.size += written
        self._dirty[handle.fd] = handle

    # -- the public part -----------------------------------------------------------

    def write(self, hits: Iterable[LandedHit]) -> int:
        """Append the hits; raises :class:`LandingUnavailable` with nothing half-written."""
        by_folder: dict[str, list[bytes]] = {}
        for hit in hits:
            folder = hour_folder(self.root, hit.account, hit.event_at)
            by_folder.setdefault(folder, []).append(hit.model_dump_json().encode() + b"\n")
        return self.write_lines(by_folder)

    def write_lines(self, by_folder: dict[str, list[bytes]]) -> int:
        """Whole NDJSON lines (UTF-8, each ending in a newline) by hour folder."""
        if self._pid != os.getpid():
            with self._lock:
                self._reset()
        count = 0
        with self._lock:
            now = self._clock()
            try:
                for folder, lines in by_folder.items():
                    self._append(folder, b"".join(lines), now)
                    count += len(lines)
            except FileNotFoundError as exc:  # the folder was removed under us
                raise LandingUnavailable(exc.errno, "landing folder vanished") from None
            except LandingUnavailable:
                raise
            except OSError as exc:  # mkdir/open: permissions, read-only, not a directory
                raise LandingUnavailable(exc.errno, f"landing zone: {exc.strerror}") from None
            if now - self._last_sweep > 60:
                self._sweep(now)
            self._written_gen += 1
            generation = self._written_gen
        if self.fsync == "always":
            self._sync(generation)
        return count

    def _sync(self, generation: int) -> None:
        # Group commit: whoever gets the lock syncs everything written so far,
        # and those who waited behind it find their generation already synced.
        with self._sync_lock:
            if self._synced_gen >= generation:
                return
            with self._lock:
                target = self._written_gen
                handles = list(self._dirty.values())
                self._dirty.clear()
                folders = sorted(self._dirty_dirs, key=len, reverse=True)  # deepest first
                self._dirty_dirs.clear()
            for handle in handles:
                try:
                    os.fsync(handle.fd)
                except OSError as exc:
                    if exc.errno == errno.EBADF:
                        continue  # rotated meanwhile; _close synced it before closing
                    raise LandingUnavailable(exc.errno, f"fsync failed: {exc.strerror}") from None
            for folder in folders:
                _fsync_dir(folder)
            self._synced_gen = target

    def _sync_forever(self) -> None:
        pid = os.getpid()
        while os.getpid() == pid:
            time.sleep(self._fsync_interval)
            # A failure shows up in the next write; this thread must live on.
            with contextlib.suppress(OSError):
                self._sync(self._written_gen)

    def close(self) -> None:
        with self._lock:
            for folder in list(self._files):
                self._close(folder)
