"""Fake TikTok Business API: report/integrated/get with page/page_size, errors
in the body with HTTP 200, at most 30 days per call."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, jsonify, redirect, request

from demo.fakes.common import parse_day, state

PLATFORM = "tiktok"
BASE_PATH = "/tiktok/open_api/v1.3"  # the connector's base URL (demo.fakes.server)
bp = Blueprint("fake_tiktok", __name__)


def _body(code: int, message: str, data: dict | None = None):
    return jsonify(code=code, message=message, request_id="2026112200000001", data=data or {})


def _guard(advertiser_id: str, what: str):
    st = state()
    acct = st.account(PLATFORM, advertiser_id)
    if acct is None:
        return None, _body(40001, "advertiser_id is invalid")
    token = st.token_state(acct, request.headers.get("Access-Token"))
    if token != "ok":
        st.record(PLATFORM, advertiser_id, what, 40105)
        return None, _body(40105, "The access token is invalid or has expired.")
    if st.fire_once(acct, "rate_limit"):
        st.record(PLATFORM, advertiser_id, what, 40100)
        return None, _body(40100, "Requests made too frequently. Please try again later.")
    if st.fire_once(acct, "server_error"):
        st.record(PLATFORM, advertiser_id, what, 50000)
        return None, _body(50000, "System error, please try again later.")
    st.record(PLATFORM, advertiser_id, what, 0)
    return acct, None


@bp.get("/tiktok/open_api/v1.3/advertiser/info/")
def advertiser_info():
    ids = json.loads(request.args["advertiser_ids"])
    acct, error = _guard(ids[0], "advertiser_info")
    if error:
        return error
    return _body(0, "OK", {"list": [{"advertiser_id": ids[0], "currency": acct.currency}]})


@bp.get("/tiktok/open_api/v1.3/report/integrated/get/")
def report():
    acct, error = _guard(request.args.get("advertiser_id", ""), "report")
    if error:
        return error
    if request.args.get("data_level") != "AUCTION_CAMPAIGN":
        return _body(40002, "data_level must be AUCTION_CAMPAIGN for this fake")
    start, end = parse_day(request.args["start_date"]), parse_day(request.args["end_date"])
    if (end - start).days >= 30:
        return _body(40002, "The time span between start_date and end_date cannot exceed 30 days.")
    rows = state().rows(acct, start, end)
    page = int(request.args.get("page", 1))
    size = int(request.args.get("page_size", state().page_size))
    chunk = rows[(page - 1) * size : page * size]
    listed = []
    for day, campaign_id, name, m in chunk:
        state().serve(acct, day, campaign_id, m.spend, m.value)
        listed.append(
            {
                "dimensions": {"campaign_id": campaign_id, "stat_time_day": f"{day} 00:00:00"},
                "metrics": {
                    "campaign_name": name,
                    "spend": f"{m.spend:.2f}",
                    "impressions": str(m.impressions),
                    "clicks": str(m.clicks),
                    "complete_payment": str(m.conversions),
                    "total_complete_payment_rate": f"{m.value:.2f}",
                },
            }
        )
    total_page = max(1, -(-len(rows) // size))
    return _body(
        0,
        "OK",
        {
            "list": listed,
            "page_info": {
                "page": page,
                "page_size": size,
                "total_number": len(rows),
                "total_page": total_page,
            },
        },
    )


@bp.post("/tiktok/open_api/v1.3/oauth2/refresh_token/")
def refresh_token():
    body = request.get_json(silent=True) or {}
    if body.get("grant_type") != "refresh_token" or not body.get("secret"):
        return _body(40002, "grant_type, app_id and secret are required")
    issued = state().refresh(body.get("refresh_token", ""))
    state().record(PLATFORM, None, "token", 0 if issued else 40105)
    if issued is None:
        return _body(40105, "The refresh token is invalid or has expired.")
    return _body(
        0,
        "OK",
        {
            "access_token": issued["access_token"],
            "refresh_token": issued["refresh_token"],
            "expires_in": issued["expires_in"],
            "refresh_token_expires_in": 31536000,
        },
    )


@bp.get("/tiktok/portal/auth")
def consent():
    """The consent page, already agreed: the advertiser picked is ``fake_account``."""
    if not request.args.get("app_id") or not request.args.get("state"):
        return _body(40002, "app_id and state are required")
    if request.args.get("fake_account"):
        reach: tuple[str, ...] = (request.args["fake_account"],)
    else:
        reach = state().reach_of(PLATFORM, request.args.get("fake_login"))
    code = state().issue_code(PLATFORM, reach=reach)
    query = urlencode({"auth_code": code, "code": code, "state": request.args["state"]})
    return redirect(f"{request.args['redirect_uri']}?{query}")


@bp.get("/tiktok/open_api/v1.3/oauth2/advertiser/get/")
def advertisers():
    """The advertisers that authorised the app, for the token in Access-Token."""
    if not request.args.get("app_id") or not request.args.get("secret"):
        return _body(40002, "app_id and secret are required")
    st = state()
    reach = st.reach_of_token(PLATFORM, request.headers.get("Access-Token"))
    if not reach:
        return _body(40105, "The access token is invalid or has expired.")
    st.record(PLATFORM, None, "advertisers", 0)
    listed = [
        {"advertiser_id": a, "advertiser_name": st.accounts[(PLATFORM, a)].name}
        for a in reach
        if (PLATFORM, a) in st.accounts
    ]
    return _body(0, "OK", {"list": listed})


@bp.post("/tiktok/open_api/v1.3/oauth2/access_token/")
def access_token():
    body = request.get_json(silent=True) or {}
    if not body.get("app_id") or not body.get("secret"):
        return _body(40002, "app_id and secret are required")
    issued = state().exchange_code(body.get("auth_code", ""))
    if issued is None:
        return _body(40110, "The auth_code is invalid or has been used.")
    return _body(
        0,
        "OK",
        {
            "access_token": issued["access_token"],
            "refresh_token": issued["refresh_token"],
            "advertiser_ids": [],
            "scope": [4],
        },
    )
