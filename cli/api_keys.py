"""``touchline api-keys``: keys for the report API, one account each. A key is
shown once; only its hash is stored."""

from __future__ import annotations

import click

from cli import context
from touchline.control import audit, registry
from touchline.control.db import session_scope


@click.group("api-keys")
def api_keys() -> None:
    """Keys for the report API."""


@api_keys.command("create")
@click.argument("account")
@click.option("--name", default="default", show_default=True)
def api_keys_create(account: str, name: str) -> None:
    """Create a key for ACCOUNT. It is shown once; only its hash is stored."""
    settings = context.settings()
    try:
        with session_scope(settings.resolved_control_db_url) as session:
            key = registry.create_api_key(session, account, name)
            audit.record(
                session,
                actor=context.actor(),
                account_slug=key.account,
                action="api_key.create",
                target=key.prefix,
                before=None,
                after={"name": key.name, "prefix": key.prefix},
            )
    except registry.RegistryError as exc:
        raise context.fail(exc) from None
    click.echo(key.plaintext)
    click.echo(
        f"(key {key.prefix}… for {key.account}; store it now, it is not shown again)", err=True
    )


@api_keys.command("revoke")
@click.argument("prefix")
@click.option("--account", help="The key's account, when two keys share the prefix.")
def api_keys_revoke(prefix: str, account: str | None) -> None:
    """Revoke the report-API key starting with PREFIX (as shown when it was created)."""
    try:
        with session_scope(context.control_url()) as session:
            key = registry.revoke_api_key(session, prefix.rstrip("…"), account)
            audit.record(
                session,
                actor=context.actor(),
                account_slug=key.account,
                action="api_key.revoke",
                target=key.prefix,
                before={"name": key.name, "prefix": key.prefix},
                after=None,
            )
    except registry.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"API key {key.prefix}… ({key.name}) of {key.account} revoked")
