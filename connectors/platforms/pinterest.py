"""Pinterest API v5: campaigns (bookmark paging), then daily campaign analytics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from connectors.base import AdAccount, Connector
from connectors.errors import ConnectorError, TokenExpired
from connectors.http import json_body, paginate, raise_for_common_status, request
from connectors.record import CampaignDay, micros

COLUMNS = [
    "SPEND_IN_MICRO_DOLLAR",
    "IMPRESSION_1",
    "CLICKTHROUGH_1",
    "TOTAL_CONVERSIONS",
    "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR",
]
MAX_CAMPAIGN_IDS = 250


class PinterestConnector(Connector):
    platform = "pinterest"
    oauth_authorize_url = "https://www.pinterest.com/oauth/"
    oauth_exchange_url = "https://api.pinterest.com/v5/oauth/token"
    oauth_scopes = ("ads:read",)
    max_window_days = 90
    default_base_url = "https://api.pinterest.com"
    default_token_url = "https://api.pinterest.com/v5/oauth/token"
    token_client_auth = "basic"

    def _get(self, path: str, params: dict[str, Any], what: str) -> Any:
        def once() -> Any:
            resp = request(
                self.session,
                "GET",
                f"{self.base_url}/v5{path}",
                what,
                params=params,
                headers=self.bearer(),
            )
            raise_for_common_status(resp, what)
            body = json_body(resp, what)
            if resp.status_code == 401:
                raise TokenExpired(f"{what}: {body.get('message', 'HTTP 401')}")
            if resp.status_code >= 400:
                raise ConnectorError(
                    f"{what}: Pinterest code {body.get('code')}: {body.get('message', '')}"
                )
            return body

        return self.call(what, once)

    def accessible_accounts(self) -> list[AdAccount]:
        """GET /v5/ad_accounts: every ad account the token's user can reach."""

        def page(bookmark: str | None) -> tuple[list, str | None]:
            params: dict[str, Any] = {"page_size": 100}
            if bookmark:
                params["bookmark"] = bookmark
            body = self._get("/ad_accounts", params, "ad accounts")
            return body.get("items") or [], body.get("bookmark")

        return [
            AdAccount(str(a["id"]), a.get("name") or "", a.get("currency")) for a in paginate(page)
        ]

    def fetch_window(self, start: date, end: date) -> Iterator[CampaignDay]:
        base = f"/ad_accounts/{self.external_account_id}"
        currency = self._get(base, {}, "ad account")["currency"]

        def page(bookmark: str | None) -> tuple[list, str | None]:
            params: dict[str, Any] = {"page_size": 100}
            if bookmark:
                params["bookmark"] = bookmark
            body = self._get(f"{base}/campaigns", params, "campaigns")
            return body.get("items") or [], body.get("bookmark")

        names = {str(c["id"]): c.get("name") or "" for c in paginate(page)}
        ids = sorted(names)
        for i in range(0, len(ids), MAX_CAMPAIGN_IDS):
            rows = self._get(
                f"{base}/campaigns/analytics",
                {
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "campaign_ids": ",".join(ids[i : i + MAX_CAMPAIGN_IDS]),
                    "columns": ",".join(COLUMNS),
                    "granularity": "DAY",
                },
                "campaign analytics",
            )
            for row in rows:
                campaign_id = str(row["CAMPAIGN_ID"])
                yield CampaignDay(
                    date_day=date.fromisoformat(row["DATE"]),
                    platform=self.platform,
                    account_id=self.external_account_id,
                    campaign_id=campaign_id,
                    campaign_name=names.get(campaign_id, ""),
                    impressions=int(row.get("IMPRESSION_1") or 0),
                    clicks=int(row.get("CLICKTHROUGH_1") or 0),
                    spend=micros(row.get("SPEND_IN_MICRO_DOLLAR")),
                    conversions=micros(int(row.get("TOTAL_CONVERSIONS") or 0) * 1_000_000),
                    conversions_value=micros(row.get("TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR")),
                    currency_code=currency,
                )


# What connectors.platforms registers under "pinterest".
CONNECTOR = PinterestConnector
