"""The control database (SQLite and MariaDB) and the `touchline` command line."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import select

from tests.support.processes import run_touchline
from touchline.control import registry
from touchline.control.db import migrate, session_scope
from touchline.control.models import ApiKey


def touchline(data_dir, *args: str) -> subprocess.CompletedProcess:
    return run_touchline({**os.environ, "TOUCHLINE_DATA_DIR": str(data_dir)}, *args)


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def control_url(request, tmp_path) -> str:
    if request.param == "mariadb":
        return request.getfixturevalue("mariadb_url")
    return f"sqlite:///{tmp_path}/control.sqlite"


def test_migrations_accounts_and_hashed_keys(control_url) -> None:
    migrate(control_url)
    migrate(control_url)  # idempotent
    with session_scope(control_url) as session:
        account = registry.create_account(
            session, "acme", "Acme", "Europe/Berlin", "eur", ["https://www.Acme.com/shop"]
        )
        key = registry.create_api_key(session, "acme", "dashboard")
    assert account.domains == ("acme.com",)
    assert account.currency == "EUR"
    assert account.allows_host("shop.acme.com") and not account.allows_host("acme.com.evil.io")
    with session_scope(control_url) as session:
        stored = session.scalars(select(ApiKey.key_hash)).all()
        assert key.plaintext not in stored and len(stored) == 1
        assert registry.authenticate_api_key(session, key.plaintext).slug == "acme"
        assert registry.authenticate_api_key(session, key.plaintext + "x") is None
        with pytest.raises(registry.RegistryError, match="already exists"):
            registry.create_account(session, "acme")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"slug": "Bad Slug"}, "lowercase"),
        ({"slug": "ok", "timezone": "Mars/Base"}, "unknown time zone"),
        ({"slug": "ok", "currency": "EURO"}, "3-letter"),
        ({"slug": "ok", "domains": ["not a domain"]}, "not a domain"),
    ],
)
def test_bad_account_fields_are_refused(settings, fields, message) -> None:
    with (
        session_scope(settings.resolved_control_db_url) as session,
        pytest.raises(registry.RegistryError, match=message),
    ):
        registry.create_account(session, **fields)


def test_cli_accounts_and_keys(data_dir) -> None:
    added = touchline(data_dir, "accounts", "add", "acme", "--name", "Acme", "--domain", "acme.com")
    assert added.returncode == 0, added.stderr
    token = added.stdout.split()[-1]
    assert token.startswith("tl_")
    listed = touchline(data_dir, "accounts", "list")
    assert "acme" in listed.stdout and token in listed.stdout and "acme.com" in listed.stdout
    key = touchline(data_dir, "api-keys", "create", "acme")
    assert key.returncode == 0 and key.stdout.strip().startswith("tlk_")
    assert "not shown again" in key.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["accounts", "add", "Not Valid"], "lowercase letters"),
        (["api-keys", "create", "nobody"], "no account named 'nobody'"),
        (["materialize", "nobody", "--start", "2026-11-01"], "no account named 'nobody'"),
        (["materialize", "acme", "--start", "yesterday"], "not a date"),
    ],
)
def test_cli_errors_are_one_clear_line(data_dir, args, message) -> None:
    touchline(data_dir, "accounts", "add", "acme")
    result = touchline(data_dir, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
