"""``touchline demo``: the whole pipeline on simulated traffic, over real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import click
import requests
from tqdm import tqdm

from touchline.control import registry
from touchline.control.db import session_scope
from touchline.settings import Settings
from touchline.simulator import simulate

DEMO_ACCOUNT = "demo"
SENDERS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """A `touchline ... serve` subprocess, stopped on exit."""

    def __init__(
        self, name: str, args: list[str], port: int, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.base_url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "touchline.cli", *args, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env=env,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the {self.name} exited: {self.process.stderr.read()[-2000:]}")
            try:
                if requests.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the {self.name} did not answer on {self.base_url} in {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def __enter__(self) -> Service:
        self.wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def demo_account(settings: Settings) -> registry.AccountInfo:
    with session_scope(settings.resolved_control_db_url) as session:
        try:
            return registry.get_account(session, DEMO_ACCOUNT)
        except registry.RegistryError:
            return registry.create_account(
                session, DEMO_ACCOUNT, "Demo Shop", "UTC", "EUR", ["shop.example.com"]
            )


def send_hits(base_url: str, hits: list[dict], progress: tqdm) -> int:
    """POST every hit, one request each, over keep-alive connections; returns how
    many the collector refused."""
    parts = urlsplit(base_url)
    local = threading.local()
    refused = 0
    lock = threading.Lock()

    def post(hit: dict) -> None:
        nonlocal refused
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        body = json.dumps({k: v for k, v in hit.items() if not k.startswith("_")})
        headers = {
            "Content-Type": "application/json",
            "User-Agent": hit.get("_user_agent", "touchline-demo"),
        }
        try:
            conn.request("POST", "/collect", body, headers)
            response = conn.getresponse()
            response.read()
            ok = response.status < 300
        except (OSError, http.client.HTTPException):
            conn.close()
            local.conn = None
            ok = False
        with lock:
            refused += 0 if ok else 1
            progress.update(1)

    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(post, hits))
    return refused


def bar_chart(rows: list[tuple[str, int]], width: int = 40) -> list[str]:
    top = max((n for _, n in rows), default=0) or 1
    return [
        f"  {label:<16} {'█' * max(1, round(n / top * width)):<{width}} {n:>7,}"
        for label, n in rows
    ]


def run_demo(settings: Settings, hits: int = 50_000, days: int = 14) -> bool:
    from dagster import DagsterInstance

    from orchestration.local_runs import build_views, materialize_account_days

    account = demo_account(settings)
    # The demo owns its account: start from an empty landing folder so a second
    # run reports exactly what it sent.
    shutil.rmtree(os.path.join(settings.resolved_landing_root, DEMO_ACCOUNT), ignore_errors=True)

    end_day: date = datetime.now(timezone.utc).date() - timedelta(days=1)
    simulation = simulate(account.tracking_token, end_day, days=days, target_hits=hits)
    click.echo(
        f"Simulated {len(simulation.hits):,} page views in {simulation.sessions:,} sessions "
        f"over {days} days ({simulation.days[0]} to {simulation.days[-1]})."
    )

    started = time.monotonic()
    with (
        Service("collector", ["collector", "serve"], free_port()) as collector,
        tqdm(total=len(simulation.hits), desc="sending hits", unit="hit") as bar,
    ):
        refused = send_hits(collector.base_url, simulation.hits, bar)
    elapsed = time.monotonic() - started
    click.echo(
        f"Collector took {len(simulation.hits) - refused:,} hits in {elapsed:.1f} s "
        f"({(len(simulation.hits) - refused) / elapsed:,.0f} hits/s); refused {refused}."
    )

    instance = DagsterInstance.get()
    click.echo("Materialising through Dagster (staging views, then one run per day)…")
    log_path = settings.data_dir / "logs" / "demo-dbt.log"
    click.echo(f"(dbt's output goes to {log_path})")
    if not build_views(instance, log_path):
        raise RuntimeError("building the staging views failed; open the Dagster UI to see why")
    with tqdm(total=len(simulation.days), desc="materialising", unit="partition") as bar:
        runs = materialize_account_days(
            DEMO_ACCOUNT, simulation.days, instance, lambda _run: bar.update(1), log_path
        )
    failed = [r for r in runs if not r.success]
    if failed:
        raise RuntimeError(f"{len(failed)} partitions failed, first {failed[0].day}: see the UI")

    with session_scope(settings.resolved_control_db_url) as session:
        key = registry.create_api_key(session, DEMO_ACCOUNT, "demo")
    with Service("report API", ["api", "serve"], free_port()) as api:
        url = (
            f"{api.base_url}/api/v1/reports/channel_daily?group_by=channel"
            f"&date__gte={simulation.days[0]}&date__lte={simulation.days[-1]}"
        )
        response = requests.get(
            url, headers={"Authorization": f"Bearer {key.plaintext}"}, timeout=60
        )
        if response.status_code != 200:
            raise RuntimeError(f"the report API answered {response.status_code}: {response.text}")
        report = response.json()
        rows = sorted(report["data"], key=lambda r: -r["sessions"])
        click.echo("")
        click.echo(
            f"Channel report for {DEMO_ACCOUNT}, {simulation.days[0]} to {simulation.days[-1]}"
        )
        click.echo(f"  {'channel':<16} {'sessions':>9} {'visitors':>9} {'pageviews':>10}")
        for row in rows:
            click.echo(
                f"  {row['channel']:<16} {row['sessions']:>9,} {row['visitors']:>9,} "
                f"{row['pageviews']:>10,}"
            )
        totals = report["totals"]
        click.echo(
            f"  {'total':<16} {totals['sessions']:>9,} {totals['visitors']:>9,} "
            f"{totals['pageviews']:>10,}"
        )
        click.echo("")
        click.echo("Sessions by channel")
        for line in bar_chart([(r["channel"], r["sessions"]) for r in rows]):
            click.echo(line)
        click.echo("")
        ok = totals["sessions"] == simulation.sessions
        verdict = "equal" if ok else "DIFFERENT"
        click.echo(
            f"The simulator generated {simulation.sessions:,} sessions; the report totals "
            f"{totals['sessions']:,}: {verdict}."
        )
    click.echo("")
    click.echo("Next:")
    click.echo("  touchline dev                      # the Dagster UI on http://127.0.0.1:3000")
    click.echo("  touchline api serve                # the report API on http://127.0.0.1:8082")
    click.echo(f"  curl -H 'Authorization: Bearer {key.plaintext}' \\")
    click.echo("    'http://127.0.0.1:8082/api/v1/reports/channel_daily?group_by=channel'")
    return ok
