"""``touchline demo``: the whole pipeline on simulated traffic."""

from __future__ import annotations

import sys

import click

from cli import context
from cli.pipeline import prepare_dagster
from touchline.control import registry
from touchline.warehouse import WarehouseError


@click.command()
@click.option("--hits", default=50_000, show_default=True, help="How many hits to simulate.")
@click.option(
    "--days", default=14, show_default=True, help="Over how many days (ending yesterday)."
)
@click.option("--site", is_flag=True, help="Serve a demo shop with the tag; print hits live.")
def demo(hits: int, days: int, site: bool) -> None:
    """Simulate traffic, collect it over HTTP, build it with Dagster, print the report."""
    from demo.walkthrough import run_demo

    settings = context.settings()
    if site:
        from demo.site import serve_demo_site

        try:
            return serve_demo_site(settings)
        except (registry.RegistryError, RuntimeError) as exc:
            raise context.fail(exc) from None
    prepare_dagster(settings)
    try:
        ok = run_demo(settings, hits=hits, days=days)
    except (WarehouseError, registry.RegistryError, RuntimeError) as exc:
        raise context.fail(exc) from None
    if not ok:
        sys.exit(1)
