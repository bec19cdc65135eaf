"""The hit contract and the landing zone, without any server."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from touchline.contract import CONTRACT_VERSION, IncomingHit, corrected_timestamp, land
from touchline.landing import LandingWriter, read_partition

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def incoming(**fields) -> IncomingHit:
    base = {
        "token": "tl_x",
        "hit_id": str(uuid.uuid4()),
        "visitor_id": "v1",
        "url": "https://shop.example.com/",
    }
    return IncomingHit.model_validate({**base, **fields})


def landed(**fields):
    return land(
        incoming(**fields),
        account="acme",
        received_at=NOW,
        ip="203.0.113.9",
        user_agent="UA",
        is_bot=False,
        dnt=False,
    )


def test_skew_correction_uses_the_delay_between_event_and_sending() -> None:
    # The client clock is two hours fast; the event happened 10 s before sending.
    client_event = NOW + timedelta(hours=2) - timedelta(seconds=10)
    client_sent = NOW + timedelta(hours=2)
    assert corrected_timestamp(NOW, client_event, client_sent) == NOW - timedelta(seconds=10)
    assert corrected_timestamp(NOW, None, None) == NOW
    # An event "after" its sending is not placed after it reached us.
    assert corrected_timestamp(NOW, NOW + timedelta(1), NOW) == NOW


def test_landed_record_is_versioned_and_keeps_the_contract_fields() -> None:
    hit = landed(
        client_ts="2026-11-20T08:00:00Z", sent_at="2026-11-22T12:00:00Z", utm_source="google"
    )
    record = json.loads(hit.model_dump_json())
    assert record["contract_version"] == CONTRACT_VERSION
    assert record["event_at"].startswith("2026-11-20T08:00:00")
    assert record["received_at"].startswith("2026-11-22T12:00:00")
    for field in (
        "hit_id",
        "type",
        "account",
        "visitor_id",
        "url",
        "ip",
        "is_bot",
        "dnt",
        "cookie_mode",
        "schema_level",
        "gclid",
        "utm_source",
        "properties",
    ):
        assert field in record


def test_history_older_than_the_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="days before sent_at"):
        landed(client_ts="2024-01-01T00:00:00Z", sent_at="2026-11-22T12:00:00Z")


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"hit_id": "not-a-uuid"}, "hit_id"),
        ({"surprise": 1}, "surprise"),
        ({"type": "teleport"}, "type"),
        ({"cookie_mode": "sometimes"}, "cookie_mode"),
    ],
)
def test_incoming_hit_rejects_bad_fields(fields, problem) -> None:
    with pytest.raises(ValidationError) as info:
        incoming(**fields)
    assert problem in str(info.value)


def test_landing_layout_dedupe_and_torn_lines(tmp_path) -> None:
    root = str(tmp_path / "landing")
    writer = LandingWriter(root, instance="test")
    first = landed(client_ts="2026-11-20T08:15:00Z", sent_at="2026-11-22T12:00:00Z")
    second = landed(client_ts="2026-11-20T23:59:59Z", sent_at="2026-11-22T12:00:00Z")
    other_day = landed(client_ts="2026-11-21T00:00:00Z", sent_at="2026-11-22T12:00:00Z")
    writer.write([first, second, other_day])
    writer.write([first])  # a retried request
    files = sorted(
        p.relative_to(tmp_path).as_posix() for p in (tmp_path / "landing").rglob("*.ndjson")
    )
    assert [f.rsplit("/", 1)[0] for f in files] == [
        "landing/acme/2026/11/20/08",
        "landing/acme/2026/11/20/23",
        "landing/acme/2026/11/21/00",
    ]
    # A line still being written (no newline yet) is left for the next load.
    with open(tmp_path / files[0], "a") as handle:
        handle.write('{"hit_id": "half')
    read = read_partition(root, "acme", date(2026, 11, 20))
    assert sorted(h["hit_id"] for h in read.hits) == sorted([first.hit_id, second.hit_id])
    assert (read.files, read.lines, read.duplicates, read.unreadable) == (2, 3, 1, 0)
    assert read_partition(root, "acme", date(2026, 11, 19)).hits == []


def test_object_store_roots_are_refused_by_the_writer() -> None:
    with pytest.raises(ValueError, match="local or mounted"):
        LandingWriter("memory://landing")
