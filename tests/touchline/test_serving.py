"""The serving copy of the marts on real DuckDB files: what is published, how
readers switch copies, what is deleted when, and what a busy warehouse does."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.support.processes import run_touchline
from touchline.serving import (
    ABANDONED_SECONDS,
    LOCK_FILE,
    METADATA_TABLE,
    POINTER,
    Snapshot,
    SnapshotReader,
    collect_garbage,
    current,
    publish,
    serving_dir,
)
from touchline.warehouse import WarehouseBusy, WarehouseError


def build_warehouse(path: Path, sessions: int) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE OR REPLACE TABLE raw_hits AS SELECT 'h1' AS hit_id")
        conn.execute(
            "CREATE OR REPLACE TABLE int_sessions AS SELECT 'acme' AS account, 's1' AS session_id"
        )
        conn.execute(
            "CREATE OR REPLACE TABLE fct_channel_daily AS "
            f"SELECT 'acme' AS account, DATE '2026-11-20' AS date_day, {sessions} AS sessions"
        )
        conn.execute(
            "CREATE OR REPLACE VIEW dim_users AS SELECT 'acme' AS account, hit_id FROM raw_hits"
        )


def sessions(reader: SnapshotReader) -> int:
    _, rows = reader.query("SELECT sessions FROM fct_channel_daily")
    return rows[0]["sessions"]


def read_until(reader: SnapshotReader, copy: Snapshot, old_sessions: int) -> int:
    """Read until the reader has switched to ``copy`` (it opens it in the
    background); every read before that is the old copy, whole."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        snapshot, rows = reader.query("SELECT sessions FROM fct_channel_daily")
        if snapshot == copy:
            return rows[0]["sessions"]
        assert rows[0]["sessions"] == old_sessions
        time.sleep(0.01)
    raise AssertionError(f"the reader never switched to {copy.name}")


def test_publish_copies_every_mart_and_nothing_else(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse, sessions=5)
    done = publish(warehouse)
    assert done.tables == {"dim_users": 1, "fct_channel_daily": 1}
    directory = serving_dir(warehouse)
    assert directory == tmp_path / "warehouse.serving"
    assert (directory / POINTER).read_text().strip() == done.snapshot.name
    assert current(directory) == done.snapshot
    # Complete in itself: no write-ahead log beside it, a view became a table.
    assert sorted(p.name for p in directory.iterdir()) == [LOCK_FILE, POINTER, done.snapshot.name]
    with duckdb.connect(str(done.snapshot.path), read_only=True) as conn:
        tables = dict(
            conn.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall()
        )
        assert tables == {
            "dim_users": "BASE TABLE",
            "fct_channel_daily": "BASE TABLE",
            METADATA_TABLE: "BASE TABLE",
        }
        assert conn.execute(f"SELECT sum(row_count) FROM {METADATA_TABLE}").fetchone()[0] == 2


def test_readers_switch_to_a_new_copy_and_finish_on_the_old_one(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse, sessions=5)
    first = publish(warehouse)
    reader = SnapshotReader(warehouse)
    assert sessions(reader) == 5
    # A build changes the warehouse: readers see nothing of it until it is published.
    build_warehouse(warehouse, sessions=7)
    assert sessions(reader) == 5
    with reader.cursor() as (snapshot, in_flight):
        assert snapshot == first.snapshot
        # The next build publishes and, with no grace period, deletes the old copy
        # while this read still has it open.
        second = publish(warehouse, keep_seconds=0)
        assert second.removed == [first.snapshot.path]
        assert not first.snapshot.path.exists()
        assert read_until(reader, second.snapshot, 5) == 7  # new reads go to the new copy
        row = in_flight.execute("SELECT sessions FROM fct_channel_daily").fetchone()
        assert row == (5,)  # the read in flight finishes on the copy it started on
    assert second.snapshot.published_at > first.snapshot.published_at
    snapshot, _ = reader.query("SELECT 1")
    assert snapshot == second.snapshot
    # The old copy's connection was closed with its last read: the file is
    # gone from the process, not only from the directory.
    held = [p for p in Path(f"/proc/{os.getpid()}/fd").iterdir() if "serving-" in _target(p)]
    assert [_target(p) for p in held] == [str(second.snapshot.path)]
    reader.close()


def _target(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:
        return ""


def test_retired_copies_are_deleted_after_the_grace_period(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse, sessions=1)
    copies = [publish(warehouse, keep_seconds=3600).snapshot for _ in range(3)]
    directory = serving_dir(warehouse)
    assert all(c.path.exists() for c in copies)
    # A copy a crashed publish left behind, newer than the current one.
    abandoned = directory / "serving-29990101T000000000000Z-0123abcd.duckdb"
    abandoned.write_bytes(b"")
    now = time.time()
    assert collect_garbage(directory, keep_seconds=3600, now=now) == []
    # Once retired for longer than the grace period, the old copies go; the
    # current one never does.
    removed = collect_garbage(directory, keep_seconds=60, now=now + 120)
    assert removed == [copies[0].path, copies[1].path]
    assert copies[2].path.exists() and current(directory) == copies[2]
    assert abandoned.exists()
    assert collect_garbage(directory, 60, now=now + ABANDONED_SECONDS + 1) == [abandoned]


def test_publish_waits_for_a_writer_then_gives_up_changing_nothing(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse, sessions=5)
    first = publish(warehouse)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match="busy with another build; nothing was published"):
            publish(warehouse, busy_timeout=0.5)
        assert time.monotonic() - started >= 0.5
    finally:
        holder.kill()
        holder.wait()
    directory = serving_dir(warehouse)
    assert current(directory) == first.snapshot
    assert sorted(p.name for p in directory.iterdir()) == [LOCK_FILE, POINTER, first.snapshot.name]
    # A writer that lets go within the wait is waited for.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse), "1"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert publish(warehouse, busy_timeout=30).tables["fct_channel_daily"] == 1
    finally:
        holder.wait()


def test_concurrent_publishes_take_turns(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse, sessions=5)
    results: list[Snapshot] = []
    threads = [
        threading.Thread(target=lambda: results.append(publish(warehouse).snapshot))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 3
    # Each took its turn: the pointer names the newest copy, every copy is whole.
    assert current(serving_dir(warehouse)) == max(results, key=lambda c: c.name)
    for copy in results:
        with duckdb.connect(str(copy.path), read_only=True) as conn:
            assert conn.execute("SELECT sessions FROM fct_channel_daily").fetchone() == (5,)


def test_nothing_to_publish_and_nothing_to_read(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with pytest.raises(WarehouseError, match="no partition has been materialised"):
        publish(warehouse)
    reader = SnapshotReader(warehouse)
    with pytest.raises(WarehouseError, match="no report data yet"):
        reader.query("SELECT 1")
    assert not reader.table_exists("fct_channel_daily")


def test_publish_command(data_dir: Path) -> None:
    env = {**os.environ}
    build_warehouse(data_dir / "warehouse.duckdb", sessions=3)
    result = run_touchline(env, "publish")
    assert result.returncode == 0, result.stderr
    assert "fct_channel_daily (1 rows)" in result.stdout
    assert current(serving_dir(data_dir / "warehouse.duckdb")) is not None
    (data_dir / "warehouse.duckdb").unlink()
    result = run_touchline(env, "publish")
    assert result.returncode == 1
    assert "no partition has been materialised" in result.stderr
    assert "Traceback" not in result.stderr


HOLD_LOCK = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""
