"""``touchline accounts update`` and ``touchline api-keys revoke``.

Collection settings change live: running collectors pick them up within their
configuration interval (``TOUCHLINE_COLLECTOR_CONFIG_TTL``, 30 s by default).
"""

from __future__ import annotations

import click

from touchline.control import registry
from touchline.control.db import migrate, session_scope
from touchline.settings import get_settings


def _control_url() -> str:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.resolved_control_db_url)
    return settings.resolved_control_db_url


@click.command("update")
@click.argument("slug")
@click.option("--add-domain", multiple=True, help="Site domain the tag may send from.")
@click.option("--remove-domain", multiple=True)
@click.option(
    "--cookie-domain",
    help="First-party collection cookie domain, e.g. client.com for t.client.com "
    "('' to go back to third-party cookies).",
)
@click.option("--consent-default", type=click.Choice(registry.CONSENT_DEFAULTS))
@click.option("--anonymize-ip/--no-anonymize-ip", default=None, help="Zero the IP's last bits.")
@click.option("--bot-policy", type=click.Choice(registry.BOT_POLICIES))
@click.option("--block-visitor", multiple=True, metavar="ID")
@click.option("--unblock-visitor", multiple=True, metavar="ID")
@click.option("--block-ip", multiple=True, metavar="IP|CIDR")
@click.option("--unblock-ip", multiple=True, metavar="IP|CIDR")
@click.option(
    "--rotate-write-key",
    is_flag=True,
    help="Issue a new server write key (Segment API); the old one stops working.",
)
def accounts_update(
    slug: str,
    add_domain: tuple[str, ...],
    remove_domain: tuple[str, ...],
    cookie_domain: str | None,
    consent_default: str | None,
    anonymize_ip: bool | None,
    bot_policy: str | None,
    block_visitor: tuple[str, ...],
    unblock_visitor: tuple[str, ...],
    block_ip: tuple[str, ...],
    unblock_ip: tuple[str, ...],
    rotate_write_key: bool,
) -> None:
    """Change SLUG's collection settings; collectors apply them without a restart."""
    change = registry.AccountUpdate(
        add_domains=add_domain,
        remove_domains=remove_domain,
        cookie_domain=cookie_domain,
        consent_default=consent_default,
        anonymize_ip=anonymize_ip,
        bot_policy=bot_policy,
        block=tuple(("visitor_id", v) for v in block_visitor) + tuple(("ip", v) for v in block_ip),
        unblock=tuple(("visitor_id", v) for v in unblock_visitor)
        + tuple(("ip", v) for v in unblock_ip),
    )
    write_key = None
    try:
        with session_scope(_control_url()) as session:
            config = registry.update_account(session, slug, change)
            if rotate_write_key:
                write_key = registry.rotate_write_key(session, slug)
    except registry.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    blocked = sorted(config.blocked_visitors) + sorted(config.blocked_ips)
    blocked += [str(n) for n in config.blocked_networks]
    click.echo(f"account {slug} updated")
    click.echo(f"  domains:         {', '.join(config.account.domains) or '(any)'}")
    click.echo(f"  cookie domain:   {config.cookie_domain or '(third-party cookies)'}")
    click.echo(f"  consent default: {config.consent_default}")
    click.echo(f"  anonymise IPs:   {'yes' if config.anonymize_ip else 'no'}")
    click.echo(f"  bots:            {config.bot_policy}")
    click.echo(f"  blacklist:       {', '.join(blocked) or '(empty)'}")
    if write_key:
        click.echo(f"server write key: {write_key}")
        click.echo("(store it now: only its hash is kept)", err=True)


@click.command("revoke")
@click.argument("prefix")
@click.option("--account", help="The key's account, when two keys share the prefix.")
def api_keys_revoke(prefix: str, account: str | None) -> None:
    """Revoke the report-API key starting with PREFIX (as shown when it was created)."""
    try:
        with session_scope(_control_url()) as session:
            key = registry.revoke_api_key(session, prefix.rstrip("…"), account)
    except registry.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"API key {key.prefix}… ({key.name}) of {key.account} revoked")


def register(accounts: click.Group, api_keys: click.Group) -> None:
    accounts.add_command(accounts_update)
    api_keys.add_command(api_keys_revoke)
