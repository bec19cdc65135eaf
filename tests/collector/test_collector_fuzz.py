"""Property-based fuzzing of /collect, /v1/batch, /i.gif and /r over real HTTP:
thousands of generated bodies, never a 5xx, and nothing refused ever lands."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from collector.app import create_app
from tests.support.collector import landed_lines
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.settings import Settings

FRESH = "<fresh-uuid>"  # replaced by a new UUID per request: ids never repeat across examples
FUZZ = hsettings(
    deadline=None,
    derandomize=True,  # the same bodies every run: a failure is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from([
        "", " ", "\x00", "\ud800", "💥", "a" * 5000, "null", "[", "]", "http://[x/",
        "https://[::1", "https://shop.example.com:99999/", "https://shop.example.com/%00",
        "javascript:alert(1)", "//evil.example.org", "https://evil.example.org\\@shop.example.com",
        "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-02-30T10:00:00Z",
        "1e400", "NaN", "-0", "2026-11-20T10:00:00+24:00", "99999999999",
    ]),
)  # fmt: skip
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), nasty_text,
)  # fmt: skip
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "type", "visitor_id", "session_id", "user_id", "url", "referrer", "title", "client_ts",
    "sent_at", "utm_source", "gclid", "consent", "simulated", "properties", "category",
    "action", "label", "value", "order_id", "revenue", "currency", "items", "key",
    "campaign", "creative", "placement", "traits", "previous_id", "colour",
    "_event_at",  # the Segment API's internal key: from a browser it is one more unknown field
]  # fmt: skip
field_value = st.one_of(
    json_value,
    st.sampled_from([
        "pageview", "event", "sale", "label", "impression", "identify", "alias", "redirect",
        "validation_failure", "granted", "denied", "EUR", "https://shop.example.com/p",
        "2026-11-20T10:00:00Z", [{"sku": "a", "price": 1, "quantity": 2}], {"plan": "pro"},
    ]),
)  # fmt: skip


@st.composite
def hits(draw, token: str) -> dict[str, Any]:
    hit = {"hit_id": draw(st.sampled_from([FRESH, FRESH, FRESH, "not-a-uuid", 7]))}
    hit["token"] = draw(st.sampled_from([token, token, token, "tl_wrong", None]))
    hit.update(draw(st.dictionaries(st.sampled_from(FIELDS), field_value, max_size=8)))
    if draw(st.booleans()):
        hit.setdefault("url", "https://shop.example.com/")
        hit.setdefault("visitor_id", "v-1")
    return {k: v for k, v in hit.items() if v is not None or k == "token"}


def _fresh(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (str(uuid.uuid4()) if v == FRESH else _fresh(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


class Ledger:
    """Which hit ids were refused, to check afterwards that none of them landed."""

    def __init__(self) -> None:
        self.refused: set[str] = set()
        self.requests = 0

    def record(self, response: requests.Response, sent: list[Any]) -> None:
        self.requests += 1
        assert response.status_code < 500, (response.status_code, response.text[:500])
        assert "Traceback" not in response.text
        ids = [h.get("hit_id") if isinstance(h, dict) else None for h in sent]
        if 200 <= response.status_code < 300 and response.headers.get(
            "Content-Type", ""
        ).startswith("application/json"):
            for refusal in response.json().get("refused", []):
                if isinstance(ids[refusal["index"]], str):
                    self.refused.add(ids[refusal["index"]])
        elif response.status_code >= 400:
            self.refused.update(i for i in ids if isinstance(i, str))

    def check(self, root: str) -> None:
        landed = {h["hit_id"] for h in landed_lines(root) if h["type"] != "validation_failure"}
        assert self.refused, "the fuzzer never produced a refused hit"
        assert landed, "the fuzzer never produced an accepted hit"
        assert not (self.refused & landed)


@pytest.fixture
def target(settings: Settings, make_account, serve):
    account, _ = make_account("acme", ("shop.example.com",))
    with session_scope(settings.resolved_control_db_url) as session:
        write_key = registry.rotate_write_key(session, "acme")
    session = requests.Session()
    yield (
        serve(create_app(settings)),
        account.tracking_token,
        write_key,
        session,
        settings.resolved_landing_root,
    )
    session.close()


def test_fuzz_collect(target) -> None:
    url, token, _, session, root = target
    ledger = Ledger()
    body_kind = st.sampled_from(["single", "batch", "junk"])
    # What a browser sends besides the body: cookies and the query's token.
    header_text = st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40
    ).map(lambda v: v.strip() or "x")  # requests sends no header value with outer spaces
    cookie = st.one_of(
        st.none(),
        header_text,
        header_text.map(lambda v: f"_tl_vid={v}; _tl_sid={v}"),
    )
    query = st.one_of(st.none(), st.just(f"token={token}"), header_text.map(quote))

    @hsettings(FUZZ, max_examples=1000)
    @given(kind=body_kind, hit_list=st.lists(hits(token), min_size=1, max_size=5),
           junk=st.one_of(st.binary(max_size=60), json_value.map(json.dumps)),
           cookie=cookie, query=query)  # fmt: skip
    def run(
        kind: str, hit_list: list[dict], junk: Any, cookie: str | None, query: str | None
    ) -> None:
        sent = _fresh(hit_list)
        if kind == "single":
            body: Any = json.dumps(sent[0])
            sent = sent[:1]
        elif kind == "batch":
            body = json.dumps({"token": token, "hits": sent})
        else:
            body, sent = junk, []
        headers = {"Origin": "https://shop.example.com"}
        if cookie is not None:
            headers["Cookie"] = cookie
        target = f"{url}/collect" + (f"?{query}" if query is not None else "")
        ledger.record(session.post(target, data=body, headers=headers), sent)

    run()
    assert ledger.requests >= 900
    ledger.check(root)


SEGMENT_TYPES = ["track", "identify", "page", "screen", "group", "alias", "nope", None, 3]


@st.composite
def segment_messages(draw) -> dict[str, Any]:
    message = {
        "type": draw(st.sampled_from(SEGMENT_TYPES)),
        "messageId": FRESH,
        "userId": draw(st.one_of(st.just("u-1"), json_scalar)),
    }
    keys = ["event", "anonymousId", "traits", "properties", "context", "timestamp",
            "originalTimestamp", "sentAt", "previousId", "groupId", "name"]  # fmt: skip
    message.update(draw(st.dictionaries(st.sampled_from(keys), field_value, max_size=6)))
    return message


def test_fuzz_segment_batch(target) -> None:
    url, _, write_key, session, root = target
    ledger = Ledger()
    auth = {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}

    @hsettings(FUZZ, max_examples=500)
    @given(batch=st.lists(segment_messages(), min_size=1, max_size=5), junk=st.booleans())
    def run(batch: list[dict], junk: bool) -> None:
        sent = _fresh(batch)
        body = json.dumps({"batch": sent, "sentAt": "2026-11-20T10:00:00Z"})
        if junk:
            body = body[: len(body) // 2]
        ledger.record(session.post(f"{url}/v1/batch", data=body, headers=auth), sent)

    run()
    landed_ids = {h["hit_id"] for h in landed_lines(root)}
    assert landed_ids  # messageIds are UUIDs: they land as hit ids
    assert not (ledger.refused & landed_ids)


def test_fuzz_pixel_and_redirect(target) -> None:
    url, token, _, session, root = target
    params = st.dictionaries(
        st.sampled_from(
            [
                "token",
                "campaign",
                "creative",
                "placement",
                "to",
                "url",
                "hit_id",
                "visitor_id",
                "utm_source",
                "gclid",
                "x",
            ]
        ),  # fmt: skip
        st.one_of(nasty_text, st.just(token), st.just("https://shop.example.com/ok")),
        max_size=6,
    )
    outcomes = {"gif": 0, "redirect": 0}

    @hsettings(FUZZ, max_examples=700)
    @given(query=params, path=st.sampled_from(["/i.gif", "/r"]))
    def run(query: dict[str, str], path: str) -> None:
        # Encoded by hand: lone surrogates go out as the invalid UTF-8 a hostile
        # client would send (requests refuses to encode them).
        encoded = "&".join(
            f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in query.items()
        )
        response = session.get(f"{url}{path}?{encoded}", allow_redirects=False)
        assert response.status_code < 500, (query, response.text[:300])
        if response.status_code == 302:
            outcomes["redirect"] += 1
            location = response.headers["Location"]
            assert location.startswith(("https://shop.example.com", "http://shop.example.com"))
        elif response.status_code == 200:
            outcomes["gif"] += 1

    run()
    assert outcomes["gif"] and outcomes["redirect"]
    for hit in landed_lines(root):
        if hit["type"] == "redirect":
            assert hit["properties"]["target"].split("/")[2].endswith("shop.example.com")
    assert Path(root).exists()
