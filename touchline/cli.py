"""The ``touchline`` command line."""

from __future__ import annotations

import json
import os
import sys
from datetime import date, timedelta

import click

from touchline.control import registry
from touchline.control.db import migrate, session_scope
from touchline.dbt import REPO_ROOT
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
@click.option("--threads", default=4, show_default=True)
def collector_serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve POST /collect with gunicorn."""
    _settings()
    os.execv(sys.executable, _gunicorn("collector.app:create_app()", host, port, workers, threads))


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


def _prepare_dagster(settings: Settings) -> None:
    from touchline.dagster_home import ensure_dagster_home
    from touchline.dbt import apply_dbt_env, ensure_manifest, warehouse_target

    target = warehouse_target(settings)
    apply_dbt_env(target)
    ensure_manifest(target)
    ensure_dagster_home(settings, target.dialect)


@main.command()
@click.option("--port", default=3000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def dev(port: int, host: str) -> None:
    """Open the Dagster UI on Touchline's definitions (dagster dev -w workspace.yaml)."""
    settings = _settings()
    _prepare_dagster(settings)
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
@click.option("--start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--end", help="Last day, YYYY-MM-DD (default: --start).")
def materialize(account: str, start: str, end: str | None) -> None:
    """Load and build ACCOUNT's partitions from --start to --end through Dagster."""
    from tqdm import tqdm

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
    _prepare_dagster(settings)
    from orchestration.local_runs import build_views, materialize_account_days

    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    try:
        log_path = settings.data_dir / "logs" / "materialize-dbt.log"
        click.echo(f"dbt's output goes to {log_path}", err=True)
        instance = _instance()
        if not build_views(instance, log_path):
            raise click.ClickException("building the staging views failed; see the Dagster UI")
        with tqdm(total=len(days), desc=f"materialising {account}", unit="day") as bar:
            runs = materialize_account_days(
                account, days, instance, lambda r: bar.update(1), log_path
            )
    except WarehouseError as exc:
        raise _fail(exc) from None
    failed = [r for r in runs if not r.success]
    for run in failed:
        click.echo(f"failed: {run.account} {run.day} (run {run.run_id})", err=True)
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(runs)} partitions failed")
    click.echo(f"materialised {len(runs)} partition(s) of {account}")


def _instance():
    from dagster import DagsterInstance

    return DagsterInstance.get()


@main.command()
@click.option("--hits", default=50_000, show_default=True, help="How many hits to simulate.")
@click.option(
    "--days", default=14, show_default=True, help="Over how many days (ending yesterday)."
)
def demo(hits: int, days: int) -> None:
    """Simulate traffic, collect it over HTTP, build it with Dagster, print the report."""
    from touchline.demo import run_demo

    settings = _settings()
    _prepare_dagster(settings)
    try:
        ok = run_demo(settings, hits=hits, days=days)
    except (WarehouseError, registry.RegistryError, RuntimeError) as exc:
        raise _fail(exc) from None
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
