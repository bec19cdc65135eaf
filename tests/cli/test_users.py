"""``touchline users`` in its own process (no terminal, as in CI), and the people
migration on SQLite and MariaDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from tests.support.processes import REPO
from touchline.control import audit, registry, users
from touchline.control.db import alembic_config, engine_for, migrate, session_scope
from touchline.control.models import AuditEntry, User


def touchline(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO,
        env={**os.environ, "TOUCHLINE_DATA_DIR": str(data_dir)},
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_users_add_invite_list_remove(settings, data_dir: Path) -> None:
    url = settings.resolved_control_db_url
    with session_scope(url) as session:
        registry.create_account(session, "acme")
        registry.create_account(session, "rival")

    added = touchline(
        data_dir,
        *("users", "add", " Ann@Acme.test", "--account", "acme", "--role", "admin"),
        "--password-stdin",
        stdin="a long password\n",
    )
    assert "ann@acme.test created and given admin on acme" in ok(added)
    # An existing user just gets the role; no password is asked for.
    ok(touchline(data_dir, "users", "add", "ann@acme.test", "--account", "rival"))
    with session_scope(url) as session:
        assert users.authenticate(session, "ann@acme.test", "a long password") is not None
        assert users.memberships_of(session, users.get_user(session, "ann@acme.test").id) == {
            "acme": users.Role.ADMIN,
            "rival": users.Role.VIEWER,
        }

    invited = touchline(data_dir, "users", "invite", "bob@acme.test", "--account", "acme")
    token = ok(invited).strip()
    assert token.startswith("tli_") and "accept-invite" in invited.stderr
    with session_scope(url) as session:
        user, invite, created = users.accept_invite(session, token, "bob's password")
    assert created and invite.role == users.Role.VIEWER

    listed = json.loads(ok(touchline(data_dir, "users", "list", "--json")))
    assert listed == [
        {
            "email": "ann@acme.test",
            "name": "",
            "has_password": True,
            "roles": {"acme": "admin", "rival": "viewer"},
        },
        {"email": "bob@acme.test", "name": "", "has_password": True, "roles": {"acme": "viewer"}},
    ]
    table = ok(touchline(data_dir, "users", "list"))
    assert "ann@acme.test" in table and "acme:admin, rival:viewer" in table

    ok(touchline(data_dir, "users", "remove", "ann@acme.test", "--account", "rival"))
    ok(touchline(data_dir, "users", "remove", "bob@acme.test"))
    listed = json.loads(ok(touchline(data_dir, "users", "list", "--json")))
    assert [(u["email"], u["roles"]) for u in listed] == [("ann@acme.test", {"acme": "admin"})]

    with session_scope(url) as session:
        trail = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        hashes = session.scalars(select(User.password_hash)).all()
    assert [(e.account_slug, e.action, e.target) for e in trail] == [
        ("acme", "member.add", "ann@acme.test"),
        ("rival", "member.add", "ann@acme.test"),
        ("acme", "invite.create", "bob@acme.test"),
        ("rival", "member.remove", "ann@acme.test"),
        ("acme", "user.remove", "bob@acme.test"),
    ]
    assert all(e.actor.startswith("cli:") for e in trail)
    written = " ".join(f"{e.before_json} {e.after_json}" for e in trail)
    assert "password" not in written and token not in written
    assert not any(h in written for h in hashes)


def test_users_errors_are_sentences(settings, data_dir: Path) -> None:
    with session_scope(settings.resolved_control_db_url) as session:
        registry.create_account(session, "acme")
    # No terminal and no --password-stdin: say so instead of hanging or crashing.
    refused(
        touchline(data_dir, "users", "add", "new@acme.test", "--account", "acme"),
        "--password-stdin",
    )
    refused(
        touchline(
            data_dir,
            *("users", "add", "new@acme.test", "--account", "acme", "--password-stdin"),
            stdin="short\n",
        ),
        "at least 8 characters",
    )
    refused(
        touchline(data_dir, "users", "add", "x@y.test", "--account", "ghost", "--password-stdin"),
        "no account named 'ghost'",
    )
    refused(
        touchline(data_dir, "users", "add", "not-an-email", "--account", "acme"),
        "is not an email address",
    )
    refused(
        touchline(data_dir, "users", "add", "a@b.test", "--account", "acme", "--role", "owner"),
        "'owner' is not one of",
    )
    refused(touchline(data_dir, "users", "remove", "nobody@acme.test"), "no user nobody@acme.test")
    refused(
        touchline(data_dir, "users", "invite", "x@acme.test", "--account", "ghost"),
        "no account named 'ghost'",
    )


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def control_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "mariadb":
        return request.getfixturevalue("mariadb_url")
    return f"sqlite:///{tmp_path}/control.sqlite"


PEOPLE_TABLES = {"users", "memberships", "user_sessions", "invites", "login_attempts", "audit_log"}


def test_people_migration_up_down_up(control_url: str) -> None:
    migrate(control_url)
    with session_scope(control_url) as session:
        registry.create_account(session, "acme")
        users.create_user(session, "ann@acme.test", "a long password")
        users.set_membership(session, "ann@acme.test", "acme", "admin")
    engine = engine_for(control_url)
    found = inspect(engine)
    assert set(found.get_table_names()) >= PEOPLE_TABLES
    week_start = {c["name"]: c for c in found.get_columns("accounts")}["week_start"]
    assert not week_start["nullable"]

    with session_scope(control_url) as session:
        assert session.scalar(select(User.email)) == "ann@acme.test"
    with engine.begin() as connection:
        cfg = alembic_config(control_url)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0004")
    found = inspect(engine)
    assert not PEOPLE_TABLES & set(found.get_table_names())
    assert "week_start" not in {c["name"] for c in found.get_columns("accounts")}
    migrate(control_url)
    with session_scope(control_url) as session:
        assert registry.get_account(session, "acme").slug == "acme"
        assert users.list_users(session) == []


def test_cli_key_changes_are_audited(settings, data_dir: Path) -> None:
    ok(touchline(data_dir, "accounts", "add", "acme"))
    key = ok(touchline(data_dir, "api-keys", "create", "acme", "--name", "sync")).strip()
    ok(touchline(data_dir, "api-keys", "revoke", key[:10]))
    with session_scope(settings.resolved_control_db_url) as session:
        trail = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.account_slug, e.action, e.target) for e in trail] == [
        ("acme", "api_key.create", key[:10]),
        ("acme", "api_key.revoke", key[:10]),
    ]
    assert all(e.actor.startswith("cli:") and key not in str(e.after_json) for e in trail)


def test_audit_redacts_secret_looking_values(settings) -> None:
    url = settings.resolved_control_db_url
    with session_scope(url) as session:
        audit.record(
            session,
            actor="cli:test",
            account_slug="acme",
            action="connection.update",
            target="google_ads",
            before={"refresh_token": "s3cr3t-1", "nested": [{"client_secret": "s3cr3t-2"}]},
            after={"password_hash": "s3cr3t-3", "api_key": "s3cr3t-4", "keyword": "shown"},
        )
    with session_scope(url) as session:
        (entry,) = audit.entries(session, "acme")
    assert "s3cr3t" not in f"{entry.before} {entry.after}"
    assert entry.after == {
        "api_key": "[redacted]",
        "keyword": "shown",
        "password_hash": "[redacted]",
    }
