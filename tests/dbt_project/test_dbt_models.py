"""The dbt project end to end: real hits landed and loaded by touchline.loader,
real ``dbt build`` runs (a full build, then partitioned runs), on a
DuckDB file and on the MariaDB test server.

The hand-made hits cover the sessionisation edges (a gap of exactly 1800 s,
1800.5 s and 1801 s, a visitor active across midnight), every channel of the
default rule and its precedence, bots and non-pageview hits, and two accounts
sharing a visitor id. Each warehouse runs four dbt builds in one test, so the
assertions are grouped by build.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.dbt import DbtRunner
from tests.support.landed import replace_day
from touchline.contract import LandedHit
from touchline.warehouse import Warehouse

ACME, GLOBEX = "acme", "globex"
D1, D2 = date(2026, 11, 20), date(2026, 11, 21)
HIT_NAMESPACE = uuid.UUID("5d7c1f0e-2b1a-4c39-9a51-0f6f1d0c7a11")


# --------------------------------------------------------------------------- hits


def _hit(
    account: str,
    visitor: str,
    at: str,
    *,
    day: date = D1,
    page: str = "/",
    type: str = "pageview",
    **fields: Any,
) -> dict[str, Any]:
    """A landed hit as the loader receives it; ``at`` is HH:MM:SS[.ffffff] UTC on ``day``."""
    event_at = datetime.fromisoformat(f"{day.isoformat()}T{at}+00:00")
    host = f"www.{account}.test"
    hit = LandedHit(
        hit_id=str(uuid.uuid5(HIT_NAMESPACE, f"{account}/{visitor}/{day}/{at}")),
        type=type,
        account=account,
        event_at=event_at,
        received_at=event_at + timedelta(milliseconds=150),
        visitor_id=visitor,
        url=f"https://{host}{page}",
        user_agent="Mozilla/5.0 (test)",
        **fields,
    )
    return hit.model_dump(mode="json")


def acme_d1_hits() -> list[dict[str, Any]]:
    a = ACME
    return [
        # gap of exactly 1800 s continues the session, 1801 s starts a new one
        _hit(a, "v-gap", "10:00:00", utm_source="google", utm_medium="cpc", utm_campaign="brand"),
        _hit(a, "v-gap", "10:30:00", page="/pricing"),
        _hit(a, "v-gap", "11:00:01", page="/signup"),
        # 1800.5 s is more than 30 minutes (TIMESTAMPDIFF(SECOND) would say 1800)
        _hit(a, "v-frac", "12:00:00", utm_medium="email"),
        _hit(a, "v-frac", "12:30:00.500000"),
        # active across midnight: one session, on the day it started (15 min gap)
        _hit(a, "v-midnight", "23:50:00", referrer="https://www.bing.com/search?q=acme"),
        # Paid Search: Google's click ids say google / cpc over any utm medium
        _hit(a, "v-gclid", "09:00:00", gclid="Cj0KCQ", utm_medium="email"),
        _hit(a, "v-wbraid", "09:01:00", wbraid="wb-1"),
        # Paid Other: a paid medium (trimmed, lower-case) without a known source;
        # fbclid alone says nothing (Meta adds it to organic links too)
        _hit(a, "v-ppc", "09:02:00", utm_medium=" PPC "),
        _hit(a, "v-fbclid-cpc", "09:03:00", fbclid="fb-1", utm_medium="cpc"),
        # Paid Social: TikTok's click id, or a social source with a paid medium
        _hit(a, "v-ttclid", "09:04:00", ttclid="tt-1"),
        _hit(a, "v-paid-social", "09:05:00", utm_medium="paid_social", utm_source="facebook"),
        # Display, Affiliates; "newsletter" is no email medium for GA4: Unassigned
        _hit(a, "v-display", "09:06:00", utm_medium="cpm"),
        _hit(a, "v-newsletter", "09:07:00", utm_medium="Newsletter"),
        _hit(a, "v-affiliate", "09:08:00", utm_medium="affiliate"),
        # Organic Social: social medium or a social referrer (subdomains too)
        _hit(a, "v-fb-ref", "09:09:00", referrer="https://l.facebook.com/l.php?u=x"),
        _hit(a, "v-social", "09:10:00", utm_medium="social"),
        _hit(a, "v-tco", "09:11:00", referrer="https://t.co/abc"),
        # Organic Search: medium organic or a search engine referrer
        _hit(a, "v-google", "09:12:00", referrer="https://www.Google.co.uk/"),
        _hit(a, "v-organic", "09:13:00", utm_medium="organic"),
        # Unassigned: any other medium
        _hit(a, "v-other", "09:14:00", utm_medium="qr-code"),
        # Referral: another host (notgoogle.com is not a search engine)
        _hit(a, "v-referral", "09:15:00", referrer="https://blog.example.org/post"),
        _hit(a, "v-notgoogle", "09:16:00", referrer="https://notgoogle.com/"),
        # Direct: a referrer on the same host (www. ignored), empty medium / click id
        _hit(a, "v-self", "09:17:00", referrer="https://ACME.test/pricing"),
        _hit(a, "v-empty", "09:18:00", utm_medium="  ", gclid=""),
        # a campaign arriving mid-session starts a new session: Direct, then Email
        _hit(a, "v-first", "09:20:00"),
        _hit(a, "v-first", "09:30:00", utm_medium="email"),
        # the same campaign again (a reload of the landing page) does not
        _hit(a, "v-reload", "09:21:00", utm_medium="cpm", utm_campaign="x"),
        _hit(a, "v-reload", "09:22:00", page="/next"),
        _hit(a, "v-reload", "09:23:00", utm_medium="cpm", utm_campaign="x"),
        # two Direct sessions of one visitor: 2 sessions, 1 visitor
        _hit(a, "v-twice", "07:00:00"),
        _hit(a, "v-twice", "08:00:00"),
        # not counted: a bot, and a hit that is not a pageview
        _hit(a, "v-bot", "09:40:00", is_bot=True, gclid="bot"),
        _hit(a, "v-event", "09:41:00", type="event", utm_medium="cpc"),
    ]


def acme_d2_hits() -> list[dict[str, Any]]:
    return [
        _hit(ACME, "v-midnight", "00:05:00", day=D2),
        _hit(ACME, "v-d2", "10:00:00", day=D2, referrer="https://news.example.net/"),
    ]


def globex_d1_hits() -> list[dict[str, Any]]:
    return [
        # same visitor id as in acme: separate sessions, separate account
        _hit(GLOBEX, "v-gap", "10:00:00", utm_medium="cpc"),
        _hit(GLOBEX, "v-g2", "10:05:00", referrer="https://news.ycombinator.com/item?id=1"),
    ]


def channel_rows(account: str, day: date, counts: dict[str, tuple[int, int, int]]) -> set[tuple]:
    """{(account, day, channel, sessions, visitors, pageviews)}."""
    return {(account, day.isoformat(), ch, *c) for ch, c in counts.items()}


ACME_D1_EXPECTED = channel_rows(
    ACME,
    D1,
    {
        "Paid Search": (3, 3, 4),  # v-gap s1 (2 pv), gclid, wbraid
        "Paid Other": (2, 2, 2),  # ppc, fbclid+cpc
        "Paid Social": (2, 2, 2),
        "Display": (2, 2, 4),  # cpm, v-reload (3 pv, one session)
        "Email": (2, 2, 2),  # v-frac s1, v-first s2
        "Affiliates": (1, 1, 1),
        "Organic Social": (3, 3, 3),
        # v-midnight (bing; 2 pv: 23:50 and 00:05 next day), google.co.uk, organic
        "Organic Search": (3, 3, 4),
        "Unassigned": (2, 2, 2),  # newsletter, qr-code
        "Referral": (2, 2, 2),
        # v-gap s2, v-frac s2, v-self, v-empty, v-first s1, v-twice x2
        "Direct": (7, 6, 7),
    },
)
ACME_D2_EXPECTED = channel_rows(ACME, D2, {"Referral": (1, 1, 1)})
GLOBEX_D1_EXPECTED = channel_rows(GLOBEX, D1, {"Paid Other": (1, 1, 1), "Referral": (1, 1, 1)})


def acme_d1_hits_restated() -> list[dict[str, Any]]:
    """acme's day 1 reloaded: the two Referral visitors are gone and v-gap came
    back 1199 s after its second session started (same session)."""
    hits = [h for h in acme_d1_hits() if h["visitor_id"] not in ("v-referral", "v-notgoogle")]
    return hits + [_hit(ACME, "v-gap", "11:20:00", page="/thanks")]


ACME_D1_RESTATED_EXPECTED = {
    r for r in ACME_D1_EXPECTED if r[2] not in ("Referral", "Direct")
} | channel_rows(ACME, D1, {"Direct": (7, 6, 8)})


# ----------------------------------------------------------------------- warehouses


def _channel_daily(warehouse: Warehouse) -> set[tuple]:
    rows = warehouse.query(
        "select account, date_day, channel, sessions, visitors, pageviews from fct_channel_daily"
    )
    return {
        (
            r["account"],
            r["date_day"].isoformat(),
            r["channel"],
            int(r["sessions"]),
            int(r["visitors"]),
            int(r["pageviews"]),
        )
        for r in rows
    }


SESSIONS_SNAPSHOT = "select * from int_sessions order by account, session_date, session_key"
CHANNEL_SNAPSHOT = "select * from fct_channel_daily order by account, date_day, channel"


def _session_key(account: str, visitor: str, first_hit_id: str) -> str:
    return hashlib.md5(f"{account}-{visitor}-{first_hit_id}".encode()).hexdigest()


# ---------------------------------------------------------------------------- test


def test_dbt_build_full_and_partitioned(warehouse_url: str, tmp_path: Path) -> None:
    warehouse = Warehouse(warehouse_url)
    landing = tmp_path / "landing"

    def replace_partition(account: str, day: date, hits: list[dict[str, Any]]) -> None:
        replace_day(warehouse, landing, account, day, hits)

    replace_partition(ACME, D1, acme_d1_hits())
    replace_partition(ACME, D2, acme_d2_hits())
    replace_partition(GLOBEX, D1, globex_d1_hits())
    dbt = DbtRunner(warehouse, tmp_path)

    # 1. full build (no vars): every model and test, every partition
    dbt.build()

    assert _channel_daily(warehouse) == ACME_D1_EXPECTED | ACME_D2_EXPECTED | GLOBEX_D1_EXPECTED

    staged = warehouse.query("select account, visitor_id from stg_hits__pageviews")
    assert len(staged) == len(acme_d1_hits()) - 2 + len(acme_d2_hits()) + len(globex_d1_hits())
    assert not {r["visitor_id"] for r in staged} & {"v-bot", "v-event"}

    sessions = warehouse.query(
        "select account, visitor_id, session_date, visitor_session_number, first_hit_id,"
        " session_key, session_start_at, session_end_at, session_duration_seconds, pageviews,"
        " landing_host, landing_path, referrer_host, utm_medium, channel"
        " from int_sessions order by account, visitor_id, session_start_at",
    )
    by_visitor: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in sessions:
        by_visitor.setdefault((s["account"], s["visitor_id"]), []).append(s)

    gap = by_visitor[(ACME, "v-gap")]
    assert [(s["pageviews"], s["channel"]) for s in gap] == [(2, "Paid Search"), (1, "Direct")]
    assert [s["visitor_session_number"] for s in gap] == [1, 2]
    assert gap[0]["session_start_at"] == datetime(2026, 11, 20, 10, 0, 0)
    assert gap[0]["session_end_at"] == datetime(2026, 11, 20, 10, 30, 0)
    assert float(gap[0]["session_duration_seconds"]) == 1800.0
    assert gap[0]["landing_host"] == "acme.test" and gap[0]["landing_path"] == "/"
    assert gap[0]["utm_medium"] == "cpc"
    first_hit = acme_d1_hits()[0]["hit_id"]
    assert gap[0]["first_hit_id"] == first_hit
    assert gap[0]["session_key"] == _session_key(ACME, "v-gap", first_hit)

    frac = by_visitor[(ACME, "v-frac")]
    assert [(s["pageviews"], s["channel"]) for s in frac] == [(1, "Email"), (1, "Direct")]

    midnight = by_visitor[(ACME, "v-midnight")]
    assert [(s["session_date"], s["channel"], s["pageviews"]) for s in midnight] == [
        (D1, "Organic Search", 2),
    ]
    assert midnight[0]["session_end_at"] == datetime(2026, 11, 21, 0, 5, 0)
    assert midnight[0]["referrer_host"] == "bing.com"
    assert by_visitor[(ACME, "v-google")][0]["referrer_host"] == "google.co.uk"
    assert [(s["pageviews"], s["channel"]) for s in by_visitor[(ACME, "v-first")]] == [
        (1, "Direct"),
        (1, "Email"),
    ]
    assert [s["pageviews"] for s in by_visitor[(ACME, "v-reload")]] == [3]
    assert [s["channel"] for s in by_visitor[(GLOBEX, "v-gap")]] == ["Paid Other"]
    assert len(sessions) == 32

    # 2. partitioned run of acme / day 1 after its hits were restated; globex's
    #    day 1 also changed in raw but is not run: it must keep its old rows
    replace_partition(ACME, D1, acme_d1_hits_restated())
    replace_partition(
        GLOBEX, D1, globex_d1_hits() + [_hit(GLOBEX, "v-g3", "11:00:00", utm_medium="email")]
    )
    dbt.build("--select", "tag:partitioned", account=ACME, day=D1)

    assert _channel_daily(warehouse) == (
        ACME_D1_RESTATED_EXPECTED | ACME_D2_EXPECTED | GLOBEX_D1_EXPECTED
    )
    gap = warehouse.query(
        "select pageviews from int_sessions where account = 'acme' and visitor_id = 'v-gap'"
        " order by session_start_at",
    )
    assert [r["pageviews"] for r in gap] == [2, 2]

    # 3. the same partition again: identical rows, everywhere
    sessions_before = warehouse.query(SESSIONS_SNAPSHOT)
    channels_before = warehouse.query(CHANNEL_SNAPSHOT)
    dbt.build("--select", "tag:partitioned", account=ACME, day=D1)
    assert warehouse.query(SESSIONS_SNAPSHOT) == sessions_before
    assert warehouse.query(CHANNEL_SNAPSHOT) == channels_before

    # 4. acme's day 2 lost all its hits: its partition ends empty, nothing else moves
    replace_partition(ACME, D2, [])
    dbt.build("--select", "tag:partitioned", account=ACME, day=D2)

    assert _channel_daily(warehouse) == ACME_D1_RESTATED_EXPECTED | GLOBEX_D1_EXPECTED
    assert not warehouse.query(
        "select session_key from int_sessions where account = ? and session_date = ?", [ACME, D2]
    )
    assert [r for r in warehouse.query(SESSIONS_SNAPSHOT) if r["session_date"] != D2] == [
        r for r in sessions_before if r["session_date"] != D2
    ]
