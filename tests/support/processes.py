"""Helpers every kind of test uses: the repository root, free ports, the MariaDB
test server's address and the ``touchline`` command line in its own process."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

MARIADB_ADMIN_URL = os.environ.get(
    "TOUCHLINE_TEST_MYSQL_URL",
    "mysql+pymysql://touchline:tl-test-pw-4d1c@127.0.0.1:3306/touchline_test",
)


def is_local(host: object) -> bool:
    """Loopback addresses and names only (``localhost``, ``*.localhost``)."""
    name = str(host).strip("[]")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_touchline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The `touchline` command line in its own process, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
