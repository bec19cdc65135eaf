"""An account's days are its local days: sessions and report rows of an account
in America/New_York, built by a real range run on DuckDB from landed hits."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

from orchestration.local_runs import materialize_range
from touchline.contract import LandedHit
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.landing import LandingWriter
from touchline.warehouse import Warehouse


def hit(visitor: str, utc: str, **fields: Any) -> LandedHit:
    at = datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)
    return LandedHit(
        hit_id=str(uuid.uuid4()),
        type="pageview",
        account="nyc",
        event_at=at,
        received_at=at,
        visitor_id=visitor,
        url="https://shop.example.com/" + ("?x" if fields else ""),
        **fields,
    )


def test_new_york_sessions_and_report_days_are_local(settings, pipeline) -> None:
    with session_scope(settings.resolved_control_db_url) as session:
        registry.create_account(session, "nyc", "NYC", "America/New_York", "USD", [])
    LandingWriter(settings.resolved_landing_root, instance="t").write(
        [
            # 23:50 and 00:10 local (EST = UTC-5): one session, on Nov 20
            hit("across", "2026-11-21T04:50:00", referrer="https://www.bing.com/"),
            hit("across", "2026-11-21T05:10:00"),
            # 21:00 local on Nov 20 is Nov 21 in UTC: a Nov 20 session
            hit("evening", "2026-11-21T02:00:00"),
            # a search-ad click 5 minutes into a direct visit: two sessions
            hit("switch", "2026-11-21T17:00:00"),
            hit(
                "switch",
                "2026-11-21T17:05:00",
                utm_source="google",
                utm_medium="cpc",
                gclid="abc",
            ),
            hit("switch", "2026-11-21T17:06:00"),
            # 00:30 local on Nov 22
            hit("early", "2026-11-22T05:30:00"),
        ]
    )
    run = materialize_range("nyc", date(2026, 11, 20), date(2026, 11, 22), pipeline)
    assert run.success

    warehouse = Warehouse(settings.resolved_warehouse_url)
    sessions = warehouse.query(
        "SELECT visitor_id, session_date, pageviews, channel FROM int_sessions "
        "WHERE account = 'nyc' ORDER BY visitor_id, session_start_at"
    )
    assert [
        (s["visitor_id"], s["session_date"], s["pageviews"], s["channel"]) for s in sessions
    ] == [
        ("across", date(2026, 11, 20), 2, "Organic Search"),
        ("early", date(2026, 11, 22), 1, "Direct"),
        ("evening", date(2026, 11, 20), 1, "Direct"),
        ("switch", date(2026, 11, 21), 1, "Direct"),
        ("switch", date(2026, 11, 21), 2, "Paid Search"),
    ]
    days = warehouse.query(
        "SELECT date_day, sum(sessions) AS sessions, sum(pageviews) AS pageviews "
        "FROM fct_channel_daily WHERE account = 'nyc' GROUP BY date_day ORDER BY date_day"
    )
    assert [(d["date_day"], int(d["sessions"]), int(d["pageviews"])) for d in days] == [
        (date(2026, 11, 20), 2, 3),
        (date(2026, 11, 21), 2, 3),
        (date(2026, 11, 22), 1, 1),
    ]
    raw = warehouse.query(
        "SELECT event_date, count(*) AS n FROM raw_hits WHERE account = 'nyc' "
        "GROUP BY event_date ORDER BY event_date"
    )
    assert [(r["event_date"], int(r["n"])) for r in raw] == [
        (date(2026, 11, 20), 2),  # 21:00 and 23:50 local
        (date(2026, 11, 21), 4),  # 00:10, and the three of the switch visit
        (date(2026, 11, 22), 1),
    ]
