"""Microsoft Advertising Reporting v13 (REST): submit a daily campaign
performance report, poll until it is ready, download and unzip the CSV."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterator
from datetime import date
from typing import Any

from connectors.base import Connector
from connectors.errors import ConnectorError, RateLimited, TokenExpired, TransientError
from connectors.http import json_body, raise_for_common_status, request, retry_after_seconds
from connectors.record import CampaignDay, money

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
AUTH_CODES = {105, 106, 109}  # invalid credentials, user not authorised, token expired
RATE_CODES = {117}  # CallRateExceeded


def _day(d: date) -> dict[str, int]:
    return {"Day": d.day, "Month": d.month, "Year": d.year}


class MicrosoftAdsConnector(Connector):
    platform = "microsoft_ads"
    oauth_authorize_url = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    oauth_exchange_url = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
    oauth_scopes = ("https://ads.microsoft.com/msads.manage", "offline_access")
    max_window_days = 31
    default_base_url = "https://reporting.api.bingads.microsoft.com"
    default_token_url = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
    poll_interval = 1.0
    poll_timeout = 900.0

    def _headers(self) -> dict[str, str]:
        return {
            **self.bearer(),
            "DeveloperToken": self.secrets.get("developer_token", ""),
            "CustomerId": str(self.settings.get("customer_id", "")),
            "CustomerAccountId": self.external_account_id,
        }

    def _post(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/Reporting/v13/GenerateReport/{op}"

        def once() -> dict[str, Any]:
            resp = request(self.session, "POST", url, op, json=body, headers=self._headers())
            data = json_body(resp, op) if resp.content else {}
            errors = data.get("Errors") or [] if isinstance(data, dict) else []
            codes = {int(e.get("Code") or 0) for e in errors}
            message = "; ".join(f"{e.get('ErrorCode')} ({e.get('Code')})" for e in errors)
            if codes & RATE_CODES or resp.status_code == 429:
                raise RateLimited(
                    f"{op}: {message or 'HTTP 429'}",
                    retry_after_seconds(resp.headers.get("Retry-After")),
                )
            if codes & AUTH_CODES or resp.status_code == 401:
                raise TokenExpired(f"{op}: {message or 'HTTP 401'}")
            raise_for_common_status(resp, op)
            if resp.status_code >= 400:
                raise ConnectorError(f"{op}: {message or f'HTTP {resp.status_code}'}")
            return data

        return self.call(op, once)

    def _download(self, url: str) -> str:
        def once() -> bytes:
            # The URL is pre-signed: no bearer token, and never logged.
            resp = request(self.session, "GET", url, "report download")
            raise_for_common_status(resp, "report download")
            if resp.status_code >= 400:
                raise ConnectorError(f"report download: HTTP {resp.status_code}")
            return resp.content

        blob = self.call("report download", once)
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            name = next(n for n in zf.namelist() if n.lower().endswith(".csv"))
            return zf.read(name).decode("utf-8-sig")

    def fetch_window(self, start: date, end: date) -> Iterator[CampaignDay]:
        if not self.external_account_id.isdigit():
            raise ConnectorError(f"{self.what}: a Microsoft Advertising account id is a number")
        if not str(self.settings.get("customer_id", "")).isdigit():
            raise ConnectorError(
                f"{self.what}: the connection needs the manager's customer id "
                "(touchline connections add ... --setting customer_id=123456)"
            )
        submitted = self._post(
            "Submit",
            {
                "ReportRequest": {
                    "Type": "CampaignPerformanceReportRequest",
                    "ReportName": "touchline campaign daily",
                    "Format": "Csv",
                    "FormatVersion": "2.0",
                    "ExcludeColumnHeaders": False,
                    "ExcludeReportHeader": True,
                    "ExcludeReportFooter": True,
                    "ReturnOnlyCompleteData": False,
                    "Aggregation": "Daily",
                    "Columns": COLUMNS,
                    "Scope": {"AccountIds": [int(self.external_account_id)]},
                    "Time": {
                        "CustomDateRangeStart": _day(start),
                        "CustomDateRangeEnd": _day(end),
                        "ReportTimeZone": self.settings.get(
                            "report_time_zone", "GreenwichMeanTimeDublinEdinburghLisbonLondon"
                        ),
                    },
                }
            },
        )
        report_id = submitted["ReportRequestId"]
        deadline = time.monotonic() + self.poll_timeout
        while True:
            status = self._post("Poll", {"ReportRequestId": report_id})["ReportRequestStatus"]
            if status["Status"] == "Success":
                break
            if status["Status"] == "Error":
                raise ConnectorError(f"{self.what}: the report failed on Microsoft's side")
            if time.monotonic() > deadline:
                raise TransientError(f"{self.what}: the report was not ready in time")
            self.retry.sleep(self.poll_interval)
        url = status.get("ReportDownloadUrl")
        if not url:
            return  # success without a file: no data for the range
        for row in csv.DictReader(io.StringIO(self._download(url))):
            if not row.get("TimePeriod"):
                continue
            yield CampaignDay(
                date_day=date.fromisoformat(row["TimePeriod"][:10]),
                platform=self.platform,
                account_id=self.external_account_id,
                campaign_id=str(row["CampaignId"]),
                campaign_name=row.get("CampaignName") or "",
                impressions=int(row.get("Impressions") or 0),
                clicks=int(row.get("Clicks") or 0),
                spend=money(row.get("Spend")),
                conversions=money(row.get("Conversions")),
                conversions_value=money(row.get("Revenue")),
                currency_code=row["CurrencyCode"],
            )


# What connectors.platforms registers under "microsoft_ads".
CONNECTOR = MicrosoftAdsConnector
