"""Requests/s and hits/s of the collector against a bare Flask app on the same server.

    .venv/bin/python bench/collector.py            # granian and gunicorn, 3 rounds of 5 s
    .venv/bin/python bench/collector.py --servers granian --rounds 5 --fsync always

For each server (granian as ``touchline collector serve`` runs it, and gunicorn
with gthread workers), starts the collector and the bare Flask app of
bench/bare_flask.py under that server with the same workers, both at once, and
loads them over loopback with wrk (2 threads, 16 connections; wrk is C and
needs a fraction of a core, which is printed) with realistic hits (pageviews
with UTM parameters and a click id, a browser user agent and Origin), single
and in batches of 25. Runs of the two apps alternate (bare, collector,
collector, bare, ...) so that load from anything else on the machine falls on
both alike; each round gives one collector/bare ratio, and the median is
printed with its range, next to requests/s and hits/s. At the end the landed
lines are counted: at least every hit wrk saw acknowledged must have landed.
Everything listens on 127.0.0.1 only. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
# This file is bench/collector.py: its folder must not shadow the collector package.
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
CONNECTIONS = 16
WRK_THREADS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hit(token: str | None, n: int) -> dict:
    body = {
        "type": "pageview",
        "hit_id": str(uuid.uuid4()),
        "visitor_id": f"v-{n % 500}",
        "session_id": f"s-{n % 900}",
        "url": "https://shop.example.com/products/boots?utm_source=google&utm_medium=cpc",
        "referrer": "https://www.google.com/",
        "title": "Boots",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "brand_search",
        "gclid": uuid.uuid4().hex,
        "client_ts": datetime.now(timezone.utc).isoformat(),
        "sent_at": datetime.now(timezone.utc).isoformat(),
    }
    if token:
        body["token"] = token
    return body


def server_command(
    server: str, app: str, port: int, workers: int, threads: int, factory: bool
) -> list[str]:
    if server == "granian":
        from cli.collector import granian_command

        return granian_command(app, "127.0.0.1", port, workers, threads, factory=factory)
    target = f"{app}()" if factory else app
    return [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class",
            "gthread", "--threads", "4", "--bind", f"127.0.0.1:{port}",
            "--access-logfile", "/dev/null", target]  # fmt: skip


class Served:
    def __init__(self, command: list[str], port: int, env: dict[str, str]) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read()[-2000:])
            try:
                requests.post(self.url + "/collect", data="{}", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"{command} did not come up")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Run:
    rps: float
    requests: int
    wrk_cpu: float  # wrk's own CPU time / wall time (1.0 = one core)


def wrk(url: str, body: str, seconds: float, workdir: Path) -> Run:
    script = workdir / f"post-{uuid.uuid4().hex}.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"\n'
        f'wrk.headers["User-Agent"] = "{CHROME}"\n'
        'wrk.headers["Origin"] = "https://shop.example.com"\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("non2xx=%d requests=%d\\n", summary.errors.status,'
        " summary.requests))\n"
        "end\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    result = subprocess.run(
        ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{max(1, round(seconds))}s",
         "-s", str(script), url + "/collect"],
        capture_output=True, text=True, timeout=seconds + 30,
    )  # fmt: skip
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    counts = re.search(r"non2xx=(\d+) requests=(\d+)", result.stdout)
    if not match or not counts:
        raise RuntimeError(result.stdout + result.stderr)
    if int(counts.group(1)):
        raise RuntimeError(f"{counts.group(1)} non-2xx answers from {url}: {result.stdout}")
    return Run(float(match.group(1)), int(counts.group(2)), cpu / wall)


def landed_hits(root: Path) -> int:
    return sum(path.read_bytes().count(b"\n") for path in root.rglob("*.ndjson"))


APPS = (
    ("bare", "bench.bare_flask:app", False),
    ("collector", "collector.app:create_app", True),
)


def start_both(server: str, args: argparse.Namespace, env: dict[str, str], work: Path) -> dict:
    """Both apps up at once, so that their runs can alternate: load from anything
    else on the machine then falls on both alike."""
    served: dict[str, Served] = {}
    try:
        for name, app, factory in APPS:
            port = free_port()
            app_env = dict(env)
            if name == "collector":
                metrics = work / f"metrics-{server}"
                metrics.mkdir()
                app_env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
            command = server_command(server, app, port, args.workers, args.threads, factory)
            served[name] = Served(command, port, app_env)
    except BaseException:
        for app_served in served.values():
            app_served.stop()
        raise
    return served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per wrk run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating bare/collector pairs; medians reported"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--servers", nargs="+", default=["granian", "gunicorn"],
                        choices=["granian", "gunicorn"])  # fmt: skip
    parser.add_argument("--fsync", default="interval", choices=["always", "interval", "never"])
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="touchline-bench-collector-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUCHLINE_")}
    env.update(
        TOUCHLINE_DATA_DIR=str(work / "data"),
        TOUCHLINE_SETTINGS_FILE=str(work / "none.env"),
        TOUCHLINE_LANDING_FSYNC=args.fsync,
        PYTHONPATH=str(REPO),
    )
    os.environ.update(env)
    from cli.collector import default_threads
    from touchline.control import registry
    from touchline.control.db import migrate, session_scope
    from touchline.settings import load_settings

    settings = load_settings()
    # granian's threads as `touchline collector serve` picks them, for both apps
    args.threads = default_threads(settings)
    migrate(settings.resolved_control_db_url)
    with session_scope(settings.resolved_control_db_url) as session:
        account = registry.create_account(session, "bench", domains=["shop.example.com"])
        token = account.tracking_token

    bodies = {
        "single": (json.dumps(hit(token, 0)), 1),
        "batch/25": (json.dumps({"token": token, "hits": [hit(None, n) for n in range(25)]}), 25),
    }
    load_before = os.getloadavg()[0]
    # (server, body) -> app -> runs
    runs: dict[tuple[str, str], dict[str, list[Run]]] = {}
    acknowledged = 0
    try:
        for server in args.servers:
            served = start_both(server, args, env, work)
            try:
                for name, app_served in served.items():  # warm-up, not reported
                    warm = wrk(app_served.url, bodies["single"][0], 1, work)
                    acknowledged += warm.requests if name == "collector" else 0
                for body_name, (body, hits) in bodies.items():
                    pair = runs.setdefault((server, body_name), {"bare": [], "collector": []})
                    for round_no in range(args.rounds):
                        for name in ("bare", "collector")[:: 1 if round_no % 2 == 0 else -1]:
                            run = wrk(served[name].url, body, args.seconds, work)
                            pair[name].append(run)
                            acknowledged += run.requests * hits if name == "collector" else 0
            finally:
                for app_served in served.values():
                    app_served.stop()
        landed = landed_hits(work / "data" / "landing")
        cpu = cpu_per_request(bodies, settings)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(args, runs, load_before, os.getloadavg()[0], landed, acknowledged)
    print(f"\nCPU per request in this process (WSGI call, no server, no network; "
          f"best of 5 x {CPU_REQUESTS:,}):")  # fmt: skip
    for body_name, (bare, ours) in cpu.items():
        hits = bodies[body_name][1]
        print(f"  {body_name:<9} bare {bare:6.0f} us   collector {ours:6.0f} us "
              f"({ours / hits:.0f} us per hit)")  # fmt: skip


CPU_REQUESTS = 500


def wsgi_call(app, environ: dict, body: bytes) -> None:
    statuses: list[str] = []
    chunks = app(
        dict(environ, **{"wsgi.input": io.BytesIO(body)}),
        lambda status, headers, exc=None: statuses.append(status),
    )
    b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    if not statuses[0].startswith("2"):
        raise RuntimeError(f"{statuses[0]} from the in-process app")


def cpu_per_request(bodies: dict[str, tuple[str, int]], settings) -> dict[str, tuple[float, float]]:
    """CPU time of one request through each app's WSGI callable: what the servers
    and the network add is left out, and process time hardly depends on other
    load on the machine."""
    from werkzeug.test import EnvironBuilder

    from bench.bare_flask import app as bare_app
    from collector.app import create_app

    apps = {"bare": bare_app, "collector": create_app(settings)}
    result = {}
    for body_name, (body, _) in bodies.items():
        environ = EnvironBuilder(
            path="/collect", method="POST", data=body.encode(),
            headers={"User-Agent": CHROME, "Origin": "https://shop.example.com",
                     "Content-Type": "text/plain;charset=UTF-8"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        ).get_environ()  # fmt: skip
        raw = environ["wsgi.input"].read()
        times = []
        for app in apps.values():
            best = float("inf")
            for _ in range(5):
                started = time.process_time()
                for _ in range(CPU_REQUESTS):
                    wsgi_call(app, environ, raw)
                best = min(best, (time.process_time() - started) / CPU_REQUESTS * 1e6)
            times.append(best)
        result[body_name] = (times[0], times[1])
    return result


def report(args, runs, load_before, load_after, landed, acknowledged) -> None:
    wrk_cpu = max(r.wrk_cpu for pair in runs.values() for rs in pair.values() for r in rs)
    print(f"\n{args.workers} workers per server ({args.threads} granian threads each, "
          f"4 gunicorn threads), wrk {WRK_THREADS} threads x {CONNECTIONS} "
          f"connections, {args.seconds:.0f} s per run, {args.rounds} alternating rounds, "
          f"fsync={args.fsync}; load average {load_before:.1f} before, {load_after:.1f} after; "
          f"wrk used at most {wrk_cpu:.2f} of a core\n")  # fmt: skip
    print(f"{'server':<9} {'body':<9} {'bare req/s':>11} {'collector req/s':>16} "
          f"{'ratio':>6} {'(min-max)':>12} {'collector hits/s':>17}")  # fmt: skip
    for (server, body_name), pair in runs.items():
        hits = 25 if body_name.startswith("batch") else 1
        ratios = [c.rps / b.rps for b, c in zip(pair["bare"], pair["collector"], strict=True)]
        bare = statistics.median(r.rps for r in pair["bare"])
        ours = statistics.median(r.rps for r in pair["collector"])
        print(f"{server:<9} {body_name:<9} {bare:>11,.0f} {ours:>16,.0f} "
              f"{statistics.median(ratios):>5.2f}x {min(ratios):>5.2f}-{max(ratios):.2f}x "
              f"{ours * hits:>17,.0f}")  # fmt: skip
    # wrk counts the answers it read; a request answered as the run ended may
    # have landed without being counted, never the other way round.
    print(f"\nlanded {landed:,} hits; wrk counted {acknowledged:,} acknowledged "
          f"({'ok' if landed >= acknowledged else 'MISSING HITS'})")  # fmt: skip


if __name__ == "__main__":
    main()
