"""The ``touchline`` command line."""

from __future__ import annotations

import json
import os
import sys
from datetime import date

import click

from touchline.commands import accounts_admin, channel_rules
from touchline.commands.attribution import attribution as attribution_command
from touchline.commands.collector_serve import default_threads, exec_collector
from touchline.commands.connections import connections, fx
from touchline.control import registry
from touchline.control.db import migrate, session_scope
from touchline.settings import Settings, get_settings
from touchline.warehouse import WarehouseError


def _settings() -> Settings:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.resolved_control_db_url)
    return settings


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Touchline: marketing analytics and multi-touch attribution."""


@main.command("migrate")
def migrate_cmd() -> None:
    """Create or upgrade the control database."""
    settings = _settings()
    click.echo(f"control database is up to date ({settings.resolved_control_db_url.split(':')[0]})")


# --- accounts -----------------------------------------------------------------


@main.group()
def accounts() -> None:
    """Client accounts."""


@accounts.command("add")
@click.argument("slug")
@click.option("--name", help="Display name (default: the slug).")
@click.option("--timezone", "tz", default="UTC", show_default=True)
@click.option("--currency", default="EUR", show_default=True)
@click.option("--domain", "domains", multiple=True, help="Site domain the tag may send from.")
def accounts_add(slug: str, name: str | None, tz: str, currency: str, domains: tuple[str]) -> None:
    """Register an account and print its tracking token."""
    settings = _settings()
    try:
        with session_scope(settings.resolved_control_db_url) as session:
            account = registry.create_account(session, slug, name, tz, currency, list(domains))
    except registry.RegistryError as exc:
        raise _fail(exc) from None
    click.echo(f"account {account.slug} created")
    click.echo(f"tracking token: {account.tracking_token}")


@accounts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def accounts_list(as_json: bool) -> None:
    """List accounts."""
    settings = _settings()
    with session_scope(settings.resolved_control_db_url) as session:
        rows = registry.list_accounts(session)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "slug": a.slug,
                        "name": a.name,
                        "timezone": a.timezone,
                        "currency": a.currency,
                        "tracking_token": a.tracking_token,
                        "domains": list(a.domains),
                    }
                    for a in rows
                ],
                indent=2,
            )
        )
        return
    if not rows:
        click.echo("no accounts yet: touchline accounts add SLUG")
        return
    click.echo(f"{'SLUG':<20} {'NAME':<24} {'TZ':<16} {'CUR':<4} {'TRACKING TOKEN':<28} DOMAINS")
    for a in rows:
        click.echo(
            f"{a.slug:<20} {a.name[:24]:<24} {a.timezone:<16} {a.currency:<4} "
            f"{a.tracking_token:<28} {', '.join(a.domains) or '(any)'}"
        )


@main.group("api-keys")
def api_keys() -> None:
    """Keys for the report API."""


@api_keys.command("create")
@click.argument("account")
@click.option("--name", default="default", show_default=True)
def api_keys_create(account: str, name: str) -> None:
    """Create a key for ACCOUNT. It is shown once; only its hash is stored."""
    settings = _settings()
    try:
        with session_scope(settings.resolved_control_db_url) as session:
            key = registry.create_api_key(session, account, name)
    except registry.RegistryError as exc:
        raise _fail(exc) from None
    click.echo(key.plaintext)
    click.echo(
        f"(key {key.prefix}… for {key.account}; store it now, it is not shown again)", err=True
    )


accounts_admin.register(accounts, api_keys)
channel_rules.register(accounts)


# --- services -----------------------------------------------------------------


def _gunicorn(app: str, host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--bind",
        f"{host}:{port}",
        "--access-logfile",
        "-" if os.environ.get("TOUCHLINE_ACCESS_LOG") else "/dev/null",
        app,
    ]


@main.group()
def collector() -> None:
    """The hit collector."""


@collector.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help="Blocking threads per worker [default: 1; 8 with TOUCHLINE_LANDING_FSYNC=always, "
    "so that concurrent requests share an fsync].",
)
def collector_serve(host: str, port: int, workers: int, threads: int | None) -> None:
    """Serve the collector (/collect, /v1/*, /i.gif, /r, /metrics) with granian."""
    settings = _settings()
    exec_collector(settings, host, port, workers, threads or default_threads(settings))


@main.group("api")
def api_group() -> None:
    """The report API."""


@api_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8082, show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option("--threads", default=4, show_default=True)
def api_serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve /api/v1 with gunicorn."""
    _settings()
    os.execv(sys.executable, _gunicorn("api.app:create_app()", host, port, workers, threads))


# --- orchestration --------------------------------------------------------------


def _prepare_dagster(settings: Settings) -> bool:
    """Detect the warehouse's adapter, (re)parse dbt's manifest when the project
    changed, and set up DAGSTER_HOME. True when the manifest was rebuilt."""
    from orchestration.dagster_home import ensure_dagster_home
    from orchestration.dbt_runner import (
        apply_dbt_env,
        ensure_manifest,
        manifest_is_stale,
        warehouse_target,
    )

    target = warehouse_target(settings)
    apply_dbt_env(target)
    stale = manifest_is_stale(target)
    try:
        ensure_manifest(target)
    except RuntimeError as exc:
        raise _fail(exc) from None
    ensure_dagster_home(settings, target.dialect)
    return stale


@main.command()
def prepare() -> None:
    """Prepare dbt's manifest and the Dagster instance (run on install and deploy)."""
    settings = _settings()
    rebuilt = _prepare_dagster(settings)
    state = "rebuilt" if rebuilt else "up to date"
    click.echo(f"dbt manifest {state}; DAGSTER_HOME={os.environ['DAGSTER_HOME']}")


@main.command()
@click.option("--port", default=3000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def dev(port: int, host: str) -> None:
    """Open the Dagster UI on Touchline's definitions (dagster dev -w workspace.yaml)."""
    settings = _settings()
    _prepare_dagster(settings)
    from orchestration.dbt_runner import REPO_ROOT

    workspace = REPO_ROOT / "workspace.yaml"
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(workspace),
        "-p",
        str(port),
        "-h",
        host,
    ]
    click.echo(f"Dagster UI: http://{host}:{port}  (DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
    os.chdir(REPO_ROOT)
    os.execv(sys.executable, command)


def _parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2026-11-21", param_hint=name
        ) from None


@main.command()
@click.argument("account")
@click.option("--start", required=True, help="First local day, YYYY-MM-DD.")
@click.option("--end", help="Last local day, YYYY-MM-DD (default: --start).")
def materialize(account: str, start: str, end: str | None) -> None:
    """Load and build ACCOUNT's days from --start to --end as one Dagster run."""
    settings = _settings()
    first = _parse_day(start, "--start")
    last = _parse_day(end, "--end") if end else first
    if last < first:
        raise click.BadParameter("--end is before --start", param_hint="--end")
    with session_scope(settings.resolved_control_db_url) as session:
        try:
            registry.get_account(session, account)
        except registry.RegistryError as exc:
            raise _fail(exc) from None
    rebuilt = _prepare_dagster(settings)
    from orchestration.local_runs import ensure_views, materialize_range

    days = (last - first).days + 1
    try:
        log_path = settings.data_dir / "logs" / "materialize-dbt.log"
        click.echo(f"dbt's output goes to {log_path}", err=True)
        instance = _instance()
        if not ensure_views(instance, settings.resolved_warehouse_url, rebuilt, log_path):
            raise click.ClickException("building the staging views failed; see the Dagster UI")
        click.echo(f"materialising {account}: {first} to {last} ({days} days) in one run", err=True)
        run = materialize_range(account, first, last, instance, log_path)
    except WarehouseError as exc:
        raise _fail(exc) from None
    if not run.success:
        raise click.ClickException(
            f"the run {run.run_id} for {account} {first}..{last} failed; see the Dagster UI "
            f"(touchline dev) or {log_path}"
        )
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in run.step_seconds.items())
    click.echo(f"materialised {days} day(s) of {account} in one run ({run.seconds:.1f} s: {steps})")


@main.command()
def publish() -> None:
    """Publish the warehouse's marts to the report API now (DuckDB).

    Every run does this as its last step; run it by hand after an upgrade, or
    to show a view's new SQL before the next run.
    """
    from touchline.serving import publish as publish_marts
    from touchline.warehouse import parse_warehouse_url

    settings = _settings()
    try:
        target = parse_warehouse_url(settings.resolved_warehouse_url)
        if target.dialect != "duckdb":
            click.echo("nothing to publish: on MySQL/MariaDB the API reads the warehouse itself")
            return
        done = publish_marts(str(target.path), keep_seconds=settings.serving_keep_seconds)
    except WarehouseError as exc:
        raise _fail(exc) from None
    marts = ", ".join(f"{name} ({rows:,} rows)" for name, rows in done.tables.items())
    click.echo(f"published {marts or 'no marts'} as {done.snapshot.name} in {done.seconds:.1f} s")


def _instance():
    from dagster import DagsterInstance

    return DagsterInstance.get()


@main.command()
@click.option("--hits", default=50_000, show_default=True, help="How many hits to simulate.")
@click.option(
    "--days", default=14, show_default=True, help="Over how many days (ending yesterday)."
)
@click.option("--site", is_flag=True, help="Serve a demo shop with the tag; print hits live.")
def demo(hits: int, days: int, site: bool) -> None:
    """Simulate traffic, collect it over HTTP, build it with Dagster, print the report."""
    from touchline.demo import run_demo

    settings = _settings()
    if site:
        from touchline.demo_site import serve_demo_site

        try:
            return serve_demo_site(settings)
        except (registry.RegistryError, RuntimeError) as exc:
            raise _fail(exc) from None
    _prepare_dagster(settings)
    try:
        ok = run_demo(settings, hits=hits, days=days)
    except (WarehouseError, registry.RegistryError, RuntimeError) as exc:
        raise _fail(exc) from None
    if not ok:
        sys.exit(1)


main.add_command(attribution_command)
main.add_command(connections)
main.add_command(fx)

if __name__ == "__main__":
    main()
