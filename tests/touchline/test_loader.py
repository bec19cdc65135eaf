"""The loader: landed NDJSON into raw_hits, read by the warehouse itself, on a
real DuckDB file and a real MariaDB server.

Each test lands lines the way the collector writes them (the contract's own
record builders, or the exact JSON of older versions) and checks what a user
of raw_hits would see: which hits, on which local day, with which values.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.support.landed import land
from touchline.contract import IncomingHit, land_record, landed_line
from touchline.landing import hour_folder
from touchline.loader import load_hits
from touchline.loader.window import LoadWindow
from touchline.tables import RAW_HITS
from touchline.warehouse import Warehouse

UTC = timezone.utc
D = date(2026, 11, 20)
D2 = D + timedelta(days=1)


@pytest.fixture(params=["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def warehouse(request, tmp_path) -> Warehouse:
    if request.param == "mariadb":
        return Warehouse(request.getfixturevalue("mariadb_url"))
    return Warehouse(f"duckdb:///{tmp_path}/w.duckdb")


def record(
    event_at: str, *, hit_id: str | None = None, account: str = "acme", **fields: Any
) -> dict[str, Any]:
    """A landed pageview as the collector writes it (times as given, verbatim)."""
    return {
        "contract_version": 2,
        "hit_id": hit_id or str(uuid.uuid4()),
        "type": "pageview",
        "account": account,
        "event_at": event_at,
        "received_at": fields.pop("received_at", event_at),
        "visitor_id": fields.pop("visitor_id", "v-1"),
        "url": fields.pop("url", "https://shop.example.com/"),
        "is_bot": False,
        "dnt": False,
        "cookie_mode": "first_party",
        "schema_level": "full",
        "properties": {},
        **fields,
    }


def write_lines(root: Path, account: str, hour: datetime, lines: list[bytes], name: str) -> None:
    folder = Path(hour_folder(str(root), account, hour))
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "ab") as handle:
        handle.write(b"".join(lines))


def rows(warehouse: Warehouse, where: str = "1 = 1", params: tuple = ()) -> list[dict]:
    return warehouse.query(
        f"SELECT * FROM raw_hits WHERE {where} ORDER BY event_at, hit_id", list(params)
    )


# ------------------------------------------------------------------ deduplication


def test_a_hit_in_two_day_folders_counts_once_the_first_received_as_a_time(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    root = tmp_path / "landing"
    # One hit sent just before midnight; its retry landed in the next day's folder.
    # As text, "00:00:00.250000Z" sorts before "00:00:00Z"; as times it is later.
    first, retry = str(uuid.uuid4()), str(uuid.uuid4())
    land(
        root,
        [
            record("2026-11-20T23:59:58Z", hit_id=first, received_at="2026-11-21T00:00:00Z",
                   url="https://shop.example.com/first"),
            record("2026-11-21T00:00:03Z", hit_id=first,
                   received_at="2026-11-21T00:00:00.250000Z",
                   url="https://shop.example.com/retry"),
            # Offsets: "2026-11-21T01:00:00+02:00" is 23:00 UTC, before "…23:30:00Z".
            record("2026-11-21T08:00:00Z", hit_id=retry, received_at="2026-11-20T23:30:00Z",
                   url="https://shop.example.com/later"),
            record("2026-11-20T22:59:59Z", hit_id=retry,
                   received_at="2026-11-21T01:00:00+02:00",
                   url="https://shop.example.com/earlier"),
            record("2026-11-20T12:00:00Z"),
            record("2026-11-21T12:00:00Z"),
        ],
    )  # fmt: skip

    # Day by day, in either order, and as one range: each hit id once, on its day.
    for ranges in ([(D, D), (D2, D2)], [(D2, D2), (D, D)], [(D, D2)]):
        loads = [
            day
            for start, end in ranges
            for day in load_hits(warehouse, str(root), "acme", "UTC", start, end)
        ]
        got = rows(warehouse)
        assert len(got) == 4
        by_url = {r["url"].rsplit("/", 1)[-1]: r for r in got}
        assert set(by_url) == {"first", "earlier", ""}
        assert by_url["first"]["event_date"] == D
        assert by_url["first"]["received_at"] == datetime(2026, 11, 21)
        assert by_url["earlier"]["event_date"] == D
        assert by_url["earlier"]["received_at"] == datetime(2026, 11, 20, 23)
        per_day = {x.day: x for x in loads}
        assert (per_day[D].rows, per_day[D].landed_lines, per_day[D].duplicates) == (3, 3, 0)
        day2 = per_day[D2]
        assert (day2.rows, day2.landed_lines, day2.duplicates) == (1, 3, 2)


def test_the_same_line_twice_in_one_file_is_loaded_once(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    root = tmp_path / "landing"
    line = json.dumps(record("2026-11-20T10:00:00.5Z", received_at="2026-11-20T10:00:01Z"))
    write_lines(root, "acme", datetime(2026, 11, 20, 10), [f"{line}\n".encode()] * 3, "a.ndjson")
    land(root, [record("2026-11-20T10:05:00Z")])
    [day] = load_hits(warehouse, str(root), "acme", "UTC", D, D)
    assert (day.rows, day.landed_lines, day.duplicates) == (2, 4, 2)
    assert len(rows(warehouse)) == 2


def test_one_batch_carrying_a_hit_id_twice_keeps_the_same_copy_in_any_line_order(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # One request carrying the same hit id twice: both lines have the request's
    # received_at, in one file, but they are two different hits.
    hit_id = str(uuid.uuid4())
    copies = [
        json.dumps(record("2026-11-20T10:00:00Z", hit_id=hit_id, url=f"https://shop.example.com/{p}"))
        .encode() + b"\n"
        for p in ("a", "b")
    ]  # fmt: skip
    kept = set()
    for n, lines in enumerate((copies, copies[::-1])):
        root = tmp_path / f"landing-{n}"
        write_lines(root, "acme", datetime(2026, 11, 20, 10), lines, "web-1-00001.ndjson")
        land(root, [record("2026-11-20T11:00:00Z")])
        [day] = load_hits(warehouse, str(root), "acme", "UTC", D, D)
        assert (day.rows, day.landed_lines, day.duplicates) == (2, 3, 1)
        [row] = rows(warehouse, "hit_id = ?", (hit_id,))
        kept.add(row["url"])
    assert kept == {"https://shop.example.com/a"}


def test_tabs_newlines_and_backslashes_in_values_load_verbatim(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    root = tmp_path / "landing"
    title = 'tab\there, new\nline, back\\slash \\N, "quoted", \r and \u00e9t\u00e9 \U0001f600'
    props = {"note": "a\tb\\c\nd", "path": "C:\\temp\\new"}
    odd = record("2026-11-20T10:00:00Z", title=title, properties=props, user_id="\\N")
    plain = record("2026-11-20T10:01:00Z", title="\\N")
    land(root, [odd, plain])
    [day] = load_hits(warehouse, str(root), "acme", "UTC", D, D)
    assert day.rows == 2
    got = {r["hit_id"]: r for r in rows(warehouse)}
    assert got[odd["hit_id"]]["title"] == title
    assert got[odd["hit_id"]]["user_id"] == "\\N"
    assert json.loads(got[odd["hit_id"]]["properties"]) == props
    assert got[plain["hit_id"]]["title"] == "\\N" and got[plain["hit_id"]]["user_id"] is None


# ------------------------------------------------------------------ local days


def test_new_york_days_are_local_and_read_the_utc_hours_they_span(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    root = tmp_path / "landing"
    ny = "America/New_York"
    hits = {
        "nov20-first": "2026-11-20T05:00:00Z",  # 00:00 EST, Nov 20
        "nov20-2330": "2026-11-21T04:30:00Z",  # 23:30 EST, Nov 20
        "nov21-0030": "2026-11-21T05:30:00Z",  # 00:30 EST, Nov 21
        "nov19-last": "2026-11-20T04:59:59.999999Z",  # 23:59:59.999999 EST, Nov 19
        "nov21-last": "2026-11-22T04:59:59Z",  # 23:59:59 EST, Nov 21
        # Nov 1 has 25 hours: 00:30 EDT (UTC-4) and 23:30 EST (UTC-5)
        "nov01-0030": "2026-11-01T04:30:00Z",
        "nov01-2330": "2026-11-02T04:30:00Z",
        "oct31-2330": "2026-11-01T03:30:00Z",
    }
    land(root, [record(at, visitor_id=name) for name, at in hits.items()])

    [nov20] = load_hits(warehouse, str(root), "acme", ny, D, D)
    assert (nov20.day, nov20.rows, nov20.landed_files) == (D, 2, 2)
    got = {r["visitor_id"]: r["event_date"] for r in rows(warehouse)}
    assert got == {"nov20-first": D, "nov20-2330": D}

    loads = load_hits(warehouse, str(root), "acme", ny, date(2026, 11, 19), date(2026, 11, 21))
    assert [(x.day, x.rows) for x in loads] == [
        (date(2026, 11, 19), 1), (D, 2), (date(2026, 11, 21), 2)
    ]  # fmt: skip
    got = {r["visitor_id"]: r["event_date"] for r in rows(warehouse)}
    assert got["nov21-0030"] == got["nov21-last"] == date(2026, 11, 21)
    assert got["nov19-last"] == date(2026, 11, 19)

    [nov1] = load_hits(warehouse, str(root), "acme", ny, date(2026, 11, 1), date(2026, 11, 1))
    assert nov1.rows == 2
    nov1_rows = rows(warehouse, "event_date = ?", (date(2026, 11, 1),))
    assert {r["visitor_id"] for r in nov1_rows} == {"nov01-0030", "nov01-2330"}
    # The stored times stay UTC.
    assert min(r["event_at"] for r in nov1_rows) == datetime(2026, 11, 1, 4, 30)
    assert len(LoadWindow.of(ny, date(2026, 11, 1), date(2026, 11, 1)).hours) == 25


def test_a_half_hour_zone_shares_an_hour_folder_between_two_days(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    root = tmp_path / "landing"
    kolkata = "Asia/Kolkata"  # UTC+5:30: the 18:00 UTC folder holds 23:30-00:30 local
    land(root, [record("2026-11-20T18:10:00Z", visitor_id="before-midnight"),
                record("2026-11-20T18:40:00Z", visitor_id="after-midnight")])  # fmt: skip
    [day] = load_hits(warehouse, str(root), "acme", kolkata, D, D)
    [next_day] = load_hits(warehouse, str(root), "acme", kolkata, D2, D2)
    assert (day.rows, day.landed_lines, day.landed_files) == (1, 1, 1)
    assert (next_day.rows, next_day.landed_lines, next_day.landed_files) == (1, 1, 1)
    got = {r["visitor_id"]: r["event_date"] for r in rows(warehouse)}
    assert got == {"before-midnight": D, "after-midnight": D2}


# ------------------------------------------------------------------ every version and type


def _collector_lines() -> list[bytes]:
    """One line of every hit type, built by the collector's own hot path."""
    received = datetime(2026, 11, 20, 10, 0, 1, 250000, tzinfo=UTC)
    base: dict[str, Any] = {
        "token": "t", "visitor_id": "v\t1", "url": "https://shop.example.com/p?q=a\tb",
        "referrer": "https://ref.example/\\path", "title": 'He said "NULL"\nand \\N',
        "client_ts": "2026-11-20T10:00:00.5Z", "sent_at": "2026-11-20T10:00:00.75+00:00",
    }  # fmt: skip
    wire = [
        {"type": "pageview", "utm_source": "google", "utm_medium": "cpc", "gclid": "g,1"},
        {"type": "event", "category": "video", "action": "play", "label": "é ✓ 😀", "value": 3},
        {"type": "sale", "order_id": "o-1", "revenue": 12.5, "currency": "eur",
         "items": [{"sku": "a", "price": 3.5, "quantity": 2}]},
        {"type": "label", "key": "ab", "value": "B"},
        {"type": "impression", "campaign": "c", "creative": "cr", "placement": "top"},
        {"type": "identify", "user_id": "u-1", "traits": {"plan": "pro", "seats": 3}},
        {"type": "alias", "user_id": "u-2", "previous_id": "u-1"},
        {"type": "event", "action": "Signed Up",
         "properties": {"segment_type": "track", "note": "tab\there"}},
    ]  # fmt: skip
    lines = []
    for fields in wire:
        incoming = IncomingHit.model_validate({**base, "hit_id": str(uuid.uuid4()), **fields})
        _, rec = land_record(incoming, account="acme", received_at=received, ip="203.0.113.0",
                             user_agent="UA\\1", is_bot=False, dnt=True)  # fmt: skip
        lines.append(landed_line(rec))
    extra = [
        # the collector's own types
        record("2026-11-20T10:00:02Z", type="redirect", cookie_mode="none",
               properties={"target": "https://shop.example.com/x", "campaign": "c"}),
        record("2026-11-20T10:00:03Z", type="validation_failure", schema_level="fallback",
               properties={"reason": "revenue: must be a number", "fields": [{"f": "x"}]}),
        # version 1, as the first collector wrote it (no properties of any type)
        {"contract_version": 1, "hit_id": str(uuid.uuid4()), "type": "pageview",
         "account": "acme", "event_at": "2026-11-20T10:00:04Z",
         "received_at": "2026-11-20T10:00:04.5Z", "visitor_id": "v-old",
         "url": "https://shop.example.com/", "cookie_mode": "first_party",
         "schema_level": "full", "properties": {}, "is_bot": True, "dnt": False},
    ]  # fmt: skip
    return lines + [json.dumps(x, ensure_ascii=False).encode() + b"\n" for x in extra]


def _expected(line: bytes) -> dict[str, Any]:
    """What raw_hits must hold for a landed line: each column as landed, times as
    naive UTC, the local (here UTC) day of event_at, properties as JSON text."""
    hit = json.loads(line)
    row: dict[str, Any] = {}
    for column in RAW_HITS.column_names:
        value = hit.get(column)
        if column in ("event_at", "received_at", "sent_at", "client_ts") and value:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            value = value.astimezone(UTC).replace(tzinfo=None)
        row[column] = value
    row["properties"] = hit.get("properties") or {}
    row["event_date"] = row["event_at"].date()
    del row["loaded_at"]
    return row


def test_every_hit_type_of_both_contract_versions_loads_with_its_values(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    root = tmp_path / "landing"
    lines = _collector_lines()
    write_lines(root, "acme", datetime(2026, 11, 20, 10), lines, "web-1-00001.ndjson")
    before = datetime.now(UTC).replace(tzinfo=None)
    [day] = load_hits(warehouse, str(root), "acme", "UTC", D, D)
    assert (day.rows, day.landed_lines, day.unreadable, day.duplicates) == (11, 11, 0, 0)

    got = {r["hit_id"]: r for r in rows(warehouse)}
    types = set()
    for line in lines:
        want = _expected(line)
        row = dict(got[want["hit_id"]])
        loaded_at = row.pop("loaded_at")
        assert before - timedelta(seconds=1) <= loaded_at <= datetime.now(UTC).replace(tzinfo=None)
        row["properties"] = json.loads(row["properties"])
        row["is_bot"], row["dnt"] = bool(row["is_bot"]), bool(row["dnt"])
        want["is_bot"], want["dnt"] = bool(want["is_bot"]), bool(want["dnt"])
        assert row == want
        types.add(row["type"])
    assert types == {"pageview", "event", "sale", "label", "impression", "identify", "alias",
                     "redirect", "validation_failure"}  # fmt: skip


# ------------------------------------------------------------------ bad lines, reloads


def test_unreadable_and_cut_off_lines_are_counted_and_never_fail_the_load(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    root = tmp_path / "landing"
    hour = datetime(2026, 11, 20, 9)
    good = [json.dumps(record(f"2026-11-20T09:0{i}:00Z")).encode() + b"\n" for i in range(3)]
    bad = [
        b"not json at all\n",
        b"[1, 2, 3]\n",
        b"{}\n",  # no hit id
        json.dumps(record("2026-11-20T09:10:00Z", account="globex")).encode() + b"\n",
        json.dumps(record("yesterday-ish")).encode() + b"\n",  # no usable event time
        b'{"hit_id": "\xff\xfe", "account": "acme"}\n',  # not UTF-8
    ]
    cut = json.dumps(record("2026-11-20T09:30:00Z")).encode()[:57]  # still being written
    write_lines(root, "acme", hour, [good[0], *bad, good[1], good[2], cut], "web-1-00001.ndjson")
    [day] = load_hits(warehouse, str(root), "acme", "UTC", D, D)
    assert (day.rows, day.unreadable, day.landed_lines, day.landed_files) == (3, 7, 10, 1)
    assert len(rows(warehouse)) == 3


def test_reloading_replaces_exactly_the_days_of_the_account(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    root = tmp_path / "landing"
    land(root, [record("2026-11-20T10:00:00Z"), record("2026-11-20T11:00:00Z"),
                record("2026-11-21T10:00:00Z"),
                record("2026-11-20T10:00:00Z", account="globex")])  # fmt: skip
    load_hits(warehouse, str(root), "globex", "UTC", D, D)
    for _ in range(2):
        loads = load_hits(warehouse, str(root), "acme", "UTC", D, D2)
        assert [x.rows for x in loads] == [2, 1]
        assert len(rows(warehouse, "account = ?", ("acme",))) == 3

    # A day whose files are gone ends empty; the other day and account keep theirs.
    for path in (root / "acme" / "2026" / "11" / "20").rglob("*.ndjson"):
        path.unlink()
    [emptied] = load_hits(warehouse, str(root), "acme", "UTC", D, D)
    assert (emptied.rows, emptied.landed_files) == (0, 0)
    assert [r["event_date"] for r in rows(warehouse, "account = ?", ("acme",))] == [D2]
    assert len(rows(warehouse, "account = ?", ("globex",))) == 1


@pytest.mark.mariadb
def test_a_raw_hits_table_of_an_earlier_version_keeps_its_rows_and_gets_the_new_index(
    mariadb_url: str, tmp_path: Path
) -> None:
    warehouse = Warehouse(mariadb_url)
    root = tmp_path / "landing"
    land(root, [record("2026-11-19T10:00:00Z")])
    load_hits(warehouse, str(root), "acme", "UTC", D - timedelta(days=1), D - timedelta(days=1))
    with warehouse.connect() as conn, conn.cursor() as cur:
        # As earlier versions made it: an index on (account, event_date, hit_id).
        cur.execute(
            "ALTER TABLE raw_hits DROP INDEX ix_raw_hits_day, "
            "ADD INDEX ix_raw_hits_partition (account, event_date, hit_id)"
        )
    land(root, [record("2026-11-20T10:00:00Z")])
    [day] = load_hits(warehouse, str(root), "acme", "UTC", D, D)
    assert day.rows == 1 and len(rows(warehouse)) == 2
    indexes = warehouse.query(
        "SELECT DISTINCT index_name AS name FROM information_schema.statistics "
        "WHERE table_schema = DATABASE() AND table_name = 'raw_hits'"
    )
    assert {r["name"] for r in indexes} == {"ix_raw_hits_day"}


def test_no_landed_files_at_all_gives_empty_days(warehouse: Warehouse, tmp_path: Path) -> None:
    loads = load_hits(warehouse, str(tmp_path / "nothing"), "acme", "Europe/Berlin", D, D2)
    assert [(x.day, x.rows, x.landed_files) for x in loads] == [(D, 0, 0), (D2, 0, 0)]


def test_an_fsspec_landing_root_loads_like_a_local_one(warehouse: Warehouse) -> None:
    import fsspec

    root = f"memory://landing-{uuid.uuid4().hex}"
    fs = fsspec.filesystem("memory")
    hit = record("2026-11-20T10:00:00Z")
    with fs.open(f"{root}/acme/2026/11/20/10/web-1-00001.ndjson", "wb") as handle:
        handle.write(json.dumps(hit).encode() + b"\n")
    try:
        [day] = load_hits(warehouse, root, "acme", "UTC", D, D)
        assert (day.rows, day.landed_files) == (1, 1)
        assert [r["hit_id"] for r in rows(warehouse)] == [hit["hit_id"]]
    finally:
        fs.rm(root, recursive=True)


# ------------------------------------------------------------------ the window


@pytest.mark.parametrize(
    "tz, day",
    [
        ("America/New_York", date(2026, 3, 8)),  # 23 hours
        ("Europe/Berlin", date(2026, 10, 25)),  # 25 hours
        ("America/Santiago", date(2026, 9, 6)),  # midnight does not exist
        ("Asia/Kathmandu", date(2026, 11, 20)),  # UTC+5:45
        ("Australia/Lord_Howe", date(2026, 10, 4)),  # a 30-minute DST change
        ("UTC", date(2026, 11, 20)),
    ],
)
def test_the_window_is_every_utc_hour_with_a_minute_of_the_local_days(tz: str, day: date) -> None:
    from zoneinfo import ZoneInfo

    window = LoadWindow.of(tz, day, day + timedelta(days=1))
    zone = ZoneInfo(tz)
    start = datetime.combine(day - timedelta(days=2), datetime.min.time())
    expected = set()
    for minute in range(6 * 24 * 60):
        at = start + timedelta(minutes=minute)
        local = at.replace(tzinfo=UTC).astimezone(zone).date()
        if day <= local <= day + timedelta(days=1):
            expected.add(at.replace(minute=0))
        if window.offsets.local_day(at) != local:
            raise AssertionError(f"{at} is {local} in {tz}, not {window.offsets.local_day(at)}")
    assert set(window.hours) == expected
    assert len(window.margin_hours) == 48
    assert not set(window.margin_hours) & expected


def test_the_loader_uses_the_cores_up_to_a_cap_with_memory_for_each_thread() -> None:
    from touchline.loader import scan

    assert [scan.loader_threads(c) for c in (1, 2, 3, 64)] == [1, 2, 3, scan.MAX_THREADS]
    limits = [int(scan.memory_limit(t).removesuffix("MB")) for t in range(1, scan.MAX_THREADS + 1)]
    assert limits == sorted(set(limits))  # grows with each thread
    assert limits[-1] < 500  # a many-core machine still loads in well under 500 MB
