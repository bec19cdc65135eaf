"""The fake authorisation servers behave like real ones (RFC 6749 + RFC 7636):
the code comes back with the state, and the token request must repeat the
client and redirect URI and prove the PKCE verifier. Our flow's pieces: the
state is spent once and expires; the platforms list a login's ad accounts."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import update

from connectors.base import Connector
from connectors.oauth import list_ad_accounts
from connectors.platforms import CONNECTORS
from demo.fakes.server import FakePlatforms
from demo.fakes.state import s256
from tests.support.platforms import ACCOUNT_IDS
from touchline.control import oauth_flows as flows
from touchline.control.db import session_scope
from touchline.control.models import utcnow
from touchline.platforms import PLATFORMS

REDIRECT = "http://127.0.0.1:9/oauth/pinterest/callback"


@pytest.fixture(scope="module")
def fakes():
    with FakePlatforms() as running:
        running.add_account("pinterest", "8800001", currency="EUR", name="Pins EU")
        running.add_account("pinterest", "8800002", currency="USD", name="Pins US")
        running.state.register_client("pinterest", "pin-client", "pin-secret", [REDIRECT])
        yield running


def _authorize(fakes, **overrides: str) -> requests.Response:
    params = {
        "response_type": "code",
        "client_id": "pin-client",
        "redirect_uri": REDIRECT,
        "state": "st-123",
        "code_challenge": s256("v" * 50),
        "code_challenge_method": "S256",
        **overrides,
    }
    params = {k: v for k, v in params.items() if v is not None}
    return requests.get(
        f"{fakes.http_url}/pinterest/oauth/authorize?{urlencode(params)}",
        allow_redirects=False,
        timeout=10,
    )


def _token(fakes, code: str, verifier: str | None, **overrides: str) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        form["code_verifier"] = verifier
    form.update(overrides)
    return requests.post(
        f"{fakes.http_url}/pinterest/oauth/token",
        data=form,
        auth=("pin-client", "pin-secret"),
        timeout=10,
    )


def _code(fakes) -> str:
    answer = _authorize(fakes)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["st-123"]  # the state makes the round trip
    return query["code"][0]


def test_the_token_endpoint_checks_the_pkce_verifier(fakes) -> None:
    wrong = _token(fakes, _code(fakes), "w" * 50)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    missing = _token(fakes, _code(fakes), None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    code = _code(fakes)
    good = _token(fakes, code, "v" * 50)
    assert good.status_code == 200 and good.json()["token_type"] == "Bearer"
    # A code works once, and a refused attempt spends it too.
    assert _token(fakes, code, "v" * 50).status_code == 400


def test_the_token_request_must_repeat_client_and_redirect_uri(fakes) -> None:
    moved = _token(fakes, _code(fakes), "v" * 50, redirect_uri=REDIRECT + "/elsewhere")
    assert moved.status_code == 400 and moved.json()["error"] == "invalid_grant"
    stranger = requests.post(
        f"{fakes.http_url}/pinterest/oauth/token",
        data={"grant_type": "authorization_code", "code": _code(fakes), "redirect_uri": REDIRECT},
        auth=("pin-client", "not-the-secret"),
        timeout=10,
    )
    assert stranger.status_code == 401 and stranger.json()["error"] == "invalid_client"


def test_the_consent_page_refuses_what_a_real_one_refuses(fakes) -> None:
    # An unknown client or redirect URI is never redirected to.
    assert _authorize(fakes, client_id="evil").status_code == 400
    assert _authorize(fakes, redirect_uri="http://127.0.0.1:9/evil").status_code == 400
    for bad in ({"code_challenge_method": "plain"}, {"code_challenge": None}, {"state": None}):
        answer = _authorize(fakes, **bad)
        assert answer.status_code == 302
        assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["invalid_request"]
    denied = _authorize(fakes, fake_decision="deny")
    assert parse_qs(urlsplit(denied.headers["Location"]).query)["error"] == ["access_denied"]


def test_a_login_lists_the_ad_accounts_it_reaches(fakes) -> None:
    token = _token(fakes, _code(fakes), "v" * 50).json()
    found = list_ad_accounts(
        "pinterest",
        {"access_token": token["access_token"], "client_id": "pin-client"},
        fakes.connection_settings("pinterest"),
    )
    assert [(a.id, a.name, a.currency) for a in found] == [
        ("8800001", "Pins EU", "EUR"),
        ("8800002", "Pins US", "USD"),
    ]


# Every platform whose connector lists a login's ad accounts, but Google Ads
# (tests/api/test_connections.py runs it end to end through the gRPC fake).
LISTING = [
    p
    for p in PLATFORMS
    if CONNECTORS[p].accessible_accounts is not Connector.accessible_accounts and p != "google_ads"
]


@pytest.mark.parametrize("platform", LISTING)
def test_platforms_list_a_logins_ad_accounts(fakes, platform) -> None:
    account = ACCOUNT_IDS[platform]
    secrets_ = fakes.add_account(platform, account, currency="EUR", name=f"{platform} shop")
    found = list_ad_accounts(platform, secrets_, fakes.connection_settings(platform))
    assert account in [a.id for a in found]


def test_a_state_is_spent_once_and_expires(settings, make_account) -> None:
    make_account("acme")
    key = settings.secret_key.get_secret_value()
    url = settings.resolved_control_db_url
    with session_scope(url) as session:
        new = flows.start_flow(
            session,
            key,
            account_slug="acme",
            platform="pinterest",
            redirect_uri=REDIRECT,
            started_by="test",
        )
        late = flows.start_flow(
            session,
            key,
            account_slug="acme",
            platform="pinterest",
            redirect_uri=REDIRECT,
            started_by="test",
        )
    assert new.code_challenge == s256(_verifier(url, key, new))
    with session_scope(url) as session:
        with pytest.raises(flows.FlowError, match="another platform"):
            flows.claim_state(session, key, "meta", new.state)
        flows.claim_state(session, key, "pinterest", new.state)
    with session_scope(url) as session:
        with pytest.raises(flows.FlowError, match="already used"):
            flows.claim_state(session, key, "pinterest", new.state)
        with pytest.raises(flows.FlowError, match="not valid"):
            flows.claim_state(session, key, "pinterest", secrets.token_urlsafe(32))
        session.execute(
            update(flows.OAuthFlow)
            .where(flows.OAuthFlow.id == late.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with session_scope(url) as session, pytest.raises(flows.FlowError, match="expired"):
        flows.claim_state(session, key, "pinterest", late.state)


def _verifier(url: str, key: str, new: flows.NewFlow) -> str:
    from touchline.control.connections import unseal

    with session_scope(url) as session:
        blob = session.get(flows.OAuthFlow, new.id).verifier_blob
    return unseal(key, blob)["code_verifier"]
