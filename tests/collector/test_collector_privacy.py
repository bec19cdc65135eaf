"""Cookies, consent, cookieless ids, blacklists, bots, IP anonymisation, Origin,
redirect safety and live configuration: the collector over real HTTP."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from collector.app import create_app
from tests.support.collector import CHROME, FIREFOX, SITE, landed_lines, wire_hit
from tests.support.processes import run_touchline
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.control.models import CookielessSalt
from touchline.settings import Settings

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def set_cookies(response: requests.Response) -> list[str]:
    return response.raw.headers.getlist("Set-Cookie")


def cookie_attributes(header: str) -> tuple[str, str, dict[str, str]]:
    first, *rest = [part.strip() for part in header.split(";")]
    name, value = first.split("=", 1)
    attributes = {}
    for part in rest:
        key, _, val = part.partition("=")
        attributes[key.lower()] = val
    return name, value, attributes


class Collector:
    def __init__(self, base: str, token: str, root: str) -> None:
        self.base, self.token, self.root = base, token, root

    def post(self, *hits: dict[str, Any], **headers: str) -> requests.Response:
        body = {"token": self.token, "hits": list(hits)} if len(hits) > 1 else {
            "token": self.token, **hits[0]
        }  # fmt: skip
        headers = {"User-Agent": CHROME, "Origin": SITE, **headers}
        return requests.post(f"{self.base}/collect", data=json.dumps(body), headers=headers)

    def landed(self) -> list[dict[str, Any]]:
        return landed_lines(self.root)


def update(settings: Settings, slug: str, **change: Any) -> None:
    with session_scope(settings.resolved_control_db_url) as session:
        registry.update_account(session, slug, registry.AccountUpdate(**change))


@pytest.fixture
def clock() -> list[datetime]:
    return [datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)]


@pytest.fixture
def collector(settings: Settings, make_account, serve, clock) -> Collector:
    account, _ = make_account("acme", ("shop.example.com", "example.com"))
    fast = settings.model_copy(update={"collector_config_ttl": 0.2, "trusted_proxies": 1})
    base = serve(create_app(fast, now=lambda: clock[0]))
    return Collector(base, account.tracking_token, settings.resolved_landing_root)


def test_first_party_cookies_on_the_collection_domain(settings: Settings, collector) -> None:
    update(settings, "acme", cookie_domain="example.com")
    time.sleep(0.3)
    response = collector.post(wire_hit(visitor_id="v-42", session_id="s-9"), Host="t.example.com")
    assert response.status_code == 200, response.text
    cookies = {
        name: (value, attrs) for name, value, attrs in map(cookie_attributes, set_cookies(response))
    }
    visitor, visitor_attrs = cookies["_tl_vid"]
    session, session_attrs = cookies["_tl_sid"]
    assert (visitor, session) == ("v-42", "s-9")
    assert visitor_attrs["domain"] == "example.com"
    assert visitor_attrs["max-age"] == str(2 * 365 * 24 * 3600)  # two years
    assert session_attrs["max-age"] == "1800"  # thirty minutes
    assert visitor_attrs["samesite"] == session_attrs["samesite"] == "Lax"
    assert "secure" in visitor_attrs and "httponly" in visitor_attrs
    assert [h["cookie_mode"] for h in collector.landed()] == ["first_party"]

    # The session cookie slides: the next hit renews it for another 30 minutes.
    again = collector.post(wire_hit(visitor_id="v-42", session_id="s-9"), Host="t.example.com")
    renewed = [cookie_attributes(c) for c in set_cookies(again)]
    assert ("_tl_sid", "s-9") in [(n, v) for n, v, _ in renewed]


def test_third_party_cookies_on_the_collectors_own_domain(collector) -> None:
    response = collector.post(wire_hit(visitor_id="v-7"), Host="collect.touchline.example")
    cookies = {n: a for n, _, a in map(cookie_attributes, set_cookies(response))}
    assert set(cookies) == {"_tl_vid", "_tl_sid"}
    for attrs in cookies.values():
        assert "domain" not in attrs  # host-only: the collector's own domain
        assert attrs["samesite"] == "None" and "secure" in attrs
    assert cookies["_tl_vid"]["max-age"] == str(2 * 365 * 24 * 3600)
    assert [h["cookie_mode"] for h in collector.landed()] == ["third_party"]


def test_no_cookie_without_consent_and_a_cookieless_id_that_changes_daily(
    settings: Settings, collector, clock
) -> None:
    cases = [
        (wire_hit(visitor_id="tag-id-1"), {"DNT": "1"}),
        (wire_hit(visitor_id="tag-id-2"), {"Sec-GPC": "1"}),
        (wire_hit(visitor_id="tag-id-3", consent="denied"), {}),
        (wire_hit(visitor_id="sim-v-1", simulated=True), {}),
    ]
    for hit, headers in cases:
        response = collector.post(hit, **headers)
        assert response.status_code == 200, response.text
        assert set_cookies(response) == [], headers
    # The account's default applies when the hit says nothing about consent.
    update(settings, "acme", consent_default="denied")
    time.sleep(0.3)
    response = collector.post(wire_hit(visitor_id="tag-id-4"))
    assert set_cookies(response) == []

    day1 = collector.landed()
    assert {h["cookie_mode"] for h in day1} == {"none"}
    ids = {h["visitor_id"] for h in day1 if "simulated" not in h["properties"]}
    # One browser (IP and user agent) on one day is one cookieless visitor,
    # whatever id the page sent.
    assert len(ids) == 1 and ids.pop().startswith("cl-")
    [simulated] = [h for h in day1 if h["properties"].get("simulated")]
    assert simulated["visitor_id"] == "sim-v-1"  # synthetic: kept, but no cookie

    clock[0] += timedelta(days=1)
    collector.post(wire_hit(visitor_id="tag-id-1"), DNT="1")
    [next_day] = [h for h in collector.landed() if h["received_at"].startswith("2026-11-21")]
    assert next_day["visitor_id"].startswith("cl-")
    assert next_day["visitor_id"] != day1[0]["visitor_id"]
    # A different browser the same day is another visitor.
    collector.post(wire_hit(), DNT="1", **{"User-Agent": FIREFOX})
    assert (
        len({h["visitor_id"] for h in collector.landed() if "2026-11-21" in h["received_at"]}) == 2
    )

    # The salts live in the control database only, never next to the data.
    with session_scope(settings.resolved_control_db_url) as session:
        salts = list(session.scalars(select(CookielessSalt.salt)))
    landed_text = "".join(p.read_text() for p in Path(collector.root).rglob("*.ndjson"))
    assert salts and not any(salt in landed_text for salt in salts)


def test_blacklists_by_visitor_id_ip_and_cidr(settings: Settings, collector) -> None:
    update(
        settings,
        "acme",
        block=(("visitor_id", "v-banned"), ("ip", "203.0.113.9"), ("cidr", "198.51.100.0/24")),
    )
    time.sleep(0.3)
    sends = [
        (wire_hit(visitor_id="v-banned"), "192.0.2.1", 0),
        (wire_hit(), "203.0.113.9", 0),
        (wire_hit(), "198.51.100.77", 0),
        (wire_hit(), "198.51.101.1", 1),
        (wire_hit(visitor_id="v-fine"), "192.0.2.1", 1),
    ]
    for hit, ip, accepted in sends:
        response = collector.post(hit, **{"X-Forwarded-For": ip})
        assert response.status_code == 200, response.text
        assert (response.json()["accepted"], response.json()["dropped"]) == (accepted, 1 - accepted)
    assert sorted(h["ip"] for h in collector.landed()) == ["192.0.2.1", "198.51.101.1"]
    metrics = requests.get(f"{collector.base}/metrics").text
    assert 'touchline_hits_blacklisted_total{account="acme",kind="visitor_id"}' in metrics
    assert 'touchline_hits_blacklisted_total{account="acme",kind="ip"}' in metrics


def test_ip_anonymisation_and_bot_policy(settings: Settings, collector) -> None:
    update(settings, "acme", anonymize_ip=True)
    time.sleep(0.3)
    collector.post(wire_hit(), **{"X-Forwarded-For": "203.0.113.77"})
    collector.post(wire_hit(), **{"X-Forwarded-For": "2001:db8:abcd:12::1"})
    collector.post(wire_hit(), **{"User-Agent": GOOGLEBOT})
    landed = collector.landed()
    assert sorted(h["ip"] for h in landed) == ["127.0.0.0", "2001:db8:abcd::", "203.0.113.0"]
    assert [h["is_bot"] for h in landed if h["user_agent"] == GOOGLEBOT] == [True]

    update(settings, "acme", bot_policy="drop")
    time.sleep(0.3)
    response = collector.post(wire_hit(), **{"User-Agent": GOOGLEBOT})
    assert response.json() == {"accepted": 0, "refused": [], "dropped": 1}
    assert len(collector.landed()) == 3


def test_a_configuration_change_takes_effect_without_a_restart(
    settings: Settings, collector
) -> None:
    forum = wire_hit(url="https://forum.acme-shop.example/thread/1")
    assert collector.post(forum, Origin="https://forum.acme-shop.example").status_code == 403
    result = run_touchline(
        dict(os.environ),
        "accounts", "update", "acme",
        "--add-domain", "forum.acme-shop.example",
        "--block-visitor", "v-troll",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "forum.acme-shop.example" in result.stdout
    time.sleep(0.3)  # the test app re-reads settings every 0.2 s (default 30 s)
    forum["hit_id"] = wire_hit()["hit_id"]
    assert collector.post(forum, Origin="https://forum.acme-shop.example").status_code == 200
    assert collector.post(wire_hit(visitor_id="v-troll")).json()["dropped"] == 1
    assert [h["url"] for h in collector.landed()] == [forum["url"]]


def test_cli_refuses_bad_settings_in_its_own_words(settings: Settings, collector) -> None:
    result = run_touchline(
        dict(os.environ), "accounts", "update", "acme", "--block-ip", "10.0.0/33"
    )
    assert result.returncode != 0
    assert "neither an IP address nor a CIDR range" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_wrong_origin_is_refused(collector) -> None:
    hit = wire_hit()
    response = collector.post(hit, Origin="https://evil.example.org")
    assert response.status_code == 403, response.text
    assert "evil.example.org" in response.json()["error"]
    assert "Access-Control-Allow-Origin" not in response.headers
    # Referer counts when the browser sent no Origin.
    response = collector.post(wire_hit(), Origin="", Referer="https://evil.example.org/page")
    assert response.status_code == 403
    preflight = requests.options(
        f"{collector.base}/collect",
        headers={"Origin": "https://evil.example.org", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    good = requests.options(
        f"{collector.base}/collect",
        headers={"Origin": SITE, "Access-Control-Request-Method": "POST"},
    )
    assert good.headers["Access-Control-Allow-Origin"] == SITE
    assert collector.landed() == []


REFUSED_TARGETS = [
    "https://evil.example.org/",
    "//evil.example.org/",
    "https://shop.example.com@evil.example.org/",
    "https://evil.example.org\\@shop.example.com/",
    "https://evil.example.org\\.shop.example.com/",
    "https:/\\evil.example.org",
    "javascript:alert(1)//shop.example.com",
    "data:text/html,<script>alert(1)</script>",
    "https://notexample.com/",
    "https://shop.example.com.evil.example.org/",
    "\thttps://evil.example.org",
    "https://evil.example.org%2F@shop.example.com",
    "ftp://shop.example.com/file",
    "https://[::1]/",
    "https://shop.example.com:99999/",
    "",
]


def test_the_redirect_goes_only_to_the_accounts_domains(collector) -> None:
    for target in REFUSED_TARGETS:
        response = requests.get(
            f"{collector.base}/r",
            params={"token": collector.token, "to": target},
            allow_redirects=False,
        )
        assert response.status_code == 400, (target, response.status_code)
        assert "Location" not in response.headers
        assert "account's domains" in response.json()["error"]
    assert collector.landed() == []
    ok = requests.get(
        f"{collector.base}/r",
        params={"token": collector.token, "to": "https://www.example.com/sale?x=1"},
        allow_redirects=False,
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "https://www.example.com/sale?x=1"
    [click] = collector.landed()
    assert click["type"] == "redirect" and click["properties"]["target"] == ok.headers["Location"]


def test_metrics_count_per_account(collector) -> None:
    collector.post(wire_hit(), wire_hit("event"), DNT="1")  # one full, one fallback
    text = requests.get(f"{collector.base}/metrics").text
    assert 'touchline_hits_accepted_total{account="acme",schema_level="full"}' in text
    assert 'touchline_hits_accepted_total{account="acme",schema_level="fallback"}' in text
    assert 'touchline_hits_without_cookie_total{account="acme"}' in text
    assert "touchline_collector_request_seconds_bucket" in text


def test_api_keys_revoke(settings: Settings, make_account) -> None:
    _, key = make_account("keyed")
    prefix = key[:10]
    result = run_touchline(dict(os.environ), "api-keys", "revoke", prefix)
    assert result.returncode == 0, result.stderr
    assert "revoked" in result.stdout and key not in result.stdout
    with session_scope(settings.resolved_control_db_url) as session:
        assert registry.authenticate_api_key(session, key) is None
    again = run_touchline(dict(os.environ), "api-keys", "revoke", prefix)
    assert again.returncode != 0 and "already revoked" in again.stderr
