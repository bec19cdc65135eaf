"""``touchline connections add|list|test|remove``.

Secrets come from a JSON file or the OAuth flow, never from the command line
(which would leave them in shell history), and are never printed.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import click

from cli import context
from touchline.control import audit
from touchline.control import connections as store
from touchline.control.db import session_scope
from touchline.settings import Settings

PLATFORM_CHOICE = click.Choice(store.PLATFORMS)


def _key(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint=what)
        out[name.strip()] = text.strip()
    return out


def _read_secrets(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        # json's message quotes the document: say where, not what.
        raise click.ClickException(f"{path} is not a JSON object of credentials") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise click.ClickException(f"{path} is not a JSON object of credentials")
    return data


@click.group("connections")
def connections() -> None:
    """Connections of accounts to ad platforms (credentials stored encrypted)."""


@connections.command("add")
@click.argument("account")
@click.argument("platform", type=PLATFORM_CHOICE)
@click.argument("platform_account_id")
@click.option(
    "--secrets-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON object of credentials (client_id, client_secret, refresh_token, "
    "access_token, developer_token or api_key).",
)
@click.option("--oauth", is_flag=True, help="Print a browser link for the OAuth flow instead.")
@click.option(
    "--redirect-uri",
    default="http://127.0.0.1:8082/oauth/{platform}/callback",
    show_default=True,
    help="The API's callback URL, as registered with the platform's OAuth app.",
)
@click.option("--setting", "settings_", multiple=True, help="Non-secret NAME=VALUE, repeatable.")
@click.option("--replace", is_flag=True, help="Replace an existing connection's credentials.")
def add(
    account: str,
    platform: str,
    platform_account_id: str,
    secrets_file: Path | None,
    oauth: bool,
    redirect_uri: str,
    settings_: tuple[str, ...],
    replace: bool,
) -> None:
    """Connect ACCOUNT to PLATFORM's ad account PLATFORM_ACCOUNT_ID."""
    settings = context.settings()
    extra = _pairs(settings_, "--setting")
    if oauth == bool(secrets_file):
        raise click.UsageError("give exactly one of --secrets-file and --oauth")
    try:
        if oauth:
            from connectors import oauth as flow

            app = flow.oauth_app(platform)
            url = flow.start(
                settings,
                app,
                account,
                platform_account_id,
                redirect_uri.format(platform=platform),
                extra,
            )
            click.echo("open this link in a browser within 15 minutes to connect:")
            click.echo(url)
            return
        secrets = _read_secrets(secrets_file)  # type: ignore[arg-type]
        with session_scope(settings.resolved_control_db_url) as session:
            info = store.add_connection(
                session,
                _key(settings),
                account,
                platform,
                platform_account_id,
                secrets,
                extra,
                replace=replace,
            )
            audit.record(
                session,
                actor=context.actor(),
                account_slug=account,
                action="connection.add",
                target=info.label,
                before=None,
                after={"platform": platform, "external_account_id": platform_account_id},
            )
    except (store.ConnectionsError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"connection {info.id}: {account} → {info.label} (credentials stored encrypted)")


@connections.command("list")
@click.argument("account", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_(account: str | None, as_json: bool) -> None:
    """List connections (never their credentials)."""
    settings = context.settings()
    try:
        with session_scope(settings.resolved_control_db_url) as session:
            rows = store.list_connections(session, _key(settings), account)
    except store.ConnectionsError as exc:
        raise click.ClickException(str(exc)) from None
    items = [
        {
            "id": c.id,
            "account": c.account,
            "platform": c.platform,
            "platform_account_id": c.external_account_id,
            "settings": c.settings,
            "credentials": sorted(k for k, v in c.secrets.items() if v),
            "last_refreshed_at": c.last_refreshed_at.isoformat() if c.last_refreshed_at else None,
        }
        for c in rows
    ]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    if not items:
        click.echo("no connections yet: touchline connections add ACCOUNT PLATFORM ID")
        return
    click.echo(f"{'ID':<4} {'ACCOUNT':<16} {'PLATFORM':<14} {'PLATFORM ACCOUNT':<20} CREDENTIALS")
    for i in items:
        click.echo(
            f"{i['id']:<4} {i['account']:<16} {i['platform']:<14} "
            f"{i['platform_account_id']:<20} {', '.join(i['credentials'])}"
        )


@connections.command("test")
@click.argument("connection_id", type=int)
@click.option("--day", help="Day to fetch, YYYY-MM-DD (default: yesterday).")
def test(connection_id: int, day: str | None) -> None:
    """Fetch one day from the platform and show what came back (nothing is loaded)."""
    from connectors.errors import ConnectorError
    from connectors.platforms import CONNECTORS
    from connectors.retry import RetryPolicy

    settings = context.settings()
    try:
        when = date.fromisoformat(day) if day else date.today() - timedelta(days=1)
    except ValueError:
        raise click.BadParameter(
            f"{day!r} is not a date like 2026-11-21", param_hint="--day"
        ) from None

    def save(secrets: dict) -> None:
        with session_scope(settings.resolved_control_db_url) as session:
            store.save_secrets(session, _key(settings), connection_id, secrets)

    try:
        with session_scope(settings.resolved_control_db_url) as session:
            info = store.get_connection(session, _key(settings), connection_id)
    except store.ConnectionsError as exc:
        raise click.ClickException(str(exc)) from None
    connector = CONNECTORS[info.platform](
        info.external_account_id,
        info.secrets,
        info.settings,
        save_secrets=save,
        retry=RetryPolicy(max_retries=2),
    )
    try:
        rows = list(connector.fetch(when, when))
    except ConnectorError as exc:
        raise click.ClickException(f"{info.label} of {info.account}: {exc}") from None
    spend: dict[str, object] = {}
    for row in rows:
        spend[row.currency_code] = spend.get(row.currency_code, 0) + row.spend  # type: ignore[operator]
    total = ", ".join(f"{v:.2f} {k}" for k, v in sorted(spend.items())) or "0"
    click.echo(f"ok: {info.label} answered {len(rows)} campaign row(s) for {when}, spend {total}")


@connections.command("remove")
@click.argument("account")
@click.argument("platform", type=PLATFORM_CHOICE)
@click.argument("platform_account_id", required=False)
def remove(account: str, platform: str, platform_account_id: str | None) -> None:
    """Remove ACCOUNT's connection(s) to PLATFORM and their credentials."""
    settings = context.settings()
    try:
        with session_scope(settings.resolved_control_db_url) as session:
            n = store.remove_connection(session, account, platform, platform_account_id)
            if n:
                audit.record(
                    session,
                    actor=context.actor(),
                    account_slug=account,
                    action="connection.remove",
                    target=f"{platform}:{platform_account_id or '*'}",
                    before={"platform": platform, "external_account_id": platform_account_id},
                    after=None,
                )
    except store.ConnectionsError as exc:
        raise click.ClickException(str(exc)) from None
    if n == 0:
        raise click.ClickException(f"{account} has no {platform} connection to remove")
    click.echo(f"removed {n} connection(s); past rows stay until those days are re-materialised")
