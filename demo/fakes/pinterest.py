"""Fake Pinterest API v5: ad account, campaigns (bookmark paging) and campaign
analytics with daily granularity; 401/429 error objects."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from demo.fakes.common import bearer, decode_cursor, encode_cursor, parse_day, state
from demo.fakes.state import RETRY_AFTER_SECONDS

PLATFORM = "pinterest"
bp = Blueprint("fake_pinterest", __name__)


def _guard(account_id: str, what: str):
    st = state()
    acct = st.account(PLATFORM, account_id)
    if acct is None:
        return None, (jsonify(code=29, message="Ad account not found."), 404)
    token = st.token_state(acct, bearer())
    if token != "ok":
        st.record(PLATFORM, account_id, what, 401)
        return None, (jsonify(code=2, message="Authentication failed."), 401)
    if st.fire_once(acct, "rate_limit"):
        st.record(PLATFORM, account_id, what, 429)
        resp = jsonify(code=8, message="You have exceeded your rate limit. Try again later.")
        resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return None, (resp, 429)
    if st.fire_once(acct, "server_error"):
        st.record(PLATFORM, account_id, what, 503)
        return None, (jsonify(code=3, message="Service unavailable"), 503)
    st.record(PLATFORM, account_id, what, 200)
    return acct, None


@bp.get("/pinterest/v5/ad_accounts")
def ad_accounts():
    """Every ad account the token's user can reach, with bookmark paging."""
    st = state()
    reach = st.reach_of_token(PLATFORM, bearer())
    if not reach:
        return jsonify(code=2, message="Authentication failed."), 401
    accounts = [st.accounts[(PLATFORM, a)] for a in reach if (PLATFORM, a) in st.accounts]
    size = min(int(request.args.get("page_size", st.page_size)), st.page_size)
    offset = decode_cursor(request.args.get("bookmark"))
    items = [
        {"id": a.account_id, "name": a.name, "currency": a.currency, "owner": {"username": "fake"}}
        for a in accounts[offset : offset + size]
    ]
    more = offset + size < len(accounts)
    st.record(PLATFORM, None, "ad_accounts", 200)
    return jsonify(items=items, bookmark=encode_cursor(offset + size) if more else None)


@bp.get("/pinterest/v5/ad_accounts/<account_id>")
def ad_account(account_id: str):
    acct, error = _guard(account_id, "ad_account")
    if error:
        return error
    return jsonify(id=account_id, name="Fake ad account", currency=acct.currency)


@bp.get("/pinterest/v5/ad_accounts/<account_id>/campaigns")
def campaigns(account_id: str):
    acct, error = _guard(account_id, "campaigns")
    if error:
        return error
    size = min(int(request.args.get("page_size", state().page_size)), state().page_size)
    offset = decode_cursor(request.args.get("bookmark"))
    items = [
        {"id": cid, "name": name, "ad_account_id": account_id, "status": "ACTIVE"}
        for cid, name in acct.campaigns[offset : offset + size]
    ]
    more = offset + size < len(acct.campaigns)
    return jsonify(items=items, bookmark=encode_cursor(offset + size) if more else None)


@bp.get("/pinterest/v5/ad_accounts/<account_id>/campaigns/analytics")
def analytics(account_id: str):
    acct, error = _guard(account_id, "analytics")
    if error:
        return error
    if request.args.get("granularity") != "DAY":
        return jsonify(code=1, message="granularity must be DAY for this fake"), 400
    start, end = parse_day(request.args["start_date"]), parse_day(request.args["end_date"])
    if (end - start).days >= 90:
        return jsonify(code=1, message="Date range cannot exceed 90 days."), 400
    wanted = set(request.args["campaign_ids"].split(","))
    if len(wanted) > 250:
        return jsonify(code=1, message="At most 250 campaign ids."), 400
    out = []
    for day, campaign_id, _, m in state().rows(acct, start, end):
        if campaign_id not in wanted:
            continue
        state().serve(acct, day, campaign_id, m.spend, m.value)
        out.append(
            {
                "CAMPAIGN_ID": campaign_id,
                "DATE": day.isoformat(),
                "SPEND_IN_MICRO_DOLLAR": m.spend_cents * 10_000,
                "IMPRESSION_1": m.impressions,
                "CLICKTHROUGH_1": m.clicks,
                "TOTAL_CONVERSIONS": m.conversions,
                "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR": m.value_cents * 10_000,
            }
        )
    return jsonify(out)
