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
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import click
import requests
from tqdm import tqdm

from demo.simulator import simulate
from demo.spend import campaign_spend, format_campaign_spend
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.settings import Settings
from touchline.warehouse import Warehouse

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
            [sys.executable, "-m", "cli", *args, "--port", str(port)],
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


BATCH_SIZE = 25  # as the tag batches


def send_hits(base_url: str, hits: list[dict], progress: tqdm) -> int:
    """POST the hits in batches of BATCH_SIZE, as the tag does (one user agent per
    request), over keep-alive connections; returns how many the collector refused."""
    parts = urlsplit(base_url)
    local = threading.local()
    refused = 0
    lock = threading.Lock()
    by_agent: dict[str, list[dict]] = {}
    for hit in hits:
        by_agent.setdefault(hit.get("_user_agent", "touchline-demo"), []).append(hit)
    batches = [
        (agent, group[i : i + BATCH_SIZE])
        for agent, group in by_agent.items()
        for i in range(0, len(group), BATCH_SIZE)
    ]

    def post(batch: tuple[str, list[dict]]) -> None:
        nonlocal refused
        agent, chunk = batch
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        body = json.dumps(
            {"hits": [{k: v for k, v in hit.items() if not k.startswith("_")} for hit in chunk]}
        )
        headers = {"Content-Type": "application/json", "User-Agent": agent}
        try:
            conn.request("POST", "/collect", body, headers)
            response = conn.getresponse()
            answer = response.read()
            accepted = json.loads(answer).get("accepted", 0) if response.status < 300 else 0
        except (OSError, http.client.HTTPException, ValueError):
            conn.close()
            local.conn = None
            accepted = 0
        with lock:
            refused += len(chunk) - accepted
            progress.update(len(chunk))

    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(post, batches))
    return refused


def bar_chart(rows: list[tuple[str, int]], width: int = 40) -> list[str]:
    top = max((n for _, n in rows), default=0) or 1
    return [
        f"  {label:<16} {'█' * max(1, round(n / top * width)):<{width}} {n:>7,}"
        for label, n in rows
    ]


# The models the demo prints side by side (every model is in the marts).
REPORT_MODELS = ("last_touch", "first_touch", "linear", "time_decay", "markov", "shapley")


def run_demo(settings: Settings, hits: int = 50_000, days: int = 14) -> bool:
    from dagster import DagsterInstance

    from demo.fakes.connect import connect_demo_account
    from orchestration.local_runs import ensure_views, materialize_range

    account = demo_account(settings)
    # The demo owns its account: start from an empty landing folder so a second
    # run reports exactly what it sent.
    shutil.rmtree(os.path.join(settings.resolved_landing_root, DEMO_ACCOUNT), ignore_errors=True)

    end_day: date = datetime.now(timezone.utc).date() - timedelta(days=1)
    simulation = simulate(
        account.tracking_token, end_day, days=days, target_hits=hits, currency=account.currency
    )
    click.echo(
        f"Simulated {simulation.pageviews:,} page views in {simulation.sessions:,} sessions "
        f"over {days} days ({simulation.days[0]} to {simulation.days[-1]}): "
        f"{simulation.people:,} people ({simulation.multi_device_people:,} on two devices), "
        f"{len(simulation.sales):,} sales."
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
    first, last = simulation.days[0], simulation.days[-1]
    # The local fakes of the six ad platforms stand in for the real APIs, so the
    # run pulls spend as it would in production.
    fakes = connect_demo_account(settings, DEMO_ACCOUNT, simulation.days)
    try:
        click.echo(f"Materialising {first} to {last} through Dagster, as one run…")
        log_path = settings.data_dir / "logs" / "demo-dbt.log"
        click.echo(f"(dbt's output goes to {log_path})")
        if not ensure_views(instance, settings.resolved_warehouse_url, False, log_path):
            raise RuntimeError("building the staging views failed; open the Dagster UI to see why")
        with tqdm(total=1, desc="materialising", unit="run") as bar:
            run = materialize_range(DEMO_ACCOUNT, first, last, instance, log_path, trigger="demo")
            bar.update(1)
    finally:
        fakes.stop()
    if not run.success:
        raise RuntimeError(f"the run {run.run_id} failed: open the Dagster UI to see why")
    step = run.step_seconds
    load_seconds = sum(v for k, v in step.items() if "raw_hits" in k)
    dbt_seconds = sum(v for k, v in step.items() if "dbt" in k)
    ads_seconds = sum(v for k, v in step.items() if k.startswith("raw_") and "raw_hits" not in k)
    attribution_seconds = sum(
        v
        for k, v in step.items()
        if k in ("account_config", "identity_graph", "attribution_path_credits")
    )
    click.echo(
        f"Stages: sending {elapsed:.1f} s, loading {load_seconds:.1f} s, ad platforms "
        f"{ads_seconds:.1f} s, dbt {dbt_seconds:.1f} s, identity and model fits "
        f"{attribution_seconds:.1f} s (the run {run.seconds:.1f} s in all, "
        f"{len(simulation.days)} days in one run)"
    )

    with session_scope(settings.resolved_control_db_url) as session:
        key = registry.create_api_key(session, DEMO_ACCOUNT, "demo")
    with Service("report API", ["api", "serve"], free_port()) as api:
        url = (
            f"{api.base_url}/api/v1/reports/channel_daily?group_by=channel"
            "&metrics=sessions,pageviews,sales,conversion_rate"
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
        click.echo(
            f"  {'channel':<16} {'sessions':>9} {'pageviews':>10} {'sales':>6} {'conv. rate':>10}"
        )
        totals = report["totals"]
        for row in [*rows, {"channel": "total", **totals}]:
            # The API computes the rate after adding up (sales / sessions), never averaged.
            rate = row["conversion_rate"]
            click.echo(
                f"  {row['channel']:<16} {row['sessions']:>9,} {row['pageviews']:>10,} "
                f"{row['sales']:>6,} {'' if rate is None else f'{rate:.2%}':>10}"
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

    warehouse = Warehouse(settings.resolved_warehouse_url)
    click.echo("")
    click.echo(
        "Ad spend per platform and campaign (from the platforms' fake APIs; VALUE and ROAS "
        "as the platforms report them)"
    )
    currency, spend_rows = campaign_spend(warehouse, DEMO_ACCOUNT, first, last)
    for line in format_campaign_spend(currency, spend_rows).splitlines():
        click.echo("  " + line)
    attribution = attribution_report(warehouse, DEMO_ACCOUNT, first, last)
    click.echo("")
    for line in format_attribution(attribution, simulation):
        click.echo(line)
    click.echo("")
    for line in format_roas(attribution):
        click.echo(line)
    sales_ok = round(attribution.sales) == len(simulation.sales)
    click.echo("")
    click.echo(
        f"The simulator made {len(simulation.sales):,} sales; every model attributes "
        f"{attribution.sales:,.0f}: {'equal' if sales_ok else 'DIFFERENT'}."
    )
    click.echo("")
    click.echo("Next:")
    click.echo("  touchline dev                      # the Dagster UI on http://127.0.0.1:3000")
    click.echo("  touchline api serve                # the report API on http://127.0.0.1:8082")
    click.echo(f"  curl -H 'Authorization: Bearer {key.plaintext}' \\")
    click.echo("    'http://127.0.0.1:8082/api/v1/reports/channel_daily?group_by=channel'")
    return ok and sales_ok


@dataclass
class AttributionReport:
    sales: float  # per model, the same
    currency: str | None
    conversions: dict[str, dict[str, float]]  # model -> channel -> conversions
    revenue: dict[str, dict[str, float]]
    campaigns: list[dict]  # platform, campaign_name, spend, revenue per model


def attribution_report(
    warehouse: Warehouse, account: str, first: date, last: date
) -> AttributionReport:
    rows = warehouse.query(
        "SELECT model, channel, sum(conversions) AS conversions, sum(revenue) AS revenue, "
        "max(reporting_currency) AS currency FROM fct_attribution_channel_daily "
        "WHERE account = ? AND date_day BETWEEN ? AND ? GROUP BY model, channel",
        [account, first, last],
    )
    conversions: dict[str, dict[str, float]] = {}
    revenue: dict[str, dict[str, float]] = {}
    for r in rows:
        conversions.setdefault(r["model"], {})[r["channel"]] = float(r["conversions"])
        revenue.setdefault(r["model"], {})[r["channel"]] = float(r["revenue"] or 0)
    sales = sum(conversions.get("last_touch", {}).values())
    campaigns = warehouse.query(
        "SELECT platform, max(campaign_name) AS campaign_name, model, sum(spend) AS spend, "
        "sum(revenue) AS revenue, sum(conversions) AS conversions "
        "FROM fct_attribution_campaign_daily WHERE account = ? AND date_day BETWEEN ? AND ? "
        "GROUP BY platform, campaign_id, model",
        [account, first, last],
    )
    currency = next((r["currency"] for r in rows if r["currency"]), None)
    return AttributionReport(sales, currency, conversions, revenue, campaigns)


def _share(values: dict[str, float], channel: str) -> float:
    total = sum(values.values())
    return values.get(channel, 0.0) / total if total else 0.0


def format_attribution(report: AttributionReport, simulation) -> list[str]:
    """Each model's share of the sales per channel, next to each channel's true
    share of the sales the channels caused (the simulator knows it)."""
    models = [m for m in REPORT_MODELS if m in report.conversions]
    true = simulation.true_shares()
    channels = sorted(
        set(true) | {c for m in models for c in report.conversions[m]},
        key=lambda c: -true.get(c, 0),
    )
    names = {"last_touch": "last", "first_touch": "first", "time_decay": "decay"}
    lines = [
        f"Attributed sales by channel ({report.sales:,.0f} sales): each model's share, and the "
        "true share of the sales the channels caused (the simulator knows each channel's effect)",
        f"  {'channel':<16} {'true':>7}" + "".join(f" {names.get(m, m):>8}" for m in models),
    ]
    for channel in channels:
        cells = "".join(f" {100 * _share(report.conversions[m], channel):>7.1f}%" for m in models)
        lines.append(f"  {channel:<16} {100 * true.get(channel, 0):>6.1f}%{cells}")
    errors = {
        m: 0.5 * sum(abs(_share(report.conversions[m], c) - true.get(c, 0.0)) for c in channels)
        for m in models
    }
    lines.append(
        f"  {'misattributed':<16} {'':>7}" + "".join(f" {100 * errors[m]:>7.1f}%" for m in models)
    )
    if "last_touch" in errors:
        better = ", ".join(
            f"{m} {100 * errors[m]:.0f}%" for m in ("markov", "shapley") if m in errors
        )
        lines.append(
            "  (misattributed: the share of sales a model puts on the wrong channel. Last click "
            f"misplaces {100 * errors['last_touch']:.0f}%; the data-driven models {better}.)"
        )
    return lines


def format_roas(report: AttributionReport) -> list[str]:
    """ROAS per ad campaign (attributed revenue / spend over the days) by model."""
    models = [m for m in ("last_touch", "linear", "markov", "shapley") if m in report.conversions]
    by_campaign: dict[tuple[str, str], dict[str, dict]] = {}
    for r in report.campaigns:
        by_campaign.setdefault((r["platform"], r["campaign_name"] or "?"), {})[r["model"]] = r
    lines = [
        f"ROAS per campaign (attributed revenue / spend, {report.currency or ''}) by model",
        f"  {'platform':<14} {'campaign':<22} {'spend':>10}" + "".join(f" {m:>11}" for m in models),
    ]
    unattributed = 0
    for (platform, name), per_model in sorted(by_campaign.items()):
        spend = next(
            (float(r["spend"]) for r in per_model.values() if r["spend"] is not None), None
        )
        if not any(float(r["conversions"] or 0) > 0 for r in per_model.values()):
            unattributed += 1
            continue
        cells = []
        for m in models:
            revenue = float((per_model.get(m) or {}).get("revenue") or 0)
            cells.append(f" {revenue / spend:>11.2f}" if spend else f" {'-':>11}")
        spend_text = f"{spend:>10,.2f}" if spend is not None else f"{'-':>10}"
        lines.append(f"  {platform:<14} {name[:22]:<22} {spend_text}" + "".join(cells))
    if unattributed:
        lines.append(
            f"  ({unattributed} more campaigns had spend but no sale whose journey they are in)"
        )
    return lines
