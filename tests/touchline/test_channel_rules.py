"""Channel classification, rule by rule: a session's source, medium, campaign
and GA4 default channel, and an account's own rules tried first. Real dbt on
a DuckDB file and on MariaDB; the account rules go through the control
database and the account_config export, as in production."""

from __future__ import annotations

import os
import subprocess
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestration.defs.attribution.config import export_config, read_config
from orchestration.defs.attribution.tables import ensure_tables
from tests.support.landed import replace_day
from tests.support.processes import run_touchline
from touchline.contract import LandedHit
from touchline.control import channel_rules as rules
from touchline.control import registry
from touchline.control.db import migrate, session_scope
from touchline.dbt.project import DBT_PROJECT_DIR, QUIET_FLAGS, dbt_executable
from touchline.warehouse import Warehouse, dbt_env

DAY = date(2026, 10, 12)
SITE = "https://www.acme.test"

# visitor: (hit fields, (source, medium, campaign, default channel))
GA4_CASES: dict[str, tuple[dict[str, Any], tuple[str, str, str, str]]] = {
    "direct": ({}, ("(direct)", "(none)", "(direct)", "Direct")),
    "self-referral": (
        {"referrer": f"{SITE}/pricing"},
        ("(direct)", "(none)", "(direct)", "Direct"),
    ),
    "cross-network": (
        {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "PMax_Cross-Network"},
        ("google", "cpc", "PMax_Cross-Network", "Cross-network"),
    ),
    "paid-shopping-campaign": (
        {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "summer_shopping"},
        ("google", "cpc", "summer_shopping", "Paid Shopping"),
    ),
    "paid-shopping-source": (
        {"utm_source": "Amazon", "utm_medium": "cpc", "utm_campaign": "deals"},
        ("amazon", "cpc", "deals", "Paid Shopping"),
    ),
    # Google's click ids say google / cpc whatever utm_medium says
    "gclid": (
        {"gclid": "g-1", "utm_medium": "email"},
        ("google", "cpc", "(not set)", "Paid Search"),
    ),
    "msclkid": ({"msclkid": "m-1"}, ("bing", "cpc", "(not set)", "Paid Search")),
    "paid-social": (
        {"utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "autumn"},
        ("facebook", "paid_social", "autumn", "Paid Social"),
    ),
    "ttclid": ({"ttclid": "t-1"}, ("tiktok", "cpc", "(not set)", "Paid Social")),
    "paid-video": (
        {"utm_source": "youtube", "utm_medium": "cpv"},
        ("youtube", "cpv", "(not set)", "Paid Video"),
    ),
    "display": ({"utm_medium": "Banner"}, ("(not set)", "banner", "(not set)", "Display")),
    "paid-other": (
        {"utm_source": "partnerx", "utm_medium": "ppc"},
        ("partnerx", "ppc", "(not set)", "Paid Other"),
    ),
    "organic-shopping": (
        {"referrer": "https://www.amazon.com/dp/1"},
        ("amazon.com", "referral", "(referral)", "Organic Shopping"),
    ),
    # fbclid alone says nothing: Meta adds it to organic links
    "organic-social-referrer": (
        {"referrer": "https://l.facebook.com/l.php", "fbclid": "f-1"},
        ("l.facebook.com", "referral", "(referral)", "Organic Social"),
    ),
    "organic-social-medium": (
        {"utm_source": "mastodon-club", "utm_medium": "social"},
        ("mastodon-club", "social", "(not set)", "Organic Social"),
    ),
    "organic-video": (
        {"referrer": "https://m.youtube.com/watch"},
        ("m.youtube.com", "referral", "(referral)", "Organic Video"),
    ),
    "organic-search": (
        {"referrer": "https://www.google.co.uk/"},
        ("google", "organic", "(organic)", "Organic Search"),
    ),
    "organic-search-subdomain": (
        {"referrer": "https://uk.search.yahoo.com/search?p=x"},
        ("yahoo", "organic", "(organic)", "Organic Search"),
    ),
    "referral": (
        {"referrer": "https://blog.example.org/post"},
        ("blog.example.org", "referral", "(referral)", "Referral"),
    ),
    "look-alike-host": (
        {"referrer": "https://notgoogle.com/"},
        ("notgoogle.com", "referral", "(referral)", "Referral"),
    ),
    "email-medium": (
        {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "weekly"},
        ("newsletter", "email", "weekly", "Email"),
    ),
    "email-source": ({"utm_source": "E-Mail"}, ("e-mail", "(not set)", "(not set)", "Email")),
    "affiliate": (
        {"utm_medium": "affiliate"},
        ("(not set)", "affiliate", "(not set)", "Affiliates"),
    ),
    "audio": ({"utm_medium": "audio"}, ("(not set)", "audio", "(not set)", "Audio")),
    "sms": ({"utm_source": "sms"}, ("sms", "(not set)", "(not set)", "SMS")),
    "push": (
        {"utm_medium": "web_push"},
        ("(not set)", "web_push", "(not set)", "Mobile Push Notifications"),
    ),
    "unassigned": ({"utm_medium": "qr-code"}, ("(not set)", "qr-code", "(not set)", "Unassigned")),
    # any utm parameter makes a campaign session; a network's click id still names it
    "campaign-only": (
        {"utm_campaign": "spring"},
        ("(not set)", "(not set)", "spring", "Unassigned"),
    ),
    "msclkid-campaign": (
        {"msclkid": "m-2", "utm_campaign": "spring"},
        ("bing", "cpc", "spring", "Paid Search"),
    ),
}

# acme's own rules, in order
ACME_RULES = [
    ("Paid Search Brand", ["default_channel equals Paid Search", "campaign contains brand"]),
    ("Email", ["medium in newsletter, mailing"]),
    ("Partners", ["referrer_host regex ^(.+[.])?partner[.]example$"]),
    ("Vanity URLs", ["landing_path starts_with /go/", "source equals (direct)"]),
    ("Quoted", ["campaign equals o'neil\\x"]),
    ("Tagged Other", ["term ends_with -test", "content present"]),
]
# visitor: (hit fields, channel, the rule that gave it)
ACME_CASES: dict[str, tuple[dict[str, Any], str, int | None]] = {
    "brand": ({"gclid": "g-2", "utm_campaign": "Brand_2026"}, "Paid Search Brand", 1),
    "generic": ({"gclid": "g-3", "utm_campaign": "generic"}, "Paid Search", None),
    "newsletter": ({"utm_medium": "Newsletter"}, "Email", 2),
    "partner": ({"referrer": "https://shop.partner.example/x"}, "Partners", 3),
    "vanity": ({"path": "/go/summer"}, "Vanity URLs", 4),
    "vanity-paid": (
        {"path": "/go/summer", "utm_source": "partnery", "utm_medium": "cpc"},
        "Paid Other",
        None,
    ),
    "quoted": ({"utm_campaign": "O'Neil\\X"}, "Quoted", 5),
    "tagged": ({"utm_term": "a-test", "utm_content": "c"}, "Tagged Other", 6),
}


def pageview(account: str, visitor: str, index: int, fields: dict[str, Any]) -> dict[str, Any]:
    fields = dict(fields)
    at = datetime(2026, 10, 12, 8, 0) + timedelta(minutes=index)
    return LandedHit(
        hit_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/{visitor}")),
        type="pageview",
        account=account,
        event_at=at,
        received_at=at,
        visitor_id=visitor,
        url=SITE + fields.pop("path", "/"),
        **fields,
    ).model_dump(mode="json")


@pytest.fixture(params=["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def warehouse(request, tmp_path: Path) -> Warehouse:
    if request.param == "mariadb":
        return Warehouse(request.getfixturevalue("mariadb_url"))
    return Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")


def dbt_build(warehouse: Warehouse, work: Path, accounts: str) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TOUCHLINE_")},
        **dbt_env(warehouse.target),
        "TOUCHLINE_PARTITION_ACCOUNTS": accounts,
        "TOUCHLINE_PARTITION_START": DAY.isoformat(),
        "TOUCHLINE_PARTITION_END": DAY.isoformat(),
    }
    command = [
        dbt_executable(), *QUIET_FLAGS, "build", "--select", "+int_sessions",
        "--indirect-selection", "buildable",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, "\n".join(result.stdout.splitlines()[-40:])


def test_every_rule_and_the_account_rules(warehouse: Warehouse, tmp_path: Path) -> None:
    control = f"sqlite:///{tmp_path / 'control.sqlite'}"
    migrate(control)
    with session_scope(control) as session:
        for slug in ("acme", "plain"):
            registry.create_account(session, slug)
        for channel, conditions in ACME_RULES:
            rules.add_rule(session, "acme", channel, [rules.parse_condition(c) for c in conditions])
    found, settings = read_config(control, ["acme", "plain"])
    ensure_tables(warehouse)
    export_config(warehouse, ["acme", "plain"], found, settings)

    plain = [pageview("plain", v, i, f) for i, (v, (f, _)) in enumerate(GA4_CASES.items())]
    plain.append(pageview("plain", "newsletter", 99, {"utm_medium": "Newsletter"}))
    acme = [pageview("acme", v, i, f) for i, (v, (f, _, _)) in enumerate(ACME_CASES.items())]
    replace_day(warehouse, tmp_path / "landing", "plain", DAY, plain)
    replace_day(warehouse, tmp_path / "landing", "acme", DAY, acme)
    dbt_build(warehouse, tmp_path, "acme,plain")

    sessions = {
        (r["account"], r["visitor_id"]): r
        for r in warehouse.query(
            "SELECT account, visitor_id, source, medium, campaign, default_channel, channel, "
            "channel_rule_position FROM int_sessions"
        )
    }
    for visitor, (_, expected) in GA4_CASES.items():
        s = sessions[("plain", visitor)]
        got = (s["source"], s["medium"], s["campaign"], s["default_channel"])
        assert got == expected, visitor
        assert s["channel"] == s["default_channel"] and s["channel_rule_position"] is None
    # the rules are acme's: plain's newsletter stays Unassigned
    assert sessions[("plain", "newsletter")]["channel"] == "Unassigned"
    for visitor, (_, channel, position) in ACME_CASES.items():
        s = sessions[("acme", visitor)]
        assert (s["channel"], s["channel_rule_position"]) == (channel, position), visitor
    assert sessions[("acme", "brand")]["default_channel"] == "Paid Search"


def test_rules_are_validated_and_kept_in_order(settings) -> None:
    url = settings.resolved_control_db_url
    with session_scope(url) as session:
        registry.create_account(session, "acme")
        rules.add_rule(session, "acme", "A", [rules.parse_condition("source equals a")])
        rules.add_rule(session, "acme", "B", [rules.parse_condition("source equals b")])
        got = rules.add_rule(
            session, "acme", "C", [rules.parse_condition("medium in X, y")], position=1
        )
        assert [(r.position, r.channel) for r in got] == [(1, "C"), (2, "A"), (3, "B")]
        assert got[0].conditions[0].value == "x,y"
        got = rules.remove_rule(session, "acme", 2)
        assert [(r.position, r.channel) for r in got] == [(1, "C"), (2, "B")]
    bad = [
        ("colour equals red", "unknown field 'colour'"),
        ("source is google", "unknown operator 'is'"),
        ("source equals", "needs a value"),
        ("source present yes", "takes no value"),
        ("campaign regex (", "not a regular expression"),
        ("campaign regex ^(?!brand)", "look-around"),
        ("source", "FIELD OPERATOR"),
    ]
    for text, message in bad:
        with pytest.raises(registry.RegistryError, match=message):
            rules.parse_condition(text)
    with session_scope(url) as session:
        with pytest.raises(registry.RegistryError, match="'>'"):
            rules.add_rule(session, "acme", "A > B", [rules.parse_condition("source present")])
        with pytest.raises(registry.RegistryError, match="position must be"):
            rules.add_rule(session, "acme", "D", [rules.parse_condition("source present")], 9)
        with pytest.raises(registry.RegistryError, match="no account"):
            rules.list_rules(session, "nobody")


def test_channel_rules_and_attribution_settings_from_the_command_line(data_dir) -> None:
    env = {**os.environ, "TOUCHLINE_DATA_DIR": str(data_dir)}
    assert run_touchline(env, "accounts", "add", "acme").returncode == 0
    added = run_touchline(
        env, "accounts", "channel-rules", "add", "acme", "Paid Search Brand",
        "--when", "default_channel equals Paid Search", "--when", "campaign contains brand",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "1. Paid Search Brand" in added.stdout
    assert "default_channel equals paid search and campaign contains brand" in added.stdout
    first = run_touchline(
        env, "accounts", "channel-rules", "add", "acme", "Email", "--when", "medium in news",
        "--position", "1",
    )  # fmt: skip
    assert "1. Email" in first.stdout and "2. Paid Search Brand" in first.stdout
    bad = run_touchline(env, "accounts", "channel-rules", "add", "acme", "X", "--when", "color is")
    assert bad.returncode != 0 and "unknown field 'color'" in bad.stderr
    assert "Traceback" not in bad.stderr
    removed = run_touchline(env, "accounts", "channel-rules", "remove", "acme", "1")
    assert "1. Paid Search Brand" in removed.stdout and "Email" not in removed.stdout
    settings = run_touchline(
        env,
        "accounts",
        "attribution",
        "acme",
        "--lookback-days",
        "14",
        "--view-through-hours",
        "24",
    )
    assert settings.returncode == 0, settings.stderr
    assert "14 days before a sale" in settings.stdout and "24 hours" in settings.stdout
    too_long = run_touchline(env, "accounts", "attribution", "acme", "--lookback-days", "400")
    assert too_long.returncode != 0 and "between 1 and 90" in too_long.stderr
