"""The collector over real HTTP, landing real files."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import delete

from collector.account_cache import AccountSettings
from collector.app import MAX_BODY_BYTES, create_app
from touchline.control.db import session_scope
from touchline.control.models import Account
from touchline.landing import hour_folder, read_partition
from touchline.settings import Settings

SITE = "https://shop.example.com"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)


def make_hit(token: str, **fields: Any) -> dict[str, Any]:
    hit: dict[str, Any] = {
        "token": token,
        "type": "pageview",
        "hit_id": str(uuid.uuid4()),
        "visitor_id": "v-1",
        "session_id": "s-1",
        "url": "https://shop.example.com/products?utm_source=news",
        "referrer": "https://www.google.com/",
        "utm_source": "newsletter",
        "utm_medium": "email",
    }
    hit.update(fields)
    return hit


def landed_files(root: str) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*.ndjson"))


def landed_lines(root: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in landed_files(root)
        for line in path.read_bytes().split(b"\n")
        if line
    ]


@pytest.fixture
def collector(settings: Settings, make_account, serve):
    account, _ = make_account("acme", ("shop.example.com",))

    class Target:
        url = serve(create_app(settings))
        token = account.tracking_token
        slug = account.slug
        root = settings.resolved_landing_root

        def post(self, body: Any, **kwargs: Any) -> requests.Response:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            headers = {"Content-Type": "text/plain;charset=UTF-8", **kwargs.pop("headers", {})}
            return requests.post(f"{self.url}/collect", data=data, headers=headers, **kwargs)

    return Target()


def assert_json_error(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in response.text
    return body


def test_pageview_lands_once_with_the_contract_fields(collector) -> None:
    # The client clock is years off; only the 3 h between event and sending counts.
    hit = make_hit(
        collector.token,
        client_ts="2001-01-01T09:00:00Z",
        sent_at="2001-01-01T12:00:00Z",
        gclid="abc123",
    )
    before = datetime.now(timezone.utc)
    response = collector.post(
        hit, headers={"User-Agent": GOOGLEBOT, "DNT": "1", "Origin": "https://shop.example.com"}
    )
    after = datetime.now(timezone.utc)

    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "refused": [], "dropped": 0}
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"

    files = landed_files(collector.root)
    assert len(files) == 1
    [landed] = landed_lines(collector.root)
    received_at = datetime.fromisoformat(landed["received_at"])
    event_at = datetime.fromisoformat(landed["event_at"])
    assert before <= received_at <= after
    assert event_at == received_at - timedelta(hours=3)
    assert str(files[0].parent) == hour_folder(collector.root, "acme", event_at)
    assert files[0].name.endswith(".ndjson")

    assert landed["contract_version"] == 2
    assert landed["hit_id"] == hit["hit_id"]
    assert landed["account"] == "acme"
    assert landed["type"] == "pageview"
    assert landed["url"] == hit["url"]
    assert landed["referrer"] == hit["referrer"]
    assert (landed["utm_source"], landed["utm_medium"], landed["gclid"]) == (
        "newsletter",
        "email",
        "abc123",
    )
    assert landed["client_ts"].startswith("2001-01-01T09:00:00")
    assert landed["sent_at"].startswith("2001-01-01T12:00:00")
    assert landed["ip"] == "127.0.0.1"
    assert landed["user_agent"] == GOOGLEBOT
    assert landed["is_bot"] is True
    assert landed["dnt"] is True
    assert "token" not in landed


def test_without_client_times_the_server_clock_is_the_event_time(collector) -> None:
    assert collector.post(make_hit(collector.token), headers={"User-Agent": CHROME}).ok
    [landed] = landed_lines(collector.root)
    assert landed["event_at"] == landed["received_at"]
    assert landed["is_bot"] is False


def test_do_not_track_signals(collector) -> None:
    cases = [({}, False), ({"DNT": "1"}, True), ({"Sec-GPC": "1"}, True), ({"DNT": "0"}, False)]
    for headers, _ in cases:
        response = collector.post(make_hit(collector.token), headers=headers)
        assert response.status_code == 200, headers
    landed = sorted(landed_lines(collector.root), key=lambda h: h["received_at"])
    assert [h["dnt"] for h in landed] == [dnt for _, dnt in cases]


def test_token_may_come_from_the_query_string(collector) -> None:
    hit = make_hit(collector.token)
    del hit["token"]
    response = collector.post(hit, params={"token": collector.token})
    assert response.status_code == 200, response.text
    assert [h["hit_id"] for h in landed_lines(collector.root)] == [hit["hit_id"]]


def test_subdomains_of_an_account_domain_are_accepted(collector) -> None:
    hit = make_hit(collector.token, url="https://www.shop.example.com/")
    assert collector.post(hit).status_code == 200
    assert len(landed_lines(collector.root)) == 1


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(
    settings: Settings, collector, serve
) -> None:
    spoof = {"X-Forwarded-For": "203.0.113.9"}
    assert collector.post(make_hit(collector.token), headers=spoof).status_code == 200
    trusting = serve(create_app(settings.model_copy(update={"trusted_proxies": 1})))
    response = requests.post(
        f"{trusting}/collect", data=json.dumps(make_hit(collector.token)), headers=spoof
    )
    assert response.status_code == 200
    assert sorted(h["ip"] for h in landed_lines(collector.root)) == ["127.0.0.1", "203.0.113.9"]


def test_unknown_token_is_refused_and_nothing_lands(collector) -> None:
    body = assert_json_error(collector.post(make_hit("tl_not-a-real-token")), 401)
    assert "tracking token" in body["error"]
    assert landed_files(collector.root) == []


# Bodies that are not one hit or batch at all: 400, and nothing lands.
MALFORMED_BODIES: list[tuple[str, Any]] = [
    ("not json", b"{hit_id: 1"),
    ("json array", "[]"),
    ("json string", '"pageview"'),
    ("empty", b""),
    ("not utf-8", b"\xff\xfe{}"),
    ("hostile nesting", "[" * 20000 + "]" * 20000),
    ("NaN", '{"token": "x", "value": NaN}'),
    ("overflowing number", '{"token": "x", "value": 1e400}'),
    ("lone surrogate", '{"token": "x", "title": "\\ud800"}'),
    ("batch with stray key", '{"token": "x", "hits": [], "colour": 1}'),
]

# Hits failing both schema levels (token, type, hit id, time): refused with the
# field named; only their validation_failure record lands.
REFUSED_HITS: list[tuple[str, dict[str, Any], str]] = [
    ("bad hit id", {"hit_id": "not-a-uuid"}, "hit_id"),
    ("bad timestamp", {"client_ts": "yesterday"}, "client_ts"),
    ("year 1", {"client_ts": "0001-01-01T00:00:00+05:00"}, "client_ts"),
    ("year 9999", {"client_ts": "9999-12-31T23:59:59-05:00"}, "client_ts"),
    ("unknown type", {"type": "pageveiw"}, "type"),
    ("reserved type", {"type": "validation_failure"}, "type"),
    (
        "implausible time",
        {"client_ts": "2001-01-01T00:00Z", "sent_at": "2003-01-01T00:00Z"},
        "client_ts",
    ),
]


def test_malformed_bodies_get_400_and_nothing_lands(collector) -> None:
    # One server for all cases: each one is a separate request all the same.
    for name, body in MALFORMED_BODIES:
        error = assert_json_error(collector.post(body), 400)
        assert "JSON" in error["error"] or "batch" in error["error"], (name, error)
    hit = make_hit(collector.token, properties=json.loads('{"a":' * 40 + "1" + "}" * 40))
    assert "nested" in assert_json_error(collector.post(hit), 400)["error"]
    assert landed_files(collector.root) == []


def test_hits_failing_both_levels_are_refused_with_their_reason(collector) -> None:
    for name, fields, field in REFUSED_HITS:
        hit = make_hit(collector.token, **fields)
        error = assert_json_error(collector.post(hit), 400)
        assert error["accepted"] == 0, name
        [refusal] = error["refused"]
        assert refusal["index"] == 0 and field in refusal["reason"], (name, refusal)
        assert field in {f["field"] for f in error["fields"]}, (name, error)
    landed = landed_lines(collector.root)
    assert {h["type"] for h in landed} == {"validation_failure"}
    assert len(landed) == len(REFUSED_HITS)
    assert all(h["properties"]["level"] == "fallback" for h in landed)


def test_one_bad_hit_never_fails_the_rest_of_its_batch(collector) -> None:
    """Malformed hits of every kind the fuzzer once turned into 500s sit between
    good ones: each is judged on its own, the good ones land."""
    good = [make_hit(collector.token, visitor_id=f"v-{i}") for i in range(3)]
    bracket_host = make_hit(collector.token, url="https://[shop.example.com/p")
    year_1 = make_hit(collector.token, client_ts="0001-01-01T00:00:00+05:00")
    year_9999 = make_hit(collector.token, sent_at="9999-12-31T23:59:59-05:00")
    # The Segment API's internal event-time key, sent by a browser.
    event_at = make_hit(collector.token, _event_at="2026-01-01T00:00:00Z")
    batch = [good[0], bracket_host, year_1, "not an object", good[1], year_9999, event_at, good[2]]
    response = collector.post({"token": collector.token, "hits": batch})

    assert response.status_code == 200, response.text
    result = response.json()
    # Refused (both levels fail): the times and the non-object, each with its index.
    assert [r["index"] for r in result["refused"]] == [2, 3, 5]
    assert "client_ts" in result["refused"][0]["reason"]
    assert "sent_at" in result["refused"][2]["reason"]
    # The bad URL and the unknown key fail only the full schema: they land at the
    # fallback level, without the bad field, next to a validation_failure record.
    assert result["accepted"] == 5
    landed = {h["hit_id"]: h for h in landed_lines(collector.root)}
    for hit in good:
        assert landed[hit["hit_id"]]["schema_level"] == "full"
    assert landed[bracket_host["hit_id"]]["schema_level"] == "fallback"
    assert landed[bracket_host["hit_id"]]["url"] is None
    assert landed[event_at["hit_id"]]["schema_level"] == "fallback"
    # The key did not move the event: the server clock placed it.
    assert landed[event_at["hit_id"]]["event_at"] == landed[event_at["hit_id"]]["received_at"]
    failures = [h for h in landed.values() if h["type"] == "validation_failure"]
    reasons = sorted(h["properties"]["reason"] for h in failures)
    # Two fallbacks and three refusals: the non-object too, since the batch named the account.
    assert len(failures) == 5
    assert sorted(h["properties"]["batch_index"] for h in failures) == [1, 2, 3, 5, 6]
    assert any("_event_at" in r for r in reasons) and any("url" in r for r in reasons)
    assert year_1["hit_id"] not in landed and year_9999["hit_id"] not in landed


def test_a_batch_over_the_documented_limit_is_refused_whole(collector) -> None:
    from collector.collect import MAX_BATCH_HITS

    hits = [make_hit(collector.token) for _ in range(MAX_BATCH_HITS + 1)]
    body = assert_json_error(collector.post({"token": collector.token, "hits": hits}), 413)
    assert f"at most {MAX_BATCH_HITS} hits" in body["error"]
    assert landed_files(collector.root) == []
    # At the limit it is fine.
    response = collector.post({"token": collector.token, "hits": hits[:MAX_BATCH_HITS]})
    assert response.json()["accepted"] == MAX_BATCH_HITS


def test_a_chunked_body_lands_like_any_other(collector) -> None:
    """A body without Content-Length (chunked) is read to its end, and refused
    with 413 once it passes the size limit."""
    hit = make_hit(collector.token)
    data = json.dumps(hit).encode()
    response = requests.post(
        f"{collector.url}/collect", data=iter([data[:10], data[10:]]), headers={"Origin": SITE}
    )
    assert response.status_code == 200, response.text
    assert [h["hit_id"] for h in landed_lines(collector.root)] == [hit["hit_id"]]
    big = json.dumps(make_hit(collector.token, properties={"blob": "x" * MAX_BODY_BYTES}))
    response = requests.post(
        f"{collector.url}/collect", data=iter([big.encode()]), headers={"Origin": SITE}
    )
    assert_json_error(response, 413)
    assert len(landed_lines(collector.root)) == 1


def test_missing_fields_are_all_named(collector) -> None:
    error = assert_json_error(collector.post({"token": collector.token}), 400)
    named = {f["field"]: f["message"] for f in error["fields"]}
    assert named["hit_id"] == "is required"
    # the collector assigns a visitor id when the tag leaves it to its cookie
    assert "visitor_id" not in named


def test_hit_from_a_foreign_domain_is_forbidden(collector) -> None:
    hit = make_hit(collector.token, url="https://evil.example.org/page")
    body = assert_json_error(collector.post(hit), 403)
    assert "evil.example.org" in body["error"]
    # A look-alike that merely ends with the domain name is no subdomain.
    lookalike = make_hit(collector.token, url="https://notshop.example.com/")
    assert collector.post(lookalike).status_code == 403
    assert landed_files(collector.root) == []


def test_oversized_body_is_refused(collector) -> None:
    hit = make_hit(collector.token, properties={"blob": "x" * MAX_BODY_BYTES})
    assert_json_error(collector.post(hit), 413)
    assert landed_files(collector.root) == []


def test_cors_preflight_is_answered(collector) -> None:
    response = requests.options(
        f"{collector.url}/collect",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert "Origin" in response.headers["Vary"]
    # Errors carry the headers too, so the tag can read why a hit was refused.
    response = collector.post(b"nope", headers={"Origin": "https://shop.example.com"})
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"


def test_wrong_method_and_path_are_json(collector) -> None:
    assert_json_error(requests.get(f"{collector.url}/collect"), 405)
    assert_json_error(requests.get(f"{collector.url}/nothing-here"), 404)


def test_healthz(collector) -> None:
    response = requests.get(f"{collector.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_fails_when_the_landing_zone_is_not_writable(
    settings: Settings, data_dir: Path, serve
) -> None:
    blocker = data_dir / "a-file"
    blocker.write_text("not a directory")
    broken = settings.model_copy(update={"landing_root": str(blocker / "landing")})
    response = requests.get(f"{serve(create_app(broken))}/healthz")
    body = assert_json_error(response, 503)
    assert str(data_dir) not in body["error"]


def test_concurrent_hits_all_land_exactly_once(collector) -> None:
    hits = [make_hit(collector.token, visitor_id=f"v-{i}") for i in range(200)]

    def send(chunk: list[dict[str, Any]]) -> list[int]:
        with requests.Session() as session:
            return [
                session.post(f"{collector.url}/collect", data=json.dumps(h)).status_code
                for h in chunk
            ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [s for result in pool.map(send, [hits[i::8] for i in range(8)]) for s in result]

    assert statuses == [200] * 200
    lines = landed_lines(collector.root)
    assert sorted(h["hit_id"] for h in lines) == sorted(h["hit_id"] for h in hits)
    # The loader's view agrees: each hit once in its day's partition (a run
    # across midnight UTC spans two).
    days = {datetime.fromisoformat(h["event_at"]).date() for h in lines}
    reads = [read_partition(collector.root, "acme", d) for d in days]
    assert sum(len(r.hits) for r in reads) == 200
    assert sum(r.duplicates + r.unreadable for r in reads) == 0


def test_account_settings_are_cached_until_the_ttl(settings: Settings, make_account) -> None:
    account, _ = make_account("cached")
    now = [0.0]
    cache = AccountSettings(
        settings.resolved_control_db_url, ttl=30, negative_ttl=5, clock=lambda: now[0]
    )
    assert cache.by_token(account.tracking_token).account == account
    assert cache.by_token("tl_unknown") is None

    with session_scope(settings.resolved_control_db_url) as session:
        session.execute(delete(Account).where(Account.slug == "cached"))
    now[0] = 29.0
    assert cache.by_token(account.tracking_token).account == account  # still cached: no query
    now[0] = 31.0
    assert cache.by_token(account.tracking_token) is None  # expired: the deletion is seen


def test_the_fast_landed_line_is_a_valid_landed_hit() -> None:
    """The collector writes lines without building a LandedHit; they must still be one."""
    from touchline.contract import IncomingHit, LandedHit, land, land_record, landed_line

    incoming = IncomingHit.model_validate(
        make_hit(
            "tl_x",
            type="sale",
            order_id="o-1",
            revenue=12.5,
            currency="eur",
            items=[{"sku": "a", "price": 12.5}],
            client_ts="2026-11-20T10:00:00+01:00",
            sent_at="2026-11-20T10:00:05+01:00",
            utm_source=None,
        )
    )
    received = datetime(2026, 11, 20, 9, 0, 7, 123456, tzinfo=timezone.utc)
    common = dict(account="acme", received_at=received, ip="192.0.2.1", user_agent=CHROME,
                  is_bot=False, dnt=True, cookie_mode="third_party")  # fmt: skip
    _, record = land_record(incoming, **common)
    fast = LandedHit.model_validate_json(landed_line(record))
    assert fast == land(incoming, **common)
    assert fast.event_at == datetime(2026, 11, 20, 9, 0, 2, 123456, tzinfo=timezone.utc)
    assert json.loads(landed_line(record))["properties"]["currency"] == "EUR"
