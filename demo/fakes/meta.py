"""Fake Meta Marketing API: GET /<version>/act_<id>/insights with cursor paging,
Graph API error objects, and the X-Business-Use-Case-Usage header."""

from __future__ import annotations

import json

from flask import Blueprint, jsonify, request

from demo.fakes.common import bearer, decode_cursor, encode_cursor, parse_day, state

PLATFORM = "meta"
bp = Blueprint("fake_meta", __name__)


def _error(code: int, message: str, status: int = 400, subcode: int | None = None, **extra):
    body = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
    if subcode is not None:
        body["error_subcode"] = subcode
    body.update(extra)
    return jsonify(error=body), status


@bp.get("/meta/<version>/act_<account_id>/insights")
def insights(version: str, account_id: str):
    st = state()
    acct = st.account(PLATFORM, account_id)
    if acct is None:
        return _error(100, "Unsupported get request.", subcode=33)
    token = st.token_state(acct, bearer() or request.args.get("access_token"))
    if token != "ok":
        st.record(PLATFORM, account_id, "insights", 400)
        if token == "expired":
            return _error(190, "Error validating access token: Session has expired.", subcode=463)
        return _error(
            190,
            "Error validating access token: The user has not authorized application.",
            subcode=458,
        )
    usage = {
        f"act_{account_id}": [
            {
                "type": "ads_insights",
                "call_count": 12,
                "total_cputime": 8,
                "total_time": 9,
                "estimated_time_to_regain_access": 0,
            }
        ]
    }
    if st.fire_once(acct, "rate_limit"):
        st.record(PLATFORM, account_id, "insights", 400)
        usage[f"act_{account_id}"][0].update(call_count=100, estimated_time_to_regain_access=1)
        resp, status = _error(
            80000,
            "There have been too many calls from this ad-account. Wait a bit and try again.",
            subcode=2446079,
            is_transient=True,
        )
        resp.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
        return resp, status
    if st.fire_once(acct, "server_error"):
        st.record(PLATFORM, account_id, "insights", 500)
        return _error(1, "An unknown error occurred", status=500, is_transient=True)
    if request.args.get("level") != "campaign" or request.args.get("time_increment") != "1":
        return _error(100, "This fake serves level=campaign&time_increment=1 only")
    time_range = json.loads(request.args["time_range"])
    rows = st.rows(acct, parse_day(time_range["since"]), parse_day(time_range["until"]))
    limit = int(request.args.get("limit", st.page_size))
    offset = decode_cursor(request.args.get("after"))
    page = rows[offset : offset + limit]
    data = []
    for day, campaign_id, name, m in page:
        st.serve(acct, day, campaign_id, m.spend, m.value)
        purchases = str(m.conversions)
        value = f"{m.value:.2f}"
        data.append(
            {
                "account_currency": acct.currency,
                "campaign_id": campaign_id,
                "campaign_name": name,
                "impressions": str(m.impressions),
                "clicks": str(m.clicks),
                "spend": f"{m.spend:.2f}",
                # the pixel's own action type is reported next to the canonical one
                "actions": [
                    {"action_type": "link_click", "value": str(m.clicks)},
                    {"action_type": "offsite_conversion.fb_pixel_purchase", "value": purchases},
                    {"action_type": "purchase", "value": purchases},
                ],
                "action_values": [
                    {"action_type": "offsite_conversion.fb_pixel_purchase", "value": value},
                    {"action_type": "purchase", "value": value},
                ],
                "date_start": day.isoformat(),
                "date_stop": day.isoformat(),
            }
        )
    paging: dict = {
        "cursors": {"before": encode_cursor(offset), "after": encode_cursor(offset + len(page))}
    }
    if offset + len(page) < len(rows):
        paging["next"] = request.base_url + "?after=" + paging["cursors"]["after"]
    st.record(PLATFORM, account_id, "insights", 200)
    resp = jsonify(data=data, paging=paging)
    resp.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
    return resp


@bp.get("/meta/<version>/me/adaccounts")
def my_ad_accounts(version: str):
    """The ad accounts of the user the token belongs to, with cursor paging."""
    st = state()
    reach = st.reach_of_token(PLATFORM, bearer() or request.args.get("access_token"))
    if not reach:
        return _error(190, "Invalid OAuth access token - Cannot parse access token")
    accounts = [st.accounts[(PLATFORM, a)] for a in reach if (PLATFORM, a) in st.accounts]
    limit = int(request.args.get("limit", st.page_size))
    offset = decode_cursor(request.args.get("after"))
    page = accounts[offset : offset + limit]
    paging = {
        "cursors": {"before": encode_cursor(offset), "after": encode_cursor(offset + len(page))}
    }
    if offset + len(page) < len(accounts):
        paging["next"] = request.base_url + "?after=" + paging["cursors"]["after"]
    st.record(PLATFORM, None, "adaccounts", 200)
    data = [
        {
            "id": f"act_{a.account_id}",
            "account_id": a.account_id,
            "name": a.name,
            "currency": a.currency,
        }
        for a in page
    ]
    return jsonify(data=data, paging=paging)


@bp.route("/meta/<version>/oauth/access_token", methods=["GET", "POST"])
def exchange_token(version: str):
    """fb_exchange_token: a still-valid long-lived token for a fresh one."""
    st = state()
    args = request.values  # the Graph API takes query or form parameters
    if args.get("grant_type") != "fb_exchange_token" or not args.get("client_secret"):
        return _error(101, "Missing client_id or client_secret parameter.")
    acct = st.account_for_token(PLATFORM, args.get("fb_exchange_token"))
    if acct is None or acct.scenario == "auth_failure":
        st.record(PLATFORM, acct.account_id if acct else None, "token", 400)
        return _error(
            190, "Error validating access token: The session has been invalidated.", subcode=460
        )
    issued = st.issue_token(acct)
    st.record(PLATFORM, acct.account_id, "token", 200)
    return jsonify(access_token=issued, token_type="bearer", expires_in=5184000)
