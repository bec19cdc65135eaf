"""Fake Microsoft Advertising Reporting v13 (REST): Submit, Poll (Pending first),
download a zipped CSV; a successful poll without a URL means no data."""

from __future__ import annotations

import csv
import io
import secrets
import zipfile

from flask import Blueprint, Response, jsonify, request

from demo.fakes.common import bearer, state
from demo.fakes.state import RETRY_AFTER_SECONDS

PLATFORM = "microsoft_ads"
bp = Blueprint("fake_microsoft_ads", __name__)
COLUMNS = [
    "TimePeriod",
    "AccountId",
    "CampaignId",
    "CampaignName",
    "Impressions",
    "Clicks",
    "Spend",
    "Conversions",
    "Revenue",
    "CurrencyCode",
]


def _fault(status: int, code: int, error_code: str, message: str):
    return jsonify(
        TrackingId=secrets.token_hex(8),
        Type="AdApiFaultDetail",
        Errors=[{"Code": code, "ErrorCode": error_code, "Message": message}],
    ), status


def _guard(account_id: str, what: str):
    st = state()
    acct = st.account(PLATFORM, account_id)
    if acct is None or not request.headers.get("DeveloperToken"):
        return None, _fault(400, 105, "InvalidCredentials", "Authentication failed.")
    token = st.token_state(acct, bearer())
    if token != "ok":
        st.record(PLATFORM, account_id, what, 401)
        if token == "expired":
            return None, _fault(
                401, 109, "AuthenticationTokenExpired", "The OAuth access token has expired."
            )
        return None, _fault(401, 105, "InvalidCredentials", "Authentication failed.")
    if st.fire_once(acct, "rate_limit"):
        st.record(PLATFORM, account_id, what, 429)
        resp, status = _fault(
            429, 117, "CallRateExceeded", "You have exceeded the number of calls."
        )
        resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return None, (resp, status)
    if st.fire_once(acct, "server_error"):
        st.record(PLATFORM, account_id, what, 500)
        return None, _fault(500, 0, "InternalError", "An internal error has occurred.")
    st.record(PLATFORM, account_id, what, 200)
    return acct, None


def _date(d: dict):
    from datetime import date

    return date(d["Year"], d["Month"], d["Day"])


@bp.post("/microsoft_ads/Reporting/v13/GenerateReport/Submit")
def submit():
    account_id = request.headers.get("CustomerAccountId", "")
    acct, error = _guard(account_id, "submit")
    if error:
        return error
    req = request.get_json()["ReportRequest"]
    if req.get("Type") != "CampaignPerformanceReportRequest" or req.get("Aggregation") != "Daily":
        return _fault(
            400, 2001, "InvalidReportRequest", "Expected a daily campaign performance report"
        )
    time_ = req["Time"]
    start, end = _date(time_["CustomDateRangeStart"]), _date(time_["CustomDateRangeEnd"])
    rid = secrets.token_hex(6)
    state().reports[rid] = {
        "acct": acct,
        "start": start,
        "end": end,
        "polls": 0,
        "columns": req["Columns"],
    }
    return jsonify(ReportRequestId=rid)


@bp.post("/microsoft_ads/Reporting/v13/GenerateReport/Poll")
def poll():
    account_id = request.headers.get("CustomerAccountId", "")
    acct, error = _guard(account_id, "poll")
    if error:
        return error
    report = state().reports.get(request.get_json()["ReportRequestId"])
    if report is None or report["acct"] is not acct:
        return _fault(400, 2004, "ReportingServiceInvalidReportId", "Unknown report id")
    report["polls"] += 1
    if report["polls"] < 2:
        return jsonify(ReportRequestStatus={"Status": "Pending", "ReportDownloadUrl": None})
    rows = state().rows(acct, report["start"], report["end"])
    if not rows or acct.campaigns == []:
        return jsonify(ReportRequestStatus={"Status": "Success", "ReportDownloadUrl": None})
    rid = request.get_json()["ReportRequestId"]
    base = request.host_url.rstrip("/")
    url = f"{base}/microsoft_ads/download/{rid}.zip?sig={secrets.token_hex(8)}"
    return jsonify(ReportRequestStatus={"Status": "Success", "ReportDownloadUrl": url})


@bp.get("/microsoft_ads/download/<rid>.zip")
def download(rid: str):
    report = state().reports.get(rid)
    if report is None:
        return Response(
            "<Error><Code>BlobNotFound</Code></Error>", status=404, mimetype="application/xml"
        )
    acct = report["acct"]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(report["columns"])
    for day, campaign_id, name, m in state().rows(acct, report["start"], report["end"]):
        state().serve(acct, day, campaign_id, m.spend, m.value)
        values = {
            "TimePeriod": day.isoformat(),
            "AccountId": acct.account_id,
            "CampaignId": campaign_id,
            "CampaignName": name,
            "Impressions": m.impressions,
            "Clicks": m.clicks,
            "Spend": f"{m.spend:.2f}",
            "Conversions": m.conversions,
            "Revenue": f"{m.value:.2f}",
            "CurrencyCode": acct.currency,
        }
        writer.writerow([values[c] for c in report["columns"]])
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as zf:
        # Microsoft's CSVs start with a byte-order mark
        zf.writestr(f"{rid}.csv", "\ufeff" + buf.getvalue())
    return Response(blob.getvalue(), mimetype="application/zip")
