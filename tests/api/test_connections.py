"""Connecting Google Ads from the dashboard's API, end to end over real HTTP
against the fake platform's authorisation server and its gRPC API: the
authorisation redirect carries state and a PKCE challenge, the callback needs
the same user, the login's ad accounts are listed (ListAccessibleCustomers),
one is chosen, the tokens are stored encrypted; replayed and forged states
are refused. Then the connection shows its last pull and last error."""

from __future__ import annotations

import sqlite3
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from api.app import create_app
from connectors.runner import pull_account
from demo.fakes.server import FakePlatforms
from tests.support.people import add_user, login
from touchline.control import audit
from touchline.control import connections as store
from touchline.control.db import session_scope

PASSWORD = "correct horse battery staple"
CLIENT_SECRET = "app-secret-7f3e9a"
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def fakes():
    with FakePlatforms() as running:
        yield running


@pytest.fixture
def api(settings, make_account, serve, fakes, monkeypatch):
    make_account("acme")
    make_account("other")
    fakes.add_account("google_ads", "1234567890", currency="EUR", name="Acme EU")
    fakes.add_account("google_ads", "2345678901", currency="GBP", name="Acme UK")
    url = settings.resolved_control_db_url
    add_user(url, "ed@example.com", PASSWORD, {"acme": "editor"})
    add_user(url, "ed2@example.com", PASSWORD, {"acme": "admin"})
    add_user(url, "vi@example.com", PASSWORD, {"acme": "viewer"})
    add_user(url, "ot@example.com", PASSWORD, {"other": "admin"})
    base = serve(create_app(settings))
    prefix = "TOUCHLINE_OAUTH_GOOGLE_ADS_"
    for name, value in {
        "CLIENT_ID": "tl-client",
        "CLIENT_SECRET": CLIENT_SECRET,
        "DEVELOPER_TOKEN": "dev-token-55",
        "AUTHORIZE_URL": f"{fakes.http_url}/google_ads/oauth/authorize",
        "TOKEN_URL": f"{fakes.http_url}/google_ads/oauth/token",
        "REFRESH_URL": f"{fakes.http_url}/google_ads/oauth/token",
        "API_URL": fakes.grpc_endpoint,
    }.items():
        monkeypatch.setenv(prefix + name, value)
    callback = f"{base}/oauth/google_ads/callback"
    fakes.state.register_client("google_ads", "tl-client", CLIENT_SECRET, [callback])
    return base, {
        who: login(base, f"{who}@example.com", PASSWORD) for who in ("ed", "ed2", "vi", "ot")
    }


def _authorize(base: str, browser: requests.Session) -> tuple[str, dict[str, list[str]]]:
    started = browser.post(
        f"{base}/api/v1/accounts/acme/connections/google_ads/authorize", timeout=30
    )
    assert started.status_code == 201, started.text
    url = started.json()["authorization_url"]
    return url, parse_qs(urlsplit(url).query)


def _consent(url: str) -> str:
    """The platform's consent page, agreed: where it sends the browser back."""
    answer = requests.get(url, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def test_connect_google_ads_end_to_end(api, settings, fakes) -> None:
    base, who = api
    url, query = _authorize(base, who["ed"])
    assert query["client_id"] == ["tl-client"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{base}/oauth/google_ads/callback"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 43
    assert query["scope"] == ["https://www.googleapis.com/auth/adwords"]

    back = _consent(url)
    assert parse_qs(urlsplit(back).query)["state"] == query["state"]
    done = who["ed"].get(back, headers=JSON, timeout=60)
    assert done.status_code == 200, done.text
    landed = done.json()
    assert [(c["id"], c["name"], c["currency"]) for c in landed["choices"]] == [
        ("123-456-7890", "Acme EU", "EUR"),
        ("234-567-8901", "Acme UK", "GBP"),
    ]
    pending = f"{base}{landed['pending_url']}"
    listed = who["ed"].get(pending, timeout=10).json()
    assert listed["choices"] == landed["choices"] and listed["manual_entry"] is False
    # The pending flow is the starter's: another editor of acme does not see it.
    assert who["ed2"].get(pending, timeout=10).status_code == 404
    assert who["vi"].get(pending, timeout=10).status_code == 403

    wrong = who["ed"].post(pending, json={"external_account_id": "999-999-9999"}, timeout=10)
    assert wrong.status_code == 400 and wrong.json()["field"] == "external_account_id"
    chosen = who["ed"].post(pending, json={"external_account_id": "123-456-7890"}, timeout=10)
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["external_account_id"] == "123-456-7890"
    assert chosen.json()["status"] == "never_pulled"
    assert who["ed"].get(pending, timeout=10).status_code == 404  # used up

    # Replaying the callback is refused: the state was single-use.
    replay = who["ed"].get(back, headers=JSON, timeout=30)
    assert replay.status_code == 400 and "already used" in replay.json()["error"]

    # The tokens are stored encrypted, work, and show nowhere.
    with session_scope(settings.resolved_control_db_url) as session:
        (info,) = store.list_connections(session, settings.secret_key.get_secret_value(), "acme")
    assert info.secrets["access_token"] in fakes.state.issued
    db = sqlite3.connect(settings.data_dir / "control.sqlite")
    (blob,) = db.execute("SELECT secret_blob FROM connections").fetchone()
    flows = " ".join(str(r) for r in db.execute("SELECT * FROM oauth_flows").fetchall())
    for secret in (info.secrets["access_token"], info.secrets["refresh_token"], CLIENT_SECRET):
        assert secret not in blob and secret not in flows
    assert query["state"][0] not in flows  # only its hash is kept
    listing = who["vi"].get(f"{base}/api/v1/accounts/acme/connections", timeout=30)
    assert listing.status_code == 200
    (conn,) = listing.json()["connections"]
    assert conn["platform"] == "google_ads" and conn["external_account_id"] == "123-456-7890"
    google = [p for p in listing.json()["platforms"] if p["name"] == "google_ads"]
    assert google == [{"name": "google_ads", "oauth_configured": True}]
    for secret in (info.secrets["access_token"], info.secrets["refresh_token"], CLIENT_SECRET):
        assert secret not in listing.text and secret not in done.text and secret not in chosen.text

    with session_scope(settings.resolved_control_db_url) as session:
        entries = audit.entries(session, "acme")
    (entry,) = [e for e in entries if e.action == "connection.add"]
    assert entry.actor == "ed@example.com" and entry.target == "google_ads:123-456-7890"
    assert entry.after == {"platform": "google_ads", "external_account_id": "123-456-7890"}

    # A pull records its success on the connection; a failing one its first line.
    day = date(2026, 11, 2)
    assert pull_account(settings, "google_ads", "acme", [day]).ok
    (conn,) = (
        who["vi"].get(f"{base}/api/v1/accounts/acme/connections", timeout=30).json()["connections"]
    )
    assert conn["status"] == "ok" and conn["last_success_at"] and conn["last_error"] is None
    bad = fakes.add_account("google_ads", "3456789012", scenario="auth_failure")
    bad["access_token"] = "revoked-token-abc"
    with session_scope(settings.resolved_control_db_url) as session:
        store.add_connection(
            session,
            settings.secret_key.get_secret_value(),
            "acme",
            "google_ads",
            "345-678-9012",
            bad,
            {
                "endpoint": fakes.grpc_endpoint,
                "token_url": f"{fakes.http_url}/google_ads/oauth/token",
            },
        )
    assert not pull_account(settings, "google_ads", "acme", [day]).ok
    listing = who["vi"].get(f"{base}/api/v1/accounts/acme/connections", timeout=30)
    failing = {c["external_account_id"]: c for c in listing.json()["connections"]}["345-678-9012"]
    assert failing["status"] == "failing" and failing["last_pull_at"]
    assert "refused access" in failing["last_error"] and "\n" not in failing["last_error"]
    for secret in bad.values():
        assert secret not in listing.text

    # Removing a connection: editors only, audited.
    assert (
        who["vi"]
        .delete(f"{base}/api/v1/accounts/acme/connections/{conn['id']}", timeout=10)
        .status_code
        == 403
    )
    gone = who["ed"].delete(f"{base}/api/v1/accounts/acme/connections/{conn['id']}", timeout=10)
    assert gone.status_code == 204
    with session_scope(settings.resolved_control_db_url) as session:
        assert "connection.remove" in [e.action for e in audit.entries(session, "acme")]


def test_forged_and_foreign_states_are_refused(api, fakes) -> None:
    base, who = api
    url, query = _authorize(base, who["ed"])
    back = _consent(url)
    code = parse_qs(urlsplit(back).query)["code"][0]
    forged = who["ed"].get(
        f"{base}/oauth/google_ads/callback",
        params={"code": code, "state": "forged-" + query["state"][0][7:]},
        headers=JSON,
        timeout=30,
    )
    assert forged.status_code == 400 and "not valid" in forged.json()["error"]
    # The state is bound to the user who started the flow: another user's
    # browser (or none) cannot complete it, and the state is then spent.
    other = who["ed2"].get(back, headers=JSON, timeout=30)
    assert other.status_code == 400 and "log in as the user" in other.json()["error"]
    again = who["ed"].get(back, headers=JSON, timeout=30)
    assert again.status_code == 400 and "already used" in again.json()["error"]
    # A declined consent comes back as the platform's error code.
    declined = who["ed"].get(
        f"{base}/oauth/google_ads/callback", params={"error": "access_denied"}, timeout=30
    )
    assert declined.status_code == 400 and "access_denied" in declined.text
    # Nothing was connected; no state, code or token is echoed.
    listing = who["ed"].get(f"{base}/api/v1/accounts/acme/connections", timeout=30).json()
    assert listing["connections"] == []
    for answer in (forged, other, again):
        assert code not in answer.text and query["state"][0] not in answer.text


def test_who_may_start_a_flow(api) -> None:
    base, who = api
    path = "/api/v1/accounts/acme/connections/google_ads/authorize"
    assert who["vi"].post(base + path, timeout=10).status_code == 403
    assert who["ot"].post(base + path, timeout=10).status_code == 404
    assert requests.post(base + path, timeout=10).status_code == 401
    unknown = who["ed"].post(
        f"{base}/api/v1/accounts/acme/connections/myspace/authorize", timeout=10
    )
    assert unknown.status_code == 404
    assert who["ot"].get(f"{base}/api/v1/accounts/acme/connections", timeout=10).status_code == 404


def test_a_platform_without_an_oauth_app_says_what_to_set(api, monkeypatch) -> None:
    base, who = api
    monkeypatch.delenv("TOUCHLINE_OAUTH_META_CLIENT_ID", raising=False)
    answer = who["ed"].post(f"{base}/api/v1/accounts/acme/connections/meta/authorize", timeout=10)
    assert answer.status_code == 400 and "TOUCHLINE_OAUTH_META_CLIENT_ID" in answer.json()["error"]
