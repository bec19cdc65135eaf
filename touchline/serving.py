"""The serving copy of the marts: what the report API reads on DuckDB.

DuckDB admits one writer per file, and while a process writes a file no other
process may open it, not even to read; a reader's read-only lock in turn stops
a writer from opening it. Reports therefore never read the warehouse file.
After each build, :func:`publish` copies every mart (each ``fct_`` and ``dim_``
relation) with DuckDB itself into a NEW file in the serving directory next to
the warehouse::

    <data dir>/warehouse.duckdb
    <data dir>/warehouse.serving/CURRENT                  one line: the current file
    <data dir>/warehouse.serving/serving-<UTC time>-<random>.duckdb

and then makes it current by atomically replacing the pointer file
``CURRENT`` (written to a temporary name, fsynced, ``os.replace``). A file is
never written again once published, so:

* a build never waits for readers: it writes the warehouse and a file no
  reader has open;
* a reader never waits for a build: it opens the file ``CURRENT`` names,
  read-only, and nobody ever writes that file;
* a reader sees one published copy, whole: the old marts or the new ones.

Old files are deleted by the next publish once they have been retired for
longer than ``keep_seconds``. A reader that still has one open keeps reading
it (an unlinked file lives until its last descriptor is closed).

No Dagster and no Flask here: orchestration calls :func:`publish`, the API
reads through :class:`SnapshotReader`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from touchline.warehouse import WarehouseBusy, WarehouseError

log = logging.getLogger(__name__)

MART_PREFIXES = ("fct_", "dim_")
POINTER = "CURRENT"
LOCK_FILE = ".publish.lock"
# A retired copy stays on disk this long, for readers that resolved the pointer
# just before it moved (and for file systems that cannot unlink an open file).
DEFAULT_KEEP_SECONDS = 600
# A copy newer than the current one that never became current is what a crashed
# publish left behind; a running publish of a big warehouse may take minutes.
ABANDONED_SECONDS = 24 * 3600
METADATA_TABLE = "_touchline_serving"
# A copy that could not be opened is tried again after this long.
RETRY_OPEN_SECONDS = 5.0

_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
_NAME = re.compile(r"^serving-(\d{8}T\d{12}Z)-[0-9a-f]{8}\.duckdb$")


class NoSnapshot(WarehouseError):
    """Nothing has been published yet."""


def is_mart(name: str) -> bool:
    return name.startswith(MART_PREFIXES)


def serving_dir(warehouse_path: str | os.PathLike[str]) -> Path:
    """``/data/warehouse.duckdb`` → ``/data/warehouse.serving``."""
    path = Path(warehouse_path)
    return path.with_name(path.stem + ".serving")


@dataclass(frozen=True)
class Snapshot:
    """One published copy of the marts."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def published_at(self) -> datetime:
        """When the copy was taken: the marts as they were at that moment."""
        return _time_of(self.name)


def _time_of(name: str) -> datetime:
    match = _NAME.match(name)
    if match is None:
        raise WarehouseError(f"{name!r} is not the name of a serving copy")
    return datetime.strptime(match.group(1), _TIME_FORMAT).replace(tzinfo=timezone.utc)


def current(directory: Path) -> Snapshot | None:
    """The copy readers should read now, or None before the first publish."""
    try:
        name = (directory / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _NAME.match(name):
        raise WarehouseError("the serving copy's pointer is damaged: run `touchline publish`")
    return Snapshot(directory / name)


@dataclass(frozen=True)
class Published:
    snapshot: Snapshot
    tables: dict[str, int]  # mart -> rows
    seconds: float
    bytes: int
    removed: list[Path] = field(default_factory=list)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _attach_read_only(conn: Any, warehouse_path: str, busy_timeout: float) -> None:
    """ATTACH the warehouse, waiting (bounded) while another process writes it."""
    import duckdb

    deadline = time.monotonic() + busy_timeout
    delay = 0.05
    while True:
        try:
            conn.execute(f"ATTACH {_literal(warehouse_path)} AS warehouse (READ_ONLY)")
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"cannot open the warehouse to publish it: {exc}") from None
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    "the warehouse stayed busy with another build; nothing was published"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def _copy_marts(target: Path, warehouse_path: str, busy_timeout: float) -> dict[str, int]:
    import duckdb

    conn = duckdb.connect(str(target))
    try:
        _attach_read_only(conn, warehouse_path, busy_timeout)
        names = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = 'warehouse' AND table_schema = 'main' ORDER BY table_name"
            ).fetchall()
            if is_mart(row[0])
        ]
        tables: dict[str, int] = {}
        # One transaction: every mart is read from the same state of the warehouse
        # (no other process can write it while it is attached here anyway).
        conn.execute("BEGIN TRANSACTION")
        for name in names:
            # A view (dim_users) becomes a table: readers must not need the
            # staging views or raw tables behind it.
            conn.execute(
                f"CREATE TABLE main.{_quote(name)} AS SELECT * FROM warehouse.main.{_quote(name)}"
            )
            tables[name] = int(conn.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0])
        _copy_session_sources(conn)
        conn.execute(
            f"CREATE TABLE {METADATA_TABLE} "
            "(mart VARCHAR, row_count BIGINT, published_at TIMESTAMP)"
        )
        published_at = _time_of(target.name).replace(tzinfo=None)
        for name, rows in tables.items():
            conn.execute(
                f"INSERT INTO {METADATA_TABLE} VALUES (?, ?, ?)", [name, rows, published_at]
            )
        conn.execute("COMMIT")
        conn.execute("DETACH warehouse")
        # Everything in the file itself, no write-ahead log beside it: readers
        # open it read-only and could not replay one.
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return tables


def _copy_session_sources(conn: Any) -> None:
    """The channel-rule preview's input (touchline.channel_preview): the last 30
    days of sessions grouped by the fields a rule reads, since the sessions
    themselves are no mart and the API never opens the warehouse file."""
    from touchline.channel_preview import (
        SESSION_SOURCES,
        SESSIONS_MODEL,
        needed_columns,
        session_sources_sql,
    )

    columns = {
        row[0]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = "
            "'warehouse' AND table_schema = 'main' AND table_name = ?",
            [SESSIONS_MODEL],
        ).fetchall()
    }
    if not needed_columns() <= columns:
        # No sessions built yet: the preview answers that it has nothing to count.
        return
    source = f"warehouse.main.{_quote(SESSIONS_MODEL)}"
    conn.execute(f"CREATE TABLE main.{SESSION_SOURCES} AS {session_sources_sql(source)}")


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _point_to(directory: Path, snapshot: Snapshot) -> None:
    tmp = directory / f".{POINTER}.{secrets.token_hex(4)}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(snapshot.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, directory / POINTER)  # the switch: atomic on POSIX and Windows
    _fsync(directory, directory=True)


def publish(
    warehouse_path: str | os.PathLike[str],
    keep_seconds: float = DEFAULT_KEEP_SECONDS,
    busy_timeout: float = 60.0,
) -> Published:
    """Copy every mart of the warehouse into a new serving file and make it current.

    Call it when no build writes the warehouse (the orchestration runs it in
    the warehouse pool, after the dbt step). On any failure nothing changes
    for readers: the file being written is removed and the pointer stays.
    """
    started = time.monotonic()
    source = Path(warehouse_path)
    if not source.exists():
        raise WarehouseError("the warehouse is empty: no partition has been materialised yet")
    directory = serving_dir(source)
    directory.mkdir(parents=True, exist_ok=True)
    with _publishing(directory, busy_timeout):
        now = datetime.now(timezone.utc)
        snapshot = Snapshot(
            directory / f"serving-{now.strftime(_TIME_FORMAT)}-{secrets.token_hex(4)}.duckdb"
        )
        try:
            tables = _copy_marts(snapshot.path, str(source), busy_timeout)
            _fsync(snapshot.path)
            _point_to(directory, snapshot)
        except BaseException:
            if current(directory) != snapshot:
                _remove(snapshot.path)
            raise
        removed = collect_garbage(directory, keep_seconds)
    return Published(
        snapshot=snapshot,
        tables=tables,
        seconds=time.monotonic() - started,
        bytes=snapshot.path.stat().st_size,
        removed=removed,
    )


@contextlib.contextmanager
def _publishing(directory: Path, timeout: float) -> Iterator[None]:
    """One publish at a time per serving directory (a run and ``touchline
    publish`` may overlap), so the pointer only ever moves to a newer copy."""
    import fcntl

    with open(directory / LOCK_FILE, "a+b") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        "another publish of the marts is still running; nothing was published"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove(path: Path) -> bool:
    removed = False
    for candidate in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
            removed = True
    return removed


def collect_garbage(
    directory: Path, keep_seconds: float = DEFAULT_KEEP_SECONDS, now: float | None = None
) -> list[Path]:
    """Delete copies retired more than ``keep_seconds`` ago; never the current one.

    A copy is retired when the next one was written (that file's mtime: it is
    made current right after its last write).
    """
    now = time.time() if now is None else now
    snapshot = current(directory)
    if snapshot is None:
        return []
    files = sorted(p for p in directory.iterdir() if _NAME.match(p.name))
    removed = []
    for index, path in enumerate(files):
        if path.name == snapshot.name:
            continue
        try:
            if path.name < snapshot.name:
                retired_at = files[index + 1].stat().st_mtime
                expired = now - retired_at > keep_seconds
            else:
                expired = now - path.stat().st_mtime > ABANDONED_SECONDS
        except FileNotFoundError:  # another publisher's collection got there first
            continue
        # Windows cannot delete a file a reader has open: left for the next round.
        if expired:
            try:
                if _remove(path):
                    removed.append(path)
            except OSError:
                continue
    return removed


@dataclass
class _Open:
    snapshot: Snapshot
    conn: Any
    users: int = 0
    retired: bool = False


class SnapshotReader:
    """Reads the current serving copy of one warehouse, for many threads.

    Opening a DuckDB file costs tens of milliseconds (much more on a busy
    machine), so one read-only connection per copy is kept and each read gets
    its own cursor. When the pointer moves, a background thread opens the new
    copy while reads go on from the old one, whole; reads switch to the new
    copy once it is open, and the old connection is closed when its last read
    ends. No read ever waits for a publish or for an open, except the very
    first read of the process.
    """

    def __init__(self, warehouse_path: str | os.PathLike[str]) -> None:
        self.directory = serving_dir(warehouse_path)
        self._lock = threading.Lock()
        self._open: _Open | None = None
        self._opening: str | None = None  # the copy a background thread is opening
        self._failed: tuple[str, float] | None = None  # (copy, when) of the last failed open

    def _acquire(self) -> _Open:
        for _ in range(3):
            snapshot = current(self.directory)
            if snapshot is None:
                raise NoSnapshot("no report data yet: materialise a partition first")
            with self._lock:
                entry = self._open
                if entry is not None:
                    if entry.snapshot.name < snapshot.name:
                        self._open_later(snapshot)
                    entry.users += 1
                    return entry
            # The first read of this process: there is nothing else to read.
            try:
                conn = _connect_read_only(snapshot.path)
            except FileNotFoundError:
                continue  # the pointer moved on and the file is gone: read it again
            with self._lock:
                self._install(snapshot, conn)
                entry = self._open
                assert entry is not None
                entry.users += 1
                return entry
        raise WarehouseError("the current serving copy is missing: run `touchline publish`")

    def _open_later(self, snapshot: Snapshot) -> None:
        """Start opening ``snapshot`` in the background (called with the lock held)."""
        failed = self._failed
        recently_failed = (
            failed is not None
            and failed[0] == snapshot.name
            and time.monotonic() - failed[1] < RETRY_OPEN_SECONDS
        )
        if self._opening is not None or recently_failed:
            return
        self._opening = snapshot.name
        threading.Thread(
            target=self._open_in_background, args=(snapshot,), name="serving-open", daemon=True
        ).start()

    def _open_in_background(self, snapshot: Snapshot) -> None:
        try:
            conn = _connect_read_only(snapshot.path)
        except Exception as exc:  # reads go on from the copy already open
            log.warning("cannot open the serving copy %s yet: %s", snapshot.name, exc)
            with self._lock:
                self._opening = None
                self._failed = (snapshot.name, time.monotonic())
            return
        with self._lock:
            self._opening = None
            self._install(snapshot, conn)

    def _install(self, snapshot: Snapshot, conn: Any) -> None:
        """Make ``conn`` the copy new reads use, unless one as new is open (lock held)."""
        entry = self._open
        if entry is not None and entry.snapshot.name >= snapshot.name:
            conn.close()
            return
        if entry is not None:
            self._retire(entry)
        self._open = _Open(snapshot, conn)

    def _retire(self, entry: _Open) -> None:
        entry.retired = True
        if entry.users == 0:
            entry.conn.close()

    def _release(self, entry: _Open) -> None:
        with self._lock:
            entry.users -= 1
            if entry.retired and entry.users == 0:
                entry.conn.close()

    @contextlib.contextmanager
    def cursor(self) -> Iterator[tuple[Snapshot, Any]]:
        """(the copy, a DuckDB cursor on it) for one read."""
        entry = self._acquire()
        try:
            cur = entry.conn.cursor()
            try:
                yield entry.snapshot, cur
            finally:
                cur.close()
        finally:
            self._release(entry)

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[Snapshot, list[dict[str, Any]]]:
        with self.cursor() as (snapshot, cur):
            result = cur.execute(sql, list(params))
            names = [d[0] for d in result.description]
            return snapshot, [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def table_exists(self, name: str) -> bool:
        try:
            with self.cursor() as (_, cur):
                found = cur.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
                ).fetchone()
        except NoSnapshot:
            return False
        return bool(found[0])

    def close(self) -> None:
        with self._lock:
            if self._open is not None:
                self._retire(self._open)
                self._open = None


def _connect_read_only(path: Path) -> Any:
    import duckdb

    if not path.exists():
        raise FileNotFoundError(path)
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        if not path.exists():
            raise FileNotFoundError(path) from None
        log.error("cannot open the serving copy %s: %s", path, exc)
        raise WarehouseError(
            "cannot open the current serving copy of the marts; the details are in the log"
        ) from None
