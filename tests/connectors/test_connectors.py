"""Every connector against its fake on loopback: pages, rate limits, expired and
revoked tokens, server errors. The fakes speak the platforms' real shapes."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest

from connectors.errors import AuthError
from connectors.platforms import CONNECTORS
from connectors.retry import RetryPolicy
from demo.fakes.server import FakePlatforms
from tests.support.platforms import ACCOUNT_IDS

PLATFORMS = sorted(CONNECTORS)
START, END = date(2026, 11, 1), date(2026, 11, 3)


class Sleeps:
    """Records every wait a connector asks for; really waits the short ones."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if seconds <= 1.5:
            time.sleep(seconds)


@pytest.fixture(scope="module")
def fakes():
    with FakePlatforms() as running:
        yield running


def connector(fakes: FakePlatforms, platform: str, scenario: str, suffix: str = ""):
    account_id = ACCOUNT_IDS[platform] + suffix
    secrets = fakes.add_account(platform, account_id, currency="USD", scenario=scenario)
    saved: list[dict] = []
    sleeps = Sleeps()
    conn = CONNECTORS[platform](
        account_id,
        secrets,
        {**fakes.connection_settings(platform), "customer_id": "999"},
        save_secrets=saved.append,
        retry=RetryPolicy(max_retries=3, base_delay=0.2, sleep=sleeps),
    )
    return conn, account_id, secrets, saved, sleeps


def data_requests(fakes, platform, account_id):
    return [r for r in fakes.state.log if r.platform == platform and r.account_id == account_id]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_all_pages_are_fetched_and_match_what_was_served(fakes, platform) -> None:
    conn, account_id, *_ = connector(fakes, platform, "pages", "1")
    rows = list(conn.fetch(START, END))
    campaigns = fakes.state.account(platform, account_id).campaigns
    assert len(rows) == 3 * len(campaigns)  # 3 days x 4 campaigns over pages of 3
    assert {(r.date_day, r.campaign_id) for r in rows} == {
        (d, c) for d in (START, date(2026, 11, 2), END) for c, _ in campaigns
    }
    spend, value = fakes.served_totals(platform, account_id, START, END)
    assert sum((r.spend for r in rows), Decimal(0)) == spend
    assert sum((r.conversions_value for r in rows), Decimal(0)) == value
    assert all(r.currency_code == "USD" and r.platform == platform for r in rows)
    if platform == "klaviyo":
        assert spend == 0 and value > 0
    else:
        assert spend > 0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rate_limit_waits_the_advertised_delay_then_succeeds(fakes, platform) -> None:
    conn, account_id, _, _, sleeps = connector(fakes, platform, "rate_limit", "2")
    rows = list(conn.fetch(START, START))
    assert len(rows) == 4
    advertised = {"meta": 60.0, "tiktok": None}.get(platform, 1.0)
    if advertised is None:  # TikTok names no delay: our exponential backoff applies
        assert 0.16 <= sleeps.delays[0] <= 0.24
    else:
        assert sleeps.delays[0] == pytest.approx(advertised)
    log = data_requests(fakes, platform, account_id)
    limited = next(
        i for i, r in enumerate(log) if r.status in (429, 400, 40100, "RESOURCE_EXHAUSTED")
    )
    if advertised == 1.0:  # really waited before asking again
        assert log[limited + 1].at - log[limited].at >= 1.0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_expired_token_is_refreshed_and_the_new_one_saved(fakes, platform) -> None:
    conn, account_id, secrets, saved, _ = connector(fakes, platform, "expired_token", "3")
    rows = list(conn.fetch(START, START))
    assert len(rows) == 4
    assert saved, "the refreshed token was not handed back for storage"
    assert saved[-1]["access_token"] != secrets["access_token"]
    assert saved[-1]["access_token"] in fakes.state.issued
    if platform != "meta":  # Meta exchanges the token itself; no refresh token
        assert saved[-1]["refresh_token"] != secrets["refresh_token"]  # rotated, kept


def test_meta_renews_a_token_close_to_expiry_before_pulling(fakes) -> None:
    conn, account_id, secrets, saved, _ = connector(fakes, "meta", "ok", "6")
    conn.secrets["expires_at"] = time.time() + 3600
    assert len(list(conn.fetch(START, START))) == 4
    assert [r.what for r in data_requests(fakes, "meta", account_id)] == ["token", "insights"]
    assert saved[-1]["expires_at"] > time.time() + 50 * 24 * 3600


@pytest.mark.parametrize("platform", PLATFORMS)
def test_revoked_credentials_fail_with_a_clear_error(fakes, platform) -> None:
    conn, account_id, secrets, saved, _ = connector(fakes, platform, "auth_failure", "4")
    with pytest.raises(AuthError) as raised:
        list(conn.fetch(START, START))
    message = str(raised.value)
    assert platform in message and account_id in message
    for value in secrets.values():
        assert value not in message
    assert not saved


@pytest.mark.parametrize("platform", PLATFORMS)
def test_server_error_is_retried_with_backoff(fakes, platform) -> None:
    conn, account_id, _, _, sleeps = connector(fakes, platform, "server_error", "5")
    assert len(list(conn.fetch(START, START))) == 4
    assert 0.16 <= sleeps.delays[0] <= 0.24
