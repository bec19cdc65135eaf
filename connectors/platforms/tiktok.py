"""TikTok Business API: report/integrated/get, daily campaign rows, 30 days a call.
TikTok answers errors with HTTP 200 and a non-zero ``code`` in the body."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

from connectors.base import AdAccount, Connector
from connectors.errors import (
    AuthError,
    ConnectorError,
    RateLimited,
    TokenExpired,
    TransientError,
)
from connectors.http import json_body, paginate, raise_for_common_status, request
from connectors.record import CampaignDay, money
from connectors.retry import call_with_retries

AUTH_CODES = {40104, 40105, 40102}
RATE_CODES = {40100, 40133}
METRICS = [
    "campaign_name",
    "spend",
    "impressions",
    "clicks",
    "complete_payment",
    "total_complete_payment_rate",
]


class TikTokConnector(Connector):
    platform = "tiktok"
    # TikTok sends the browser back with auth_code, not code.
    oauth_authorize_url = "https://business-api.tiktok.com/portal/auth"
    oauth_exchange_url = "https://business-api.tiktok.com/open_api/v1.3/oauth2/access_token/"
    oauth_scopes = ()
    max_window_days = 30
    default_base_url = "https://business-api.tiktok.com/open_api/v1.3"
    default_token_url = "https://business-api.tiktok.com/open_api/v1.3/oauth2/refresh_token/"

    def _get(self, path: str, params: dict[str, Any], what: str) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            resp = request(
                self.session,
                "GET",
                f"{self.base_url}{path}",
                what,
                params=params,
                headers={"Access-Token": self.secrets.get("access_token", "")},
            )
            raise_for_common_status(resp, what)
            body = json_body(resp, what)
            code = int(body.get("code", -1))
            message = f"{what}: TikTok code {code}: {body.get('message', '')}"
            if code == 0:
                return body.get("data") or {}
            if code in AUTH_CODES:
                raise TokenExpired(message)
            if code in RATE_CODES:
                raise RateLimited(message)  # TikTok says not for how long: back off
            if code >= 50000:
                raise TransientError(message)
            raise ConnectorError(message)

        return self.call(what, once)

    def accessible_accounts(self) -> list[AdAccount]:
        """GET oauth2/advertiser/get/: the advertisers that authorised the app."""
        data = self._get(
            "/oauth2/advertiser/get/",
            {
                "app_id": self.secrets.get("client_id", ""),
                "secret": self.secrets.get("client_secret", ""),
            },
            "advertisers",
        )
        return [
            AdAccount(str(a["advertiser_id"]), a.get("advertiser_name") or "")
            for a in data.get("list") or []
        ]

    def refresh_access_token(self) -> None:
        """TikTok's own refresh call: JSON in, the new token pair inside ``data``."""

        def once() -> dict[str, Any]:
            resp = request(
                self.session,
                "POST",
                str(self.token_url),
                "token refresh",
                json={
                    "app_id": self.secrets.get("client_id", ""),
                    "secret": self.secrets.get("client_secret", ""),
                    "grant_type": "refresh_token",
                    "refresh_token": self.secrets.get("refresh_token", ""),
                },
            )
            raise_for_common_status(resp, "token refresh")
            body = json_body(resp, "token refresh")
            if int(body.get("code", -1)) != 0:
                raise AuthError(
                    f"{self.what}: TikTok refused the refresh token (code {body.get('code')}); "
                    "reconnect the account"
                )
            return body["data"]

        data = call_with_retries(f"{self.what}: token refresh", once, self.retry)
        token: dict[str, Any] = {
            "access_token": data["access_token"],
            "refresh_token": data.get("refresh_token"),
        }
        if data.get("expires_in"):
            token["expires_at"] = time.time() + float(data["expires_in"])
        self.store_token(token)

    def currency(self) -> str:
        data = self._get(
            "/advertiser/info/",
            {
                "advertiser_ids": json.dumps([self.external_account_id]),
                "fields": json.dumps(["currency"]),
            },
            "advertiser info",
        )
        return data["list"][0]["currency"]

    def fetch_window(self, start: date, end: date) -> Iterator[CampaignDay]:
        currency = self.currency()

        def page(number: int | None) -> tuple[list, int | None]:
            number = number or 1
            data = self._get(
                "/report/integrated/get/",
                {
                    "advertiser_id": self.external_account_id,
                    "report_type": "BASIC",
                    "data_level": "AUCTION_CAMPAIGN",
                    "dimensions": json.dumps(["campaign_id", "stat_time_day"]),
                    "metrics": json.dumps(METRICS),
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "page": number,
                    "page_size": 1000,
                },
                f"report page {number}",
            )
            info = data.get("page_info") or {}
            more = number < int(info.get("total_page") or 1)
            return data.get("list") or [], number + 1 if more else None

        for row in paginate(page):
            dims, m = row["dimensions"], row["metrics"]
            yield CampaignDay(
                date_day=date.fromisoformat(dims["stat_time_day"][:10]),
                platform=self.platform,
                account_id=self.external_account_id,
                campaign_id=str(dims["campaign_id"]),
                campaign_name=m.get("campaign_name") or "",
                impressions=int(m.get("impressions") or 0),
                clicks=int(m.get("clicks") or 0),
                spend=money(m.get("spend")),
                conversions=money(m.get("complete_payment")),
                conversions_value=money(m.get("total_complete_payment_rate")),
                currency_code=currency,
            )


# What connectors.platforms registers under "tiktok".
CONNECTOR = TikTokConnector
