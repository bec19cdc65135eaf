"""Fake Klaviyo API: JSON:API cursor paging (links.next), the ``revision``
header, metric aggregates per day and attributed message, 429 + Retry-After."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask import Blueprint, jsonify, request

from demo.fakes.common import bearer, decode_cursor, encode_cursor, state
from demo.fakes.state import RETRY_AFTER_SECONDS, FakeAccount

PLATFORM = "klaviyo"
bp = Blueprint("fake_klaviyo", __name__)
METRICS = {
    "PLACEDORDER": "Placed Order",
    "RECEIVEDEMAIL": "Received Email",
    "CLICKEDEMAIL": "Clicked Email",
}


def _errors(status: int, code: str, title: str):
    return jsonify(
        errors=[{"id": "e1", "status": status, "code": code, "title": title, "detail": title}]
    ), status


def _guard(what: str) -> tuple[FakeAccount | None, object]:
    """The account behind the token (Klaviyo tokens belong to one account), or
    an error response."""
    st = state()
    if not request.headers.get("revision"):
        return None, _errors(400, "invalid", "The revision header is required.")
    acct = st.account_for_token(PLATFORM, bearer())
    if acct is None:
        return None, _errors(401, "not_authenticated", "Incorrect authentication credentials.")
    token = st.token_state(acct, bearer())
    if token != "ok":
        st.record(PLATFORM, acct.account_id, what, 401)
        return None, _errors(
            401,
            "not_authenticated",
            "Authentication credentials were not provided or have expired.",
        )
    if st.fire_once(acct, "rate_limit"):
        st.record(PLATFORM, acct.account_id, what, 429)
        resp, status = _errors(
            429,
            "throttled",
            f"Request was throttled. Expected available in {RETRY_AFTER_SECONDS} second.",
        )
        resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return None, (resp, status)
    if st.fire_once(acct, "server_error"):
        st.record(PLATFORM, acct.account_id, what, 500)
        return None, _errors(500, "error", "A server error occurred.")
    st.record(PLATFORM, acct.account_id, what, 200)
    return acct, None


def _page(items: list, path: str):
    offset = decode_cursor(request.args.get("page[cursor]"))
    size = state().page_size
    page = items[offset : offset + size]
    nxt = None
    if offset + size < len(items):
        nxt = f"{request.host_url.rstrip('/')}{path}?page[cursor]={encode_cursor(offset + size)}"
    return jsonify(data=page, links={"self": request.url, "next": nxt, "prev": None})


def _messages(acct: FakeAccount, kind: str) -> list[tuple[str, str]]:
    # The first half are campaigns, the rest flows.
    half = (len(acct.campaigns) + 1) // 2
    return acct.campaigns[:half] if kind == "campaign" else acct.campaigns[half:]


@bp.get("/klaviyo/api/accounts/")
def accounts():
    acct, error = _guard("accounts")
    if error:
        return error
    return jsonify(
        data=[
            {
                "type": "account",
                "id": acct.account_id,
                "attributes": {"preferred_currency": acct.currency},
            }
        ],
        links={"next": None},
    )


@bp.get("/klaviyo/api/campaigns/")
def campaigns():
    acct, error = _guard("campaigns")
    if error:
        return error
    if "messages.channel" not in request.args.get("filter", ""):
        return _errors(400, "invalid", "A channel filter is required.")
    items = [
        {
            "type": "campaign",
            "id": cid,
            "attributes": {"name": name},
            "relationships": {
                "campaign-messages": {"data": [{"type": "campaign-message", "id": f"M{cid}"}]}
            },
        }
        for cid, name in _messages(acct, "campaign")
    ]
    return _page(items, "/klaviyo/api/campaigns/")


@bp.get("/klaviyo/api/flows/")
def flows():
    acct, error = _guard("flows")
    if error:
        return error
    items = [
        {
            "type": "flow",
            "id": cid,
            "attributes": {"name": name},
            "relationships": {"flow-actions": {"data": [{"type": "flow-action", "id": f"M{cid}"}]}},
        }
        for cid, name in _messages(acct, "flow")
    ]
    return _page(items, "/klaviyo/api/flows/")


@bp.get("/klaviyo/api/metrics/")
def metrics_list():
    acct, error = _guard("metrics")
    if error:
        return error
    items = [
        {"type": "metric", "id": mid, "attributes": {"name": name}} for mid, name in METRICS.items()
    ]
    return _page(items, "/klaviyo/api/metrics/")


@bp.post("/klaviyo/api/metric-aggregates/")
def metric_aggregates():
    acct, error = _guard("metric-aggregates")
    if error:
        return error
    attrs = request.get_json()["data"]["attributes"]
    if attrs.get("interval") != "day":
        return _errors(400, "invalid", "interval must be day for this fake")
    start = end = None
    for condition in attrs["filter"]:
        op, rest = condition.split("(", 1)
        value = datetime.fromisoformat(rest.rstrip(")").split(",", 1)[1]).date()
        if op == "greater-or-equal":
            start = value
        elif op == "less-than":
            end = value - timedelta(days=1)
    rows = state().rows(acct, start, end)
    dates = sorted({d for d, *_ in rows})
    metric = METRICS[attrs["metric_id"]]
    data = []
    for cid, _ in acct.campaigns:
        by_day = {d: m for d, c, _, m in rows if c == cid}
        if metric == "Placed Order":
            for d in dates:
                state().serve(acct, d, cid, Decimal(0), by_day[d].value)
            meas = {
                "count": [float(by_day[d].conversions) for d in dates],
                "sum_value": [float(by_day[d].value) for d in dates],
            }
        elif metric == "Received Email":
            meas = {"count": [float(by_day[d].impressions) for d in dates]}
        else:
            meas = {"count": [float(by_day[d].clicks) for d in dates]}
        data.append({"dimensions": [f"M{cid}"], "measurements": meas})
    return jsonify(
        data={
            "type": "metric-aggregate",
            "id": "agg",
            "attributes": {
                "dates": [
                    datetime.combine(d, datetime.min.time()).isoformat() + "+00:00" for d in dates
                ],
                "data": data,
            },
        },
        links={"self": request.url},
    )
