"""``touchline accounts``: client accounts, their collection settings, their own
channel rules and their attribution settings.

Collection settings change live: running collectors pick them up within their
configuration interval (``TOUCHLINE_COLLECTOR_CONFIG_TTL``, 30 s by default).
"""

from __future__ import annotations

import json
from dataclasses import asdict

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli import context
from cli.channel_rules import channel_rules_group
from touchline.control import audit, registry
from touchline.control import channel_rules as rules
from touchline.control.db import session_scope
from touchline.control.models import Account


@click.group("accounts")
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
    settings = context.settings()
    try:
        with session_scope(settings.resolved_control_db_url) as session:
            account = registry.create_account(session, slug, name, tz, currency, list(domains))
    except registry.RegistryError as exc:
        raise context.fail(exc) from None
    click.echo(f"account {account.slug} created")
    click.echo(f"tracking token: {account.tracking_token}")


@accounts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def accounts_list(as_json: bool) -> None:
    """List accounts."""
    settings = context.settings()
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


@accounts.command("update")
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
        with session_scope(context.control_url()) as session:
            before = _snapshot(session, slug)
            config = registry.update_account(session, slug, change)
            if rotate_write_key:
                write_key = registry.rotate_write_key(session, slug)
            audit.record_change(
                session,
                actor=context.actor(),
                account_slug=slug,
                action="account.update",
                target=slug,
                before=before,
                after=_snapshot(session, slug),
            )
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


def _snapshot(session: Session, slug: str) -> dict[str, object]:
    """What `update` can change, for the audit log's before and after."""
    found = registry.account_settings(session, slug)
    account = session.scalar(select(Account).where(Account.slug == slug))
    if account is not None:
        session.refresh(account, ["blacklist"])
        found["blacklist"] = sorted(f"{e.kind} {e.value}" for e in account.blacklist)
    return found


@accounts.command("attribution")
@click.argument("slug")
@click.option("--lookback-days", type=int, help="How far back a sale's journey reaches (1-90).")
@click.option(
    "--fit-days", type=int, help="Window the Markov and Shapley models are fitted on (7-365)."
)
@click.option(
    "--view-through-hours",
    type=int,
    help="Ad impressions this close before a sale are touches (0 = never; up to 720).",
)
def attribution_settings_cmd(
    slug: str, lookback_days: int | None, fit_days: int | None, view_through_hours: int | None
) -> None:
    """Show or change SLUG's attribution settings."""
    try:
        with session_scope(context.control_url()) as session:
            before = rules.attribution_settings(session, [slug]).get(slug)
            found = rules.update_attribution_settings(
                session, slug, lookback_days, fit_days, view_through_hours
            )
            if before is not None:
                audit.record_change(
                    session,
                    actor=context.actor(),
                    account_slug=slug,
                    action="attribution.update",
                    target=slug,
                    before=asdict(before),
                    after=asdict(found),
                )
    except registry.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"attribution settings of {slug}")
    click.echo(f"  lookback:     {found.lookback_days} days before a sale")
    click.echo(f"  model fit:    {found.fit_days} days (Markov, Shapley)")
    hours = found.view_through_hours
    click.echo(
        f"  view-through: {f'{hours} hours' if hours else 'off (impressions are not touches)'}"
    )


accounts.add_command(channel_rules_group)
