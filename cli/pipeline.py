"""``touchline prepare | dev | materialize | publish``: dbt's manifest, the Dagster
instance, the UI and runs of an account's days."""

from __future__ import annotations

import os
import sys

import click

from cli import context
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.settings import Settings
from touchline.warehouse import WarehouseError


def prepare_dagster(settings: Settings) -> bool:
    """Detect the warehouse's adapter, (re)parse dbt's manifest when the project
    changed, and set up DAGSTER_HOME. True when the manifest was rebuilt."""
    from orchestration.local_runs import prepare_local

    try:
        return prepare_local(settings).manifest_rebuilt
    except RuntimeError as exc:
        raise context.fail(exc) from None


@click.command()
def prepare() -> None:
    """Prepare dbt's manifest and the Dagster instance (run on install and deploy)."""
    settings = context.settings()
    rebuilt = prepare_dagster(settings)
    state = "rebuilt" if rebuilt else "up to date"
    click.echo(f"dbt manifest {state}; DAGSTER_HOME={os.environ['DAGSTER_HOME']}")


@click.command()
@click.option("--port", default=3000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def dev(port: int, host: str) -> None:
    """Open the Dagster UI on Touchline's definitions (dagster dev -w workspace.yaml)."""
    settings = context.settings()
    prepare_dagster(settings)
    from touchline.dbt.project import REPO_ROOT

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


@click.command()
@click.argument("account")
@click.option("--start", required=True, help="First local day, YYYY-MM-DD.")
@click.option("--end", help="Last local day, YYYY-MM-DD (default: --start).")
def materialize(account: str, start: str, end: str | None) -> None:
    """Load and build ACCOUNT's days from --start to --end as one Dagster run."""
    settings = context.settings()
    first = context.parse_day(start, "--start")
    last = context.parse_day(end, "--end") if end else first
    if last < first:
        raise click.BadParameter("--end is before --start", param_hint="--end")
    with session_scope(settings.resolved_control_db_url) as session:
        try:
            registry.get_account(session, account)
        except registry.RegistryError as exc:
            raise context.fail(exc) from None
    rebuilt = prepare_dagster(settings)
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
        raise context.fail(exc) from None
    if not run.success:
        raise click.ClickException(
            f"the run {run.run_id} for {account} {first}..{last} failed; see the Dagster UI "
            f"(touchline dev) or {log_path}"
        )
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in run.step_seconds.items())
    click.echo(f"materialised {days} day(s) of {account} in one run ({run.seconds:.1f} s: {steps})")


@click.command()
def publish() -> None:
    """Publish the warehouse's marts to the report API now (DuckDB).

    Every run does this as its last step; run it by hand after an upgrade, or
    to show a view's new SQL before the next run.
    """
    from touchline.serving import publish as publish_marts
    from touchline.warehouse import parse_warehouse_url

    settings = context.settings()
    try:
        target = parse_warehouse_url(settings.resolved_warehouse_url)
        if target.dialect != "duckdb":
            click.echo("nothing to publish: on MySQL/MariaDB the API reads the warehouse itself")
            return
        done = publish_marts(str(target.path), keep_seconds=settings.serving_keep_seconds)
    except WarehouseError as exc:
        raise context.fail(exc) from None
    marts = ", ".join(f"{name} ({rows:,} rows)" for name, rows in done.tables.items())
    click.echo(f"published {marts or 'no marts'} as {done.snapshot.name} in {done.seconds:.1f} s")


def _instance():
    from dagster import DagsterInstance

    return DagsterInstance.get()
