"""Klaviyo: campaign and flow performance per day with attributed revenue.

Names come from the campaigns and flows endpoints (JSON:API, ``links.next``
cursor paging); the daily figures from metric aggregates grouped by message:
"Received Email" (impressions), "Clicked Email" (clicks) and "Placed Order"
(conversions, attributed revenue). Email costs nothing per send, so spend is 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors.base import AdAccount, Connector
from connectors.errors import ConnectorError, TokenExpired
from connectors.http import json_body, paginate, raise_for_common_status, request
from connectors.record import CampaignDay, money

REVISION = "2024-10-15"
METRIC_NAMES = {"Placed Order": "orders", "Received Email": "received", "Clicked Email": "clicked"}


class KlaviyoConnector(Connector):
    platform = "klaviyo"
    oauth_authorize_url = "https://www.klaviyo.com/oauth/authorize"
    oauth_exchange_url = "https://a.klaviyo.com/oauth/token"
    oauth_scopes = ("campaigns:read", "flows:read", "metrics:read", "accounts:read")
    max_window_days = 31
    default_base_url = "https://a.klaviyo.com"
    default_token_url = "https://a.klaviyo.com/oauth/token"
    token_client_auth = "basic"
    restatement_days = 7

    def _headers(self) -> dict[str, str]:
        if self.secrets.get("api_key"):
            auth = f"Klaviyo-API-Key {self.secrets['api_key']}"
        else:
            auth = f"Bearer {self.secrets.get('access_token', '')}"
        return {"Authorization": auth, "revision": REVISION, "Accept": "application/json"}

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            resp = request(self.session, method, url, what, headers=self._headers(), **kwargs)
            raise_for_common_status(resp, what)
            body = json_body(resp, what)
            if resp.status_code == 401:
                raise TokenExpired(f"{what}: not authenticated")
            if resp.status_code >= 400:
                errors = body.get("errors") or [{}]
                raise ConnectorError(f"{what}: {errors[0].get('code')}: {errors[0].get('detail')}")
            return body

        return self.call(what, once)

    def _list(self, path: str, what: str, params: dict[str, str] | None = None) -> list[dict]:
        def page(next_url: str | None) -> tuple[list, str | None]:
            if next_url:
                body = self._call("GET", next_url, what)
            else:
                body = self._call("GET", f"{self.base_url}{path}", what, params=params)
            return body.get("data") or [], (body.get("links") or {}).get("next")

        return list(paginate(page))

    def accessible_accounts(self) -> list[AdAccount]:
        """GET /api/accounts/: a Klaviyo token belongs to exactly one account."""
        return [
            AdAccount(
                str(a["id"]),
                ((a.get("attributes") or {}).get("contact_information") or {}).get(
                    "organization_name"
                )
                or "",
                (a.get("attributes") or {}).get("preferred_currency"),
            )
            for a in self._list("/api/accounts/", "accounts")
        ]

    def _messages(self) -> dict[str, tuple[str, str]]:
        """message id → (campaign or flow id, name)."""
        out: dict[str, tuple[str, str]] = {}
        campaigns = self._list(
            "/api/campaigns/", "campaigns", {"filter": "equals(messages.channel,'email')"}
        )
        flows = self._list("/api/flows/", "flows")
        for item, rel in [(c, "campaign-messages") for c in campaigns] + [
            (f, "flow-actions") for f in flows
        ]:
            for message in (item.get("relationships") or {}).get(rel, {}).get("data") or []:
                out[message["id"]] = (item["id"], item["attributes"].get("name") or "")
        return out

    def _aggregate(
        self, metric_id: str, start: date, end: date, by: str, measurements: list[str]
    ) -> dict[tuple[str, date], dict[str, float]]:
        body = self._call(
            "POST",
            f"{self.base_url}/api/metric-aggregates/",
            "metric aggregates",
            json={
                "data": {
                    "type": "metric-aggregate",
                    "attributes": {
                        "metric_id": metric_id,
                        "measurements": measurements,
                        "interval": "day",
                        "by": [by],
                        "timezone": self.settings.get("timezone", "UTC"),
                        "filter": [
                            f"greater-or-equal(datetime,{start.isoformat()}T00:00:00)",
                            f"less-than(datetime,{(end + timedelta(days=1)).isoformat()}T00:00:00)",
                        ],
                    },
                }
            },
        )
        attrs = body["data"]["attributes"]
        days = [datetime.fromisoformat(d).date() for d in attrs["dates"]]
        out: dict[tuple[str, date], dict[str, float]] = {}
        for series in attrs["data"]:
            message = series["dimensions"][0]
            for i, day in enumerate(days):
                out[(message, day)] = {k: v[i] for k, v in series["measurements"].items()}
        return out

    def fetch_window(self, start: date, end: date) -> Iterator[CampaignDay]:
        accounts = self._call("GET", f"{self.base_url}/api/accounts/", "account")
        currency = accounts["data"][0]["attributes"].get("preferred_currency") or "USD"
        metrics = {m["attributes"]["name"]: m["id"] for m in self._list("/api/metrics/", "metrics")}
        missing = [name for name in METRIC_NAMES if name not in metrics]
        if missing:
            raise ConnectorError(f"{self.what}: metrics {', '.join(missing)} not found")
        orders = self._aggregate(
            metrics["Placed Order"], start, end, "$attributed_message", ["count", "sum_value"]
        )
        received = self._aggregate(metrics["Received Email"], start, end, "$message", ["count"])
        clicked = self._aggregate(metrics["Clicked Email"], start, end, "$message", ["count"])
        messages = self._messages()
        totals: dict[tuple[str, date], dict[str, Decimal]] = defaultdict(
            lambda: defaultdict(Decimal)
        )
        for source, labels in (
            (orders, {"count": "orders", "sum_value": "value"}),
            (received, {"count": "received"}),
            (clicked, {"count": "clicked"}),
        ):
            for (message, day), values in source.items():
                if message not in messages:
                    continue  # a message of neither a campaign nor a flow (e.g. a test send)
                key = (messages[message][0], day)
                for field, label in labels.items():
                    totals[key][label] += money(values.get(field))
        names = {cid: name for cid, name in messages.values()}
        for (campaign_id, day), t in sorted(totals.items()):
            if not any(t.values()):
                continue
            yield CampaignDay(
                date_day=day,
                platform=self.platform,
                account_id=self.external_account_id,
                campaign_id=campaign_id,
                campaign_name=names[campaign_id],
                impressions=int(t["received"]),
                clicks=int(t["clicked"]),
                spend=Decimal(0),
                conversions=t["orders"],
                conversions_value=t["value"],
                currency_code=currency,
            )


# What connectors.platforms registers under "klaviyo".
CONNECTOR = KlaviyoConnector
