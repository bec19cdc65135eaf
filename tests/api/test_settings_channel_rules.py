"""Channel rules over real HTTP (add, list, reorder, remove, audited) and their
preview: counts of the last 30 days' sessions computed by the warehouse, on
DuckDB through the published serving copy and on MariaDB directly."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from api.app import create_app
from tests.support.people import add_user, login
from touchline import channel_preview
from touchline.control import audit
from touchline.control import channel_rules as rules
from touchline.control.db import session_scope
from touchline.serving import publish
from touchline.warehouse import Warehouse, parse_warehouse_url

PASSWORD = "correct horse battery staple"
END = date(2026, 11, 20)
COLUMNS = [
    "account",
    "session_date",
    "source",
    "medium",
    "campaign",
    "source_category",
    "default_channel",
    "referrer_host",
    "landing_host",
    "landing_path",
    "utm_term",
    "utm_content",
    "click_id",
]


def _sessions() -> list[tuple]:
    """(row, times): acme's last 30 days, an older day, and another account."""
    paid = ("google", "cpc", "Brand_Search", "search", "Paid Search", None, "acme.example")
    mail = ("newsletter", "email", "weekly", None, "Email", None, "acme.example")
    direct = ("(direct)", "(none)", "(direct)", None, "Direct", None, "acme.example")
    return [
        (("acme", END, *paid, "/lp/brand", None, None, "gclid"), 5),
        (("acme", END - timedelta(days=29), *mail, "/news", None, None, None), 3),
        (("acme", END - timedelta(days=3), *direct, "/", None, None, None), 2),
        (("acme", END - timedelta(days=30), *paid, "/lp/old", None, None, "gclid"), 4),
        (("other", END, *paid, "/lp/brand", None, None, "gclid"), 7),
    ]


def _load_sessions(url: str) -> None:
    warehouse = Warehouse(url)
    text = ", ".join(f"{c} DATE" if c == "session_date" else f"{c} VARCHAR(255)" for c in COLUMNS)
    with warehouse.connect() as conn:
        rows = [row for row, times in _sessions() for _ in range(times)]
        if parse_warehouse_url(url).dialect == "duckdb":
            conn.execute(f"CREATE TABLE int_sessions ({text})")
            conn.executemany(f"INSERT INTO int_sessions VALUES ({', '.join('?' * 13)})", rows)
        else:
            with conn.cursor() as cur:
                cur.execute(f"CREATE TABLE int_sessions ({text})")
                cur.executemany(f"INSERT INTO int_sessions VALUES ({', '.join(['%s'] * 13)})", rows)
            conn.commit()


@pytest.fixture
def api(settings, make_account, serve, warehouse_url):
    make_account("acme")
    make_account("other")
    url = settings.resolved_control_db_url
    add_user(url, "ed@example.com", PASSWORD, {"acme": "editor"})
    add_user(url, "vi@example.com", PASSWORD, {"acme": "viewer"})
    _load_sessions(warehouse_url)
    target = parse_warehouse_url(warehouse_url)
    if target.dialect == "duckdb":
        publish(str(target.path))
    base = serve(create_app(settings.model_copy(update={"warehouse_url": warehouse_url})))
    return base, login(base, "ed@example.com", PASSWORD), login(base, "vi@example.com", PASSWORD)


def test_rules_add_reorder_remove_and_preview(api, settings) -> None:
    base, editor, viewer = api
    url = f"{base}/api/v1/accounts/acme/channel-rules"
    brand = editor.post(
        url, json={"channel": "Brand", "conditions": ["campaign contains BRAND"]}, timeout=10
    )
    assert brand.status_code == 201, brand.text
    lp = editor.post(
        url,
        json={
            "channel": "Landing pages",
            "conditions": [{"field": "landing_path", "operator": "regex", "value": "^/lp/"}],
            "position": 1,
        },
        timeout=10,
    )
    assert [r["channel"] for r in lp.json()["rules"]] == ["Landing pages", "Brand"]
    listed = viewer.get(url, timeout=10).json()
    assert listed["rules"][1]["conditions"] == [
        {"field": "campaign", "operator": "contains", "value": "brand"}
    ]
    assert "landing_path" in listed["fields"] and "regex" in listed["operators"]

    # Existing rules: the first that holds takes the session.
    shown = viewer.get(f"{url}/preview", timeout=30)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["window"] == {"start": "2026-10-22", "end": "2026-11-20", "days": 30}
    assert body["sessions"] == 10  # 5 paid + 3 mail + 2 direct; not the older 4, not "other"
    assert [(r["channel"], r["matches"], r["takes"]) for r in body["rules"]] == [
        ("Landing pages", 5, 5),
        ("Brand", 5, 0),
    ]
    assert body["left_to_default_channels"] == 5

    # A proposed rule, first: it takes what it matches; the others what is left.
    proposed = viewer.post(
        f"{url}/preview",
        json={"channel": "Owned", "conditions": ["source in newsletter,GOOGLE"], "position": 1},
        timeout=30,
    ).json()
    assert [
        (r["position"], r["channel"], r["proposed"], r["takes"]) for r in proposed["rules"]
    ] == [
        (1, "Owned", True, 8),
        (2, "Landing pages", False, 0),
        (3, "Brand", False, 0),
    ]
    # ... and nothing was stored.
    assert len(viewer.get(url, timeout=10).json()["rules"]) == 2

    reordered = editor.post(f"{url}/reorder", json={"order": [2, 1]}, timeout=10)
    assert [r["channel"] for r in reordered.json()["rules"]] == ["Brand", "Landing pages"]
    after = viewer.get(f"{url}/preview", timeout=30).json()
    assert [(r["channel"], r["takes"]) for r in after["rules"]] == [
        ("Brand", 5),
        ("Landing pages", 0),
    ]

    removed = editor.delete(f"{url}/1", timeout=10)
    assert [r["channel"] for r in removed.json()["rules"]] == ["Landing pages"]
    assert editor.delete(f"{url}/5", timeout=10).status_code == 404

    with session_scope(settings.resolved_control_db_url) as session:
        actions = [e.action for e in reversed(audit.entries(session, "acme"))]
    assert actions == [
        "channel_rule.add",
        "channel_rule.add",
        "channel_rule.reorder",
        "channel_rule.remove",
    ]


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        ({"channel": "X", "conditions": ["colour equals red"]}, "conditions", "unknown field"),
        ({"channel": "X", "conditions": ["source resembles x"]}, "conditions", "operator"),
        ({"channel": "X", "conditions": ["source regex (?=x)"]}, "conditions", "look-around"),
        ({"channel": "X", "conditions": []}, "conditions", "non-empty"),
        ({"channel": "a > b", "conditions": ["source equals x"]}, "channel", "'>'"),
        ({"conditions": ["source equals x"]}, "channel", "required"),
        ({"channel": "X", "conditions": ["source equals x"], "position": 9}, "position", "1 and"),
        ({"channel": "X", "conditions": ["source equals x"], "colour": 1}, "colour", "unknown"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(api, rule, field, words) -> None:
    base, editor, _ = api
    url = f"{base}/api/v1/accounts/acme/channel-rules"
    answer = editor.post(url, json=rule, timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == field and words in answer.json()["error"]
    assert editor.get(url, timeout=10).json()["rules"] == []
    bad_order = editor.post(f"{url}/reorder", json={"order": [1, 1]}, timeout=10)
    assert bad_order.status_code == 400 and bad_order.json()["field"] == "order"


def test_preview_fields_are_the_sessions_models_columns() -> None:
    """The preview reads the rule fields from int_sessions' own columns."""
    model = Path(__file__).parents[2] / "dbt_project/models/intermediate/int_sessions.yml"
    columns = {c["name"] for c in yaml.safe_load(model.read_text())["models"][0]["columns"]}
    assert set(channel_preview.FIELD_SQL) == set(rules.FIELDS)
    for expression in channel_preview.FIELD_SQL.values():
        assert re.sub(r"^lower\((\w+)\)$", r"\1", expression) in columns
