"""The ``touchline`` command: its root group and the groups it is made of."""

from __future__ import annotations

import click

from cli import context
from cli.accounts import accounts
from cli.api import api_group
from cli.api_keys import api_keys
from cli.attribution import attribution
from cli.collector import collector
from cli.connections import connections
from cli.demo import demo
from cli.fx import fx
from cli.pipeline import dev, materialize, prepare, publish
from cli.users import users_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Touchline: marketing analytics and multi-touch attribution."""


@main.command("migrate")
def migrate_cmd() -> None:
    """Create or upgrade the control database."""
    settings = context.settings()
    click.echo(f"control database is up to date ({settings.resolved_control_db_url.split(':')[0]})")


for command in (
    accounts,
    api_keys,
    collector,
    api_group,
    prepare,
    dev,
    materialize,
    publish,
    demo,
    attribution,
    connections,
    fx,
    users_group,
):
    main.add_command(command)

if __name__ == "__main__":
    main()
