"""Dagster's SQLite event log, without a new engine and a full fsync per event.

Dagster's ``SqliteEventLogStorage`` creates a SQLAlchemy engine, opens a
connection and commits with a full fsync for every event it stores, and a
one-day range run stores ~500 events (128 dbt tests are asset checks): seconds
of a run whose work on data is a few seconds. This subclass keeps one engine
per database file and commits with ``synchronous=NORMAL``, which in WAL mode
is safe against a crash of the process (only an OS crash or power loss may
drop the last commits, never corrupt the log). Connections are still closed
after each use, as Dagster does: closing checkpoints the log into
``<run>.db``, whose changes the UI watches to stream a live run. Everything
else, the on-disk layout included, is Dagster's own, so the UI, the daemon
and older instance directories read the same files. Deployments that need
more use Dagster's Postgres storage.

A subclass of a Dagster internal (``dagster._core.storage.event_log.SqliteEventLogStorage``:
its ``_connect``, ``_initdb``, ``_initialized_dbs`` and ``_db_lock``), written for
dagster 1.13.27: check it when upgrading Dagster.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log import SqliteEventLogStorage
from sqlalchemy.pool import NullPool

# Per-run databases: a long-lived process (webserver, daemon) touches many; keep
# the recent few open and dispose of the rest.
OPEN_SHARDS = 8
BUSY_TIMEOUT_SECONDS = 30


def _tune(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class TouchlineSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one engine per database file, kept."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[tuple[int, str], db.Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> TouchlineSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.Engine:
        # Keyed by process too: a forked child must not share its parent's connection.
        key = (os.getpid(), shard)
        engine = self._engines.get(key)
        if engine is not None:
            self._engines.move_to_end(key)
            return engine
        engine = db.create_engine(
            self.conn_string_for_shard(shard),
            poolclass=NullPool,
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
        )
        db.event.listen(engine, "connect", _tune)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[key] = engine
        while len(self._engines) > OPEN_SHARDS:
            _, old = self._engines.popitem(last=False)
            old.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
