"""Shared fixtures: an isolated data directory per test, real servers on free ports,
and a fresh MariaDB database for tests marked ``mariadb``."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import is_local
from tests.support.servers import mariadb_database, served
from touchline.control import registry
from touchline.control.db import migrate, session_scope
from touchline.settings import Settings, load_settings

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches the network: every external service is a local fake. A
    connection from the test process to anything but loopback fails loudly."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(sock: socket.socket, address: object) -> None:
        inet = sock.family in (socket.AF_INET, socket.AF_INET6)
        if inet and isinstance(address, tuple) and not is_local(address[0]):
            raise ConnectionRefusedError(f"a test tried to reach the network: {address!r}")

    def connect(sock: socket.socket, address: object) -> None:
        refuse(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: object) -> int:
        refuse(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every TOUCHLINE_* setting at a fresh directory for this test."""
    directory = tmp_path / "touchline"
    directory.mkdir()
    for name in list(os.environ):
        if name.startswith("TOUCHLINE_") and not name.startswith("TOUCHLINE_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TOUCHLINE_DATA_DIR", str(directory))
    monkeypatch.setenv("TOUCHLINE_SETTINGS_FILE", str(directory / "none.env"))
    monkeypatch.setenv("TOUCHLINE_SECRET_KEY", "test-secret-" + uuid.uuid4().hex)
    return directory


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    s = load_settings()
    migrate(s.resolved_control_db_url)
    return s


@pytest.fixture
def make_account(settings: Settings):
    """Create an account (and an API key for it) in the test's control database."""

    def _make(
        slug: str = "acme", domains: tuple[str, ...] = ()
    ) -> tuple[registry.AccountInfo, str]:
        with session_scope(settings.resolved_control_db_url) as session:
            account = registry.create_account(session, slug, slug.title(), domains=list(domains))
            key = registry.create_api_key(session, slug, "test")
        return account, key.plaintext

    return _make


@pytest.fixture
def serve():
    """Serve a WSGI app over real HTTP on a free port; yields its base URL."""
    with contextlib.ExitStack() as stack:
        yield lambda app: stack.enter_context(served(app))


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A fresh, empty MariaDB database; dropped afterwards."""
    with mariadb_database() as url:
        yield url


@pytest.fixture(params=["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty warehouse: a DuckDB file, or a fresh MariaDB database (conftest's
    ``mariadb_url``, dropped afterwards)."""
    if request.param == "mariadb":
        return request.getfixturevalue("mariadb_url")
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture
def pipeline(settings: Settings):
    """The prepared pipeline in this test's data directory: dbt's environment for its
    warehouse, the manifest (parsed once, by ``touchline prepare``, and reused while
    the project is unchanged) and a Dagster instance of its own, as
    ``touchline materialize`` gets them (``orchestration.local_runs.local_instance``)."""
    from orchestration.local_runs import local_instance

    with local_instance(settings) as instance:
        yield instance
