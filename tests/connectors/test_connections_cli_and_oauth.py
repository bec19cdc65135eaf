"""Connections from the operator's side: the CLI, the OAuth flow through the
API's callback, fx rates, and credentials that never show anywhere."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from api.app import create_app
from connectors import oauth
from connectors.platforms import CONNECTORS
from demo.fakes.server import FakePlatforms
from tests.support.processes import run_touchline
from touchline.control import connections as store
from touchline.control.db import session_scope


@pytest.fixture(scope="module")
def fakes():
    with FakePlatforms() as running:
        yield running


def cli(env, *args):
    return run_touchline(env, *args)


def test_cli_add_list_test_remove_never_shows_credentials(data_dir, fakes, tmp_path) -> None:
    env = {**os.environ, "TOUCHLINE_DATA_DIR": str(data_dir)}
    assert cli(env, "accounts", "add", "acme").returncode == 0
    good = fakes.add_account("meta", "5550001", currency="EUR")
    bad = fakes.add_account("pinterest", "5550002", scenario="auth_failure")
    for name, secrets in (("good", good), ("bad", bad)):
        (tmp_path / f"{name}.json").write_text(json.dumps(secrets))
    settings_args = []
    for key, value in fakes.connection_settings("meta").items():
        settings_args += ["--setting", f"{key}={value}"]
    added = cli(
        env,
        "connections",
        "add",
        "acme",
        "meta",
        "5550001",
        "--secrets-file",
        str(tmp_path / "good.json"),
        *settings_args,
    )
    assert added.returncode == 0, added.stderr
    pin_args = []
    for key, value in fakes.connection_settings("pinterest").items():
        pin_args += ["--setting", f"{key}={value}"]
    assert (
        cli(
            env,
            "connections",
            "add",
            "acme",
            "pinterest",
            "5550002",
            "--secrets-file",
            str(tmp_path / "bad.json"),
            *pin_args,
        ).returncode
        == 0
    )

    listed = cli(env, "connections", "list", "--json")
    items = json.loads(listed.stdout)
    assert [(i["platform"], i["platform_account_id"]) for i in items] == [
        ("meta", "5550001"),
        ("pinterest", "5550002"),
    ]
    assert "refresh_token" in items[0]["credentials"]  # names only

    tested = cli(env, "connections", "test", str(items[0]["id"]), "--day", "2026-11-02")
    assert tested.returncode == 0, tested.stderr
    assert "4 campaign row(s)" in tested.stdout
    spend, _ = fakes.served_totals("meta", "5550001", *[date(2026, 11, 2)] * 2)
    assert f"{spend:.2f} EUR" in tested.stdout

    failed = cli(env, "connections", "test", str(items[1]["id"]), "--day", "2026-11-02")
    assert failed.returncode == 1
    assert "pinterest" in failed.stderr and "reconnect" in failed.stderr
    assert "Traceback" not in failed.stderr

    everything = " ".join(r.stdout + r.stderr for r in (added, listed, tested, failed))
    rows = (
        sqlite3.connect(data_dir / "control.sqlite")
        .execute("SELECT secret_blob, settings_json FROM connections")
        .fetchall()
    )
    for secrets in (good, bad):
        for key, value in secrets.items():
            if key != "client_id":
                assert value not in everything, key
                assert all(value not in blob for blob, _ in rows), key

    removed = cli(env, "connections", "remove", "acme", "pinterest")
    assert removed.returncode == 0 and "removed 1" in removed.stdout
    again = cli(env, "connections", "remove", "acme", "pinterest")
    assert again.returncode == 1 and "no pinterest connection" in again.stderr


def test_cli_refuses_bad_input_in_its_own_words(data_dir, tmp_path) -> None:
    env = {**os.environ, "TOUCHLINE_DATA_DIR": str(data_dir)}
    cli(env, "accounts", "add", "acme")
    (tmp_path / "s.json").write_text("[not json")
    bad_file = cli(
        env, "connections", "add", "acme", "meta", "1", "--secrets-file", str(tmp_path / "s.json")
    )
    assert bad_file.returncode == 1 and "not a JSON object" in bad_file.stderr
    (tmp_path / "ok.json").write_text("{}")
    bad_id = cli(
        env,
        "connections",
        "add",
        "acme",
        "meta",
        "a b",
        "--secrets-file",
        str(tmp_path / "ok.json"),
    )
    assert bad_id.returncode == 1 and "platform account id" in bad_id.stderr
    no_account = cli(
        env,
        "connections",
        "add",
        "nobody",
        "meta",
        "1",
        "--secrets-file",
        str(tmp_path / "ok.json"),
    )
    assert "no account named 'nobody'" in no_account.stderr
    for result in (bad_file, bad_id, no_account):
        assert "Traceback" not in result.stderr


def test_fx_load_keeps_nothing_from_a_bad_file_and_loads_a_good_one(data_dir, tmp_path) -> None:
    env = {**os.environ, "TOUCHLINE_DATA_DIR": str(data_dir)}
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date_day,currency_code,rate\n2026-11-02,USD,0.9\n2026-13-01,EUR,1\n2026-11-02,GBP,-1\n"
    )
    result = cli(env, "fx", "load", str(bad))
    assert result.returncode == 1
    assert "line 3" in result.stderr and "line 4" in result.stderr
    assert "nothing loaded" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text("date_day,currency_code,rate\n2026-11-02,USD,0.9\n2026-11-02,EUR,1\n")
    assert "loaded 2 rate(s)" in cli(env, "fx", "load", str(good)).stdout
    good.write_text("date_day,currency_code,rate\n2026-11-02,USD,0.95\n")
    assert cli(env, "fx", "load", str(good)).returncode == 0
    from touchline.settings import load_settings
    from touchline.warehouse import Warehouse

    rows = Warehouse(load_settings().resolved_warehouse_url).query(
        "SELECT currency_code, rate FROM fx_rates ORDER BY currency_code"
    )
    assert [(r["currency_code"], float(r["rate"])) for r in rows] == [("EUR", 1.0), ("USD", 0.95)]


@pytest.mark.parametrize("platform", ["pinterest", "tiktok"])
def test_oauth_flow_through_the_api_callback(
    settings, make_account, fakes, serve, monkeypatch, platform
) -> None:
    make_account("acme")
    ad_account = "7700001" if platform == "tiktok" else "7700002"
    fakes.add_account(platform, ad_account, currency="EUR")
    prefix = f"TOUCHLINE_OAUTH_{platform.upper()}_"
    monkeypatch.setenv(prefix + "CLIENT_ID", f"{platform}-client")
    monkeypatch.setenv(prefix + "CLIENT_SECRET", "app-secret-42-xyz")
    if platform == "tiktok":  # TikTok's own consent page and code exchange
        base = f"{fakes.http_url}/tiktok"
        monkeypatch.setenv(prefix + "AUTHORIZE_URL", f"{base}/portal/auth")
        monkeypatch.setenv(prefix + "TOKEN_URL", f"{base}/open_api/v1.3/oauth2/access_token/")
    else:
        monkeypatch.setenv(prefix + "AUTHORIZE_URL", f"{fakes.http_url}/{platform}/oauth/authorize")
        monkeypatch.setenv(prefix + "TOKEN_URL", f"{fakes.http_url}/{platform}/oauth/token")
    api = serve(create_app(settings))
    redirect_uri = f"{api}/oauth/{platform}/callback"
    app = oauth.oauth_app(platform)
    url = oauth.start(
        settings, app, "acme", ad_account, redirect_uri, fakes.connection_settings(platform)
    )
    query = parse_qs(urlsplit(url).query)
    assert query["app_id" if platform == "tiktok" else "client_id"] == [f"{platform}-client"]
    assert query["redirect_uri"] == [redirect_uri]
    state = query["state"][0]

    # A forged state is refused before any code is exchanged.
    forged = requests.get(
        redirect_uri, params={"code": "x", "state": state[:-2] + "AA"}, timeout=10
    )
    assert forged.status_code == 400 and "not valid" in forged.text
    # A state for another platform is refused too.
    other = "meta" if platform != "meta" else "tiktok"
    wrong = requests.get(
        f"{api}/oauth/{other}/callback", params={"code": "x", "state": state}, timeout=10
    )
    assert wrong.status_code == 400

    # The browser: consent at the platform, redirected back to our callback.
    consent = requests.get(url + f"&fake_account={ad_account}", allow_redirects=False, timeout=10)
    callback = consent.headers["Location"]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    done = requests.get(callback, timeout=30)
    assert done.status_code == 200 and f"acme is now connected to {platform}" in done.text
    assert code not in done.text and state not in done.text

    with session_scope(settings.resolved_control_db_url) as session:
        (info,) = store.list_connections(session, settings.secret_key.get_secret_value(), "acme")
        blob = session.get(store.Connection, info.id).secret_blob
    assert info.secrets["access_token"] in fakes.state.issued
    assert info.secrets["access_token"] not in blob and "app-secret-42-xyz" not in blob
    connector = CONNECTORS[platform](info.external_account_id, info.secrets, info.settings)
    assert len(list(connector.fetch(date(2026, 11, 2), date(2026, 11, 2)))) == 4

    # The same code cannot be used twice.
    replay = requests.get(callback, timeout=30)
    assert replay.status_code == 400 and "already used" in replay.text


def test_demo_account_is_connected_to_every_platform_fake(settings, make_account) -> None:
    from connectors.runner import pull_account
    from demo.fakes.connect import connect_demo_account

    make_account("demo")
    day = date(2026, 11, 2)
    fakes = connect_demo_account(settings, "demo", [day])
    try:
        pulls = [pull_account(settings, p, "demo", [day]) for p in CONNECTORS]
    finally:
        fakes.stop()
    assert all(p.ok for p in pulls), [p.error for p in pulls]
    assert {p.platform: p.summary.rows for p in pulls}["google_ads"] == 3
    assert {c for p in pulls for c in p.summary.spend} == {"EUR", "USD"}
