"""Nothing acknowledged is ever lost: the production server (``touchline collector
serve``, granian, two workers) killed with SIGKILL mid-stream, and a landing zone
that cannot take more bytes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.support.collector import CHROME, SITE, days_of, landed_lines, wire_hit
from tests.support.processes import REPO, free_port
from touchline.loader import load_hits
from touchline.settings import Settings
from touchline.warehouse import Warehouse

BATCH = 10


class Server:
    """`touchline collector serve` in its own process group."""

    def __init__(self, preexec: str = "") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "cli", "collector", "serve",
                   "--port", str(self.port), "--workers", "2"]  # fmt: skip
        if preexec:
            # Limits set here are inherited by granian and its workers.
            command = [sys.executable, "-c", preexec + "\nos.execv(sys.executable, sys.argv[1:])",
                       *command]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=REPO, start_new_session=True, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stderr.read()
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError("the collector did not come up")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(15)


@pytest.fixture
def servers():
    started: list[Server] = []

    def _start(**kw) -> Server:
        started.append(Server(**kw))
        return started[-1]

    yield _start
    for server in started:
        server.kill()


def stream(url: str, token: str, acknowledged: list[str], stop: threading.Event, tag: str) -> None:
    with requests.Session() as session:
        n = 0
        while not stop.is_set():
            hits = [wire_hit(visitor_id=f"{tag}-{n}-{i}") for i in range(BATCH)]
            n += 1
            body = json.dumps({"token": token, "hits": hits})
            try:
                response = session.post(
                    f"{url}/collect", data=body, headers={"Origin": SITE, "User-Agent": CHROME},
                    timeout=5,
                )  # fmt: skip
            except requests.RequestException:
                return  # the server is gone
            if response.status_code == 200:
                assert response.json()["accepted"] == BATCH
                acknowledged.extend(h["hit_id"] for h in hits)


def test_sigkill_mid_stream_loses_no_acknowledged_hit(
    settings: Settings, make_account, servers, tmp_path: Path
) -> None:
    account, _ = make_account("acme", ("shop.example.com",))
    acknowledged: list[str] = []
    first = servers()
    stop = threading.Event()
    senders = [
        threading.Thread(target=stream, args=(first.url, account.tracking_token, acknowledged,
                                              stop, f"t{i}"))
        for i in range(4)
    ]  # fmt: skip
    for sender in senders:
        sender.start()
    time.sleep(1.5)
    first.kill(signal.SIGKILL)  # master and both workers, mid-stream
    for sender in senders:
        sender.join(10)
    before_restart = len(acknowledged)
    assert before_restart > 100, "too few hits before the kill to prove anything"

    second = servers()
    stop2 = threading.Event()
    sender = threading.Thread(
        target=stream, args=(second.url, account.tracking_token, acknowledged, stop2, "after")
    )
    sender.start()
    time.sleep(0.5)
    stop2.set()
    sender.join(10)
    assert len(acknowledged) > before_restart

    # Both workers count into one set of metrics.
    metrics = requests.get(f"{second.url}/metrics").text
    line = next(
        x for x in metrics.splitlines()
        if x.startswith('touchline_hits_accepted_total{account="acme",schema_level="full"}')
    )  # fmt: skip
    assert float(line.split()[-1]) == len(acknowledged) - before_restart
    second.kill(signal.SIGTERM)

    # No corrupt line: every line of every file is one whole hit.
    root = Path(settings.resolved_landing_root)
    for path in root.rglob("*.ndjson"):
        data = path.read_bytes()
        assert data == b"" or data.endswith(b"\n"), f"{path.name} ends in a partial line"
        for raw in data.splitlines():
            json.loads(raw)
    # Every acknowledged hit reaches the warehouse exactly once.
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    days = days_of(landed_lines(root))
    loads = load_hits(warehouse, str(root), "acme", "UTC", min(days), max(days))
    assert sum(load.unreadable for load in loads) == 0
    counts = {
        r["hit_id"]: r["n"]
        for r in warehouse.query("select hit_id, count(*) as n from raw_hits group by hit_id")
    }
    missing = [h for h in acknowledged if h not in counts]
    assert missing == []
    assert {counts[h] for h in acknowledged} == {1}


LIMIT = 512 * 1024
PREEXEC = f"""
import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a full file then fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, ({LIMIT}, {LIMIT}))
"""


def test_a_full_disk_answers_503_and_leaves_no_partial_line(
    settings: Settings, make_account, servers
) -> None:
    """RLIMIT_FSIZE makes the landing file 'full' at 512 KB: the write fails part
    way through a batch, as on a full disk."""
    account, _ = make_account("acme", ("shop.example.com",))
    server = servers(preexec=PREEXEC)
    acknowledged: list[str] = []
    refused: list[str] = []
    with requests.Session() as session:
        for _ in range(200):
            hits = [wire_hit(properties={"pad": "x" * 1500}) for _ in range(10)]
            body = json.dumps({"token": account.tracking_token, "hits": hits})
            response = session.post(f"{server.url}/collect", data=body, headers={"Origin": SITE})
            if response.status_code == 200:
                acknowledged.extend(h["hit_id"] for h in hits)
                continue
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"].isdigit()
            assert "Traceback" not in response.text and "retry" in response.json()["error"]
            refused.extend(h["hit_id"] for h in hits)
            if len(refused) >= 30:
                break
    assert acknowledged and refused, "the limit was never reached"
    landed = {}
    for path in Path(settings.resolved_landing_root).rglob("*.ndjson"):
        data = path.read_bytes()
        assert data.endswith(b"\n"), "a failed write left a partial line"
        for raw in data.splitlines():
            hit = json.loads(raw)
            landed[hit["hit_id"]] = landed.get(hit["hit_id"], 0) + 1
    assert {landed.get(h) for h in acknowledged} == {1}
    assert not any(h in landed for h in refused)
