"""Real servers for tests: a WSGI app over HTTP on a free port, and a fresh
MariaDB database. Fixtures in tests/conftest.py wrap them per test; a module
that builds something expensive once uses them directly."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from werkzeug.serving import make_server

from tests.support.processes import MARIADB_ADMIN_URL, free_port


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` over real HTTP until the block ends; yields its base URL."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextlib.contextmanager
def mariadb_database() -> Iterator[str]:
    """A fresh, empty MariaDB database; dropped afterwards. Yields its URL."""
    import pymysql

    from touchline.warehouse import parse_warehouse_url

    admin = parse_warehouse_url(MARIADB_ADMIN_URL)
    name = f"{admin.database}_{uuid.uuid4().hex[:10]}"
    conn = pymysql.connect(
        host=admin.host, port=admin.port, user=admin.user, password=admin.password or ""
    )
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        yield f"mysql+pymysql://{admin.user}:{admin.password}@{admin.host}:{admin.port}/{name}"
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()
