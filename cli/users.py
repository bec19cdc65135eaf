"""``touchline users``: dashboard users and their roles on accounts.

Every change is written to the audit log as ``cli:<os user>``. Passwords come
from a prompt on a terminal or from ``--password-stdin`` (scripts, CI); they
are never taken as an argument, where ``ps`` and shell history would see them.
"""

from __future__ import annotations

import json
import sys

import click

from cli import context
from touchline.control import audit, registry, users
from touchline.control.db import session_scope
from touchline.control.registry import RegistryError

ROLE = click.Choice(users.ROLE_NAMES)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise click.ClickException(
            "no terminal to ask for the password: pipe it with --password-stdin, "
            "or send an invite (touchline users invite)"
        )
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@click.group("users")
def users_group() -> None:
    """Dashboard users and their roles on accounts."""


@users_group.command("add")
@click.argument("email")
@click.option("--account", required=True, help="The account's slug.")
@click.option("--role", type=ROLE, default="viewer", show_default=True)
@click.option("--name", default="", help="Display name (new users).")
@click.option("--password-stdin", is_flag=True, help="Read a new user's password from stdin.")
def users_add(email: str, account: str, role: str, name: str, password_stdin: bool) -> None:
    """Give EMAIL ROLE on ACCOUNT, creating the user (with a password) if new."""
    url = context.control_url()
    try:
        # Checked before asking for a password: a typo should not cost a prompt.
        with session_scope(url) as session:
            email = users.normalise_email(email)
            registry.get_account(session, account)
            existing = users.find_user(session, email)
            before = None if existing is None else users.role_of(session, email, account)
    except RegistryError as exc:
        raise context.fail(exc) from None
    password = None if existing is not None else _password(password_stdin)
    if existing is not None and password_stdin:
        click.echo(f"{existing.email} already exists: password unchanged", err=True)
    try:
        with session_scope(url) as session:
            user = existing or users.create_user(session, email, password, name)
            users.set_membership(session, user.email, account, role)
            audit.record(
                session,
                actor=context.actor(),
                account_slug=account,
                action="member.add" if before is None else "member.role",
                target=user.email,
                before=None if before is None else {"role": before.label},
                after={"role": role, **({"new_user": True} if existing is None else {})},
            )
    except RegistryError as exc:
        raise context.fail(exc) from None
    made = "created and " if existing is None else ""
    click.echo(f"user {user.email} {made}given {role} on {account}")


@users_group.command("invite")
@click.argument("email")
@click.option("--account", required=True, help="The account's slug.")
@click.option("--role", type=ROLE, default="viewer", show_default=True)
def users_invite(email: str, account: str, role: str) -> None:
    """Invite EMAIL to ACCOUNT: prints a one-time token (valid 7 days) to send them."""
    try:
        with session_scope(context.control_url()) as session:
            actor = context.actor()
            token, invite = users.create_invite(session, email, account, role, actor)
            audit.record(
                session,
                actor=actor,
                account_slug=account,
                action="invite.create",
                target=invite.email,
                before=None,
                after={"email": invite.email, "role": role},
            )
    except RegistryError as exc:
        raise context.fail(exc) from None
    click.echo(token)
    click.echo(
        f"(invite of {invite.email} as {role} on {account}, valid until "
        f"{invite.expires_at:%Y-%m-%d %H:%M} UTC; shown once. They open "
        f"<dashboard>/accept-invite?token={token} or POST it with a password to "
        "/api/v1/auth/accept-invite)",
        err=True,
    )


@users_group.command("remove")
@click.argument("email")
@click.option("--account", help="Remove only the role on this account; the user stays.")
def users_remove(email: str, account: str | None) -> None:
    """Remove EMAIL from ACCOUNT, or delete the user (logged out at once)."""
    actor = context.actor()
    try:
        with session_scope(context.control_url()) as session:
            if account is not None:
                role = users.role_of(session, email, account)
                users.remove_membership(session, email, account)
                removed_from = {account: role}
            else:
                user = users.get_user(session, email)
                removed_from = users.memberships_of(session, user.id)
                users.remove_user(session, email)
            email = users.normalise_email(email)
            # One entry per account, so each account's admins see who left.
            for slug, role in sorted(removed_from.items()):
                audit.record(
                    session,
                    actor=actor,
                    account_slug=slug,
                    action="member.remove" if account else "user.remove",
                    target=email,
                    before={"role": role.label if role else None},
                    after=None,
                )
    except RegistryError as exc:
        raise context.fail(exc) from None
    click.echo(f"{email} removed from {account}" if account else f"user {email} deleted")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def users_list(as_json: bool) -> None:
    """List users with their roles."""
    with session_scope(context.control_url()) as session:
        rows = users.list_users(session)
    if as_json:
        listed = [
            {
                "email": u.email,
                "name": u.name,
                "has_password": u.has_password,
                "roles": {slug: role.label for slug, role in sorted(roles.items())},
            }
            for u, roles in rows
        ]
        click.echo(json.dumps(listed, indent=2))
        return
    if not rows:
        click.echo("no users yet: touchline users add EMAIL --account SLUG --role admin")
        return
    click.echo(f"{'EMAIL':<36} {'PASSWORD':<9} ROLES")
    for u, roles in rows:
        held = ", ".join(f"{slug}:{role.label}" for slug, role in sorted(roles.items()))
        click.echo(f"{u.email:<36} {'set' if u.has_password else 'invited':<9} {held or '(none)'}")


@users_group.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin.")
def users_password(email: str, password_stdin: bool) -> None:
    """Set EMAIL's password; every login session of theirs ends."""
    url = context.control_url()
    try:
        with session_scope(url) as session:
            users.get_user(session, email)
    except RegistryError as exc:
        raise context.fail(exc) from None
    password = _password(password_stdin)
    try:
        with session_scope(url) as session:
            user = users.set_password(session, email, password)
            audit.record(
                session,
                actor=context.actor(),
                account_slug=None,
                action="user.password",
                target=user.email,
                before=None,
                after=None,
            )
    except RegistryError as exc:
        raise context.fail(exc) from None
    click.echo(f"password of {user.email} changed; their sessions ended")
