"""Account settings, blacklist and attribution settings over real HTTP: editors
change them, viewers read them, other accounts are not there, bad input gets
a 400 naming the field and changes nothing, and every change is audited."""

from __future__ import annotations

import pytest
import requests

from api.app import create_app
from tests.support.people import add_user, login
from touchline.control import audit
from touchline.control.db import session_scope

PASSWORD = "correct horse battery staple"


@pytest.fixture
def api(settings, make_account, serve):
    make_account("acme")
    make_account("other")
    url = settings.resolved_control_db_url
    add_user(url, "ed@example.com", PASSWORD, {"acme": "editor"})
    add_user(url, "vi@example.com", PASSWORD, {"acme": "viewer"})
    add_user(url, "ot@example.com", PASSWORD, {"other": "admin"})
    base = serve(create_app(settings))
    return base, {
        "editor": login(base, "ed@example.com", PASSWORD),
        "viewer": login(base, "vi@example.com", PASSWORD),
        "outsider": login(base, "ot@example.com", PASSWORD),
    }


def audit_entries(settings, slug: str = "acme") -> list[audit.Entry]:
    with session_scope(settings.resolved_control_db_url) as session:
        return audit.entries(session, slug)


def test_account_settings_change_and_are_audited(api, settings) -> None:
    base, who = api
    url = f"{base}/api/v1/accounts/acme"
    before = who["editor"].get(url, timeout=10).json()
    assert before["timezone"] == "UTC" and before["week_start"] == 0
    change = {
        "name": "Acme Shop",
        "timezone": "Europe/Berlin",
        "currency": "gbp",
        "week_start": 6,
        "domains": ["https://www.Acme.example/", "shop.acme.example"],
        "cookie_domain": "acme.example",
        "consent_default": "denied",
        "anonymize_ip": True,
        "bot_policy": "drop",
    }
    done = who["editor"].patch(url, json=change, timeout=10)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["currency"] == "GBP" and body["domains"] == ["acme.example", "shop.acme.example"]
    assert who["viewer"].get(url, timeout=10).json() == body

    (entry,) = [e for e in audit_entries(settings) if e.action == "account.update"]
    assert entry.actor == "ed@example.com"
    assert entry.before["timezone"] == "UTC" and entry.after["timezone"] == "Europe/Berlin"
    assert entry.after["domains"] == ["acme.example", "shop.acme.example"]
    assert "name" in entry.after and "slug" not in entry.after

    # The domain list is replaced as a whole; a cookie domain of null clears it.
    again = who["editor"].patch(url, json={"domains": [], "cookie_domain": None}, timeout=10)
    assert again.json()["domains"] == [] and again.json()["cookie_domain"] is None


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"currency": "EURO"}, "currency", "3-letter"),
        ({"week_start": 7}, "week_start", "0 (Monday) to 6"),
        ({"week_start": True}, "week_start", "wrong type"),
        ({"domains": ["not a domain"]}, "domains", "not a domain name"),
        ({"domains": "acme.example"}, "domains", "wrong type"),
        ({"cookie_domain": "x"}, "cookie_domain", "not a domain name"),
        ({"consent_default": "maybe"}, "consent_default", "granted, denied"),
        ({"bot_policy": "eat"}, "bot_policy", "flag, drop"),
        ({"anonymize_ip": "yes"}, "anonymize_ip", "wrong type"),
        ({"name": ""}, "name", "1-200"),
        ({"slug": "new"}, "slug", "unknown field"),
    ],
)
def test_bad_account_settings_are_refused_naming_the_field(api, settings, change, field, words):
    base, who = api
    url = f"{base}/api/v1/accounts/acme"
    # A valid change in the same request is not kept either.
    answer = who["editor"].patch(url, json={"currency": "USD", **change}, timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == field and words in answer.json()["error"]
    assert field in answer.json()["error"]
    assert who["editor"].get(url, timeout=10).json()["currency"] == "EUR"
    assert audit_entries(settings) == []


def test_not_json_is_a_400(api) -> None:
    base, who = api
    answer = who["editor"].patch(f"{base}/api/v1/accounts/acme", data="name=x", timeout=10)
    assert answer.status_code == 400 and "JSON object" in answer.json()["error"]


ENDPOINTS = [
    ("PATCH", "", {"name": "x"}),
    ("POST", "/blacklist", {"kind": "ip", "value": "203.0.113.7"}),
    ("DELETE", "/blacklist/1", None),
    ("PATCH", "/attribution", {"lookback_days": 10}),
    ("POST", "/channel-rules", {"channel": "Brand", "conditions": ["campaign contains brand"]}),
    ("DELETE", "/channel-rules/1", None),
    ("POST", "/channel-rules/reorder", {"order": [1]}),
]
READS = ["", "/blacklist", "/attribution", "/channel-rules"]


def test_viewers_read_but_cannot_change(api, settings) -> None:
    base, who = api
    for path in READS:
        assert who["viewer"].get(f"{base}/api/v1/accounts/acme{path}", timeout=10).ok, path
    for method, path, body in ENDPOINTS:
        answer = who["viewer"].request(
            method, f"{base}/api/v1/accounts/acme{path}", json=body, timeout=10
        )
        assert answer.status_code == 403, (method, path, answer.text)
        assert "editor" in answer.json()["error"]
    assert audit_entries(settings) == []


def test_another_account_is_not_there_and_anonymous_gets_401(api) -> None:
    base, who = api
    for path in READS:
        answer = who["outsider"].get(f"{base}/api/v1/accounts/acme{path}", timeout=10)
        assert answer.status_code == 404 and "acme" in answer.json()["error"]
        assert requests.get(f"{base}/api/v1/accounts/acme{path}", timeout=10).status_code == 401
    for method, path, body in ENDPOINTS:
        answer = who["outsider"].request(
            method, f"{base}/api/v1/accounts/acme{path}", json=body, timeout=10
        )
        assert answer.status_code == 404, (method, path)
    # Nor can an editor of acme reach "other" or a slug that does not exist.
    for slug in ("other", "nobody"):
        answer = who["editor"].get(f"{base}/api/v1/accounts/{slug}", timeout=10)
        assert answer.status_code == 404


def test_blacklist_add_list_remove(api, settings) -> None:
    base, who = api
    url = f"{base}/api/v1/accounts/acme/blacklist"
    ip = who["editor"].post(url, json={"kind": "ip", "value": " 203.0.113.7 "}, timeout=10)
    assert ip.status_code == 201 and ip.json()["value"] == "203.0.113.7"
    # "ip" given a range becomes a CIDR entry, as on the command line.
    net = who["editor"].post(url, json={"kind": "ip", "value": "198.51.100.9/24"}, timeout=10)
    assert net.json()["kind"] == "cidr" and net.json()["value"] == "198.51.100.0/24"
    visitor = who["editor"].post(url, json={"kind": "visitor_id", "value": "v-123"}, timeout=10)
    assert visitor.status_code == 201
    twice = who["editor"].post(url, json={"kind": "ip", "value": "203.0.113.7"}, timeout=10)
    assert twice.status_code == 409

    bad = who["editor"].post(url, json={"kind": "ip", "value": "300.1.1.1"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["field"] == "value"
    kind = who["editor"].post(url, json={"kind": "email", "value": "a@b.c"}, timeout=10)
    assert kind.status_code == 400 and kind.json()["field"] == "kind"
    missing = who["editor"].post(url, json={"kind": "ip"}, timeout=10)
    assert missing.status_code == 400 and missing.json()["field"] == "value"

    listed = who["viewer"].get(url, timeout=10).json()["entries"]
    assert [(e["kind"], e["value"]) for e in listed] == [
        ("ip", "203.0.113.7"),
        ("cidr", "198.51.100.0/24"),
        ("visitor_id", "v-123"),
    ]
    gone = who["editor"].delete(f"{url}/{listed[0]['id']}", timeout=10)
    assert gone.status_code == 204
    assert who["editor"].delete(f"{url}/{listed[0]['id']}", timeout=10).status_code == 404
    assert len(who["editor"].get(url, timeout=10).json()["entries"]) == 2
    # The outsider's own account has nothing of acme's.
    other = who["outsider"].get(f"{base}/api/v1/accounts/other/blacklist", timeout=10)
    assert other.json()["entries"] == []

    actions = [(e.action, e.target) for e in reversed(audit_entries(settings))]
    assert actions == [
        ("blacklist.add", "ip 203.0.113.7"),
        ("blacklist.add", "cidr 198.51.100.0/24"),
        ("blacklist.add", "visitor_id v-123"),
        ("blacklist.remove", "ip 203.0.113.7"),
    ]


def test_attribution_settings(api, settings) -> None:
    base, who = api
    url = f"{base}/api/v1/accounts/acme/attribution"
    first = who["viewer"].get(url, timeout=10).json()
    assert (first["lookback_days"], first["fit_days"], first["view_through_hours"]) == (30, 90, 0)
    assert first["limits"]["lookback_days"] == {"min": 1, "max": 90}
    done = who["editor"].patch(
        url, json={"lookback_days": 14, "view_through_hours": 24}, timeout=10
    )
    assert done.status_code == 200 and done.json() == {
        "lookback_days": 14,
        "fit_days": 90,
        "view_through_hours": 24,
    }
    for change, field in (
        ({"lookback_days": 91}, "lookback_days"),
        ({"fit_days": 3}, "fit_days"),
        ({"view_through_hours": "24"}, "view_through_hours"),
        ({"half_life": 7}, "half_life"),
    ):
        bad = who["editor"].patch(url, json={"lookback_days": 20, **change}, timeout=10)
        assert bad.status_code == 400 and bad.json()["field"] == field, bad.text
    assert who["editor"].get(url, timeout=10).json()["lookback_days"] == 14
    (entry,) = audit_entries(settings)
    assert entry.action == "attribution.update"
    assert entry.before == {"lookback_days": 30, "view_through_hours": 0}
    assert entry.after == {"lookback_days": 14, "view_through_hours": 24}
