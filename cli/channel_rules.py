"""``touchline accounts channel-rules``: an account's own channel rules, tried in
order before the default (GA4) channel group.

They apply to the sessions of the days materialised after the change:
re-materialise earlier days to reclassify them.
"""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from cli import context
from touchline.control import audit
from touchline.control import channel_rules as rules
from touchline.control.db import session_scope
from touchline.control.registry import RegistryError


def _audit(
    session: Session, slug: str, action: str, before: list[rules.Rule], after: list[rules.Rule]
) -> None:
    # The same entry the settings API writes for the same change.
    audit.record(
        session,
        actor=context.actor(),
        account_slug=slug,
        action=action,
        target=slug,
        before={"rules": [r.as_json() for r in before]},
        after={"rules": [r.as_json() for r in after]},
    )


def _print(slug: str, found: list[rules.Rule]) -> None:
    if not found:
        click.echo(f"{slug} has no channel rules of its own: the default (GA4) rules apply")
        return
    click.echo(f"channel rules of {slug} (tried in order, before the default rules):")
    for rule in found:
        click.echo(f"  {rule.position:>3}. {rule.channel:<24} when {rule.text()}")


@click.group("channel-rules")
def channel_rules_group() -> None:
    """An account's own channel rules (before the default GA4 channel group)."""


@channel_rules_group.command("list")
@click.argument("slug")
def list_cmd(slug: str) -> None:
    """List SLUG's channel rules in the order they are tried."""
    try:
        with session_scope(context.control_url()) as session:
            found = rules.list_rules(session, slug)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    _print(slug, found)


_FIELDS_HELP = "Fields: " + ", ".join(rules.FIELDS) + ". Operators: " + ", ".join(rules.OPERATORS)


@channel_rules_group.command("add", epilog=_FIELDS_HELP)
@click.argument("slug")
@click.argument("channel")
@click.option(
    "--when",
    "conditions",
    multiple=True,
    required=True,
    metavar="'FIELD OPERATOR [VALUE]'",
    help="A condition, e.g. 'campaign contains brand'; repeat it: all must hold.",
)
@click.option("--position", type=int, help="Where to insert it (1 = tried first; default last).")
def add_cmd(slug: str, channel: str, conditions: tuple[str, ...], position: int | None) -> None:
    """Give sessions matching every --when condition the channel CHANNEL."""
    try:
        parsed = [rules.parse_condition(c) for c in conditions]
        with session_scope(context.control_url()) as session:
            before = rules.list_rules(session, slug)
            found = rules.add_rule(session, slug, channel, parsed, position)
            _audit(session, slug, "channel_rule.add", before, found)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    _print(slug, found)
    click.echo("(applies to the days materialised from now on; re-materialise older days)")


@channel_rules_group.command("remove")
@click.argument("slug")
@click.argument("position", type=int)
def remove_cmd(slug: str, position: int) -> None:
    """Remove SLUG's rule at POSITION (as `list` shows it)."""
    try:
        with session_scope(context.control_url()) as session:
            before = rules.list_rules(session, slug)
            found = rules.remove_rule(session, slug, position)
            _audit(session, slug, "channel_rule.remove", before, found)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    _print(slug, found)
