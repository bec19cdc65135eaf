"""``touchline fx load``: exchange rates for converting ad spend."""

from __future__ import annotations

from pathlib import Path

import click

from cli import context


@click.group("fx")
def fx() -> None:
    """Exchange rates for converting ad spend."""


@fx.command("load")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def fx_load(file: Path) -> None:
    """Load FILE.csv (date_day,currency_code,rate) into the warehouse's fx_rates."""
    from touchline import fx as rates
    from touchline.warehouse import Warehouse, WarehouseError

    settings = context.settings()
    try:
        parsed = rates.read_rates(file)
        n = rates.load_rates(Warehouse(settings.resolved_warehouse_url), parsed)
    except (rates.FxError, WarehouseError) as exc:
        raise click.ClickException(str(exc)) from None
    days = sorted({r.date_day for r in parsed})
    span = f" for {days[0]}..{days[-1]}" if days else ""
    click.echo(f"loaded {n} rate(s){span}")
