"""Meta Marketing API insights: one row per campaign and day."""

from __future__ import annotations

import json
import logging
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
from connectors.http import json_body, paginate, request
from connectors.record import CampaignDay, money
from connectors.retry import call_with_retries

log = logging.getLogger(__name__)

# Meta reports several purchase action types for one purchase (pixel, app,
# offline, "omni"); summing them would count it several times. We take exactly
# this one.
PURCHASE_ACTION = "purchase"
RATE_LIMIT_CODES = {4, 17, 32, 613}  # plus the 80000-80014 business use case range
FIELDS = (
    "campaign_id,campaign_name,impressions,clicks,spend,actions,action_values,"
    "account_currency,date_start"
)


def usage_wait_seconds(header: str | None) -> float | None:
    """The longest ``estimated_time_to_regain_access`` (minutes) in X-Business-Use-Case-Usage."""
    if not header:
        return None
    try:
        usage = json.loads(header)
    except ValueError:
        return None
    minutes = [
        float(entry.get("estimated_time_to_regain_access") or 0)
        for entries in usage.values()
        for entry in entries
    ]
    wait = max(minutes, default=0) * 60
    return wait or None


def usage_percent(header: str | None) -> float:
    try:
        usage = json.loads(header or "{}")
    except ValueError:
        return 0.0
    return max(
        (
            float(e.get(k) or 0)
            for entries in usage.values()
            for e in entries
            for k in ("call_count", "total_cputime", "total_time")
        ),
        default=0.0,
    )


def _action(items: list[dict[str, Any]] | None) -> str | None:
    for item in items or []:
        if item.get("action_type") == PURCHASE_ACTION:
            return item.get("value")
    return None


class MetaConnector(Connector):
    """Meta has no refresh tokens: a long-lived user token (60 days) is renewed by
    exchanging it (``grant_type=fb_exchange_token``) while it is still valid, so
    a pull renews it when it is within :attr:`renew_within` of expiring, and
    once more if Meta reports it expired (code 190). System-user tokens never
    expire and are never exchanged."""

    platform = "meta"
    oauth_authorize_url = "https://www.facebook.com/v21.0/dialog/oauth"
    oauth_exchange_url = "https://graph.facebook.com/v21.0/oauth/access_token"
    oauth_scopes = ("ads_read",)
    max_window_days = 90
    default_base_url = "https://graph.facebook.com"
    api_version = "v21.0"
    renew_within = 7 * 24 * 3600

    @property
    def token_url(self) -> str:
        return self.settings.get("token_url") or (
            f"{self.base_url}/{self.api_version}/oauth/access_token"
        )

    def refresh_access_token(self) -> None:
        def once() -> dict[str, Any]:
            # POST, so the secret and the token stay out of URLs (and any log of them).
            resp = request(
                self.session,
                "POST",
                self.token_url,
                "token exchange",
                data={
                    "grant_type": "fb_exchange_token",
                    "client_id": self.secrets.get("client_id", ""),
                    "client_secret": self.secrets.get("client_secret", ""),
                    "fb_exchange_token": self.secrets.get("access_token", ""),
                },
            )
            body = json_body(resp, "token exchange")
            if resp.status_code >= 500:
                raise TransientError(f"token exchange: HTTP {resp.status_code}")
            if "error" in body or "access_token" not in body:
                code = (body.get("error") or {}).get("code")
                raise AuthError(
                    f"{self.what}: Meta refused to renew the access token (code {code}); "
                    "reconnect the account"
                )
            return body

        body = call_with_retries(f"{self.what}: token exchange", once, self.retry)
        token: dict[str, Any] = {"access_token": body["access_token"]}
        if body.get("expires_in"):
            token["expires_at"] = time.time() + float(body["expires_in"])
        self.store_token(token)

    def accessible_accounts(self) -> list[AdAccount]:
        """GET /me/adaccounts: the ad accounts of the user who signed in."""
        url = f"{self.base_url}/{self.api_version}/me/adaccounts"

        def page(after: str | None) -> tuple[list, str | None]:
            params = {"fields": "account_id,name,currency", "limit": "100"}
            if after:
                params["after"] = after

            def once() -> tuple[list, str | None]:
                resp = request(
                    self.session, "GET", url, "ad accounts", params=params, headers=self.bearer()
                )
                body = json_body(resp, "ad accounts")
                error = body.get("error") if isinstance(body, dict) else None
                if error or resp.status_code >= 400:
                    code = (error or {}).get("code")
                    raise ConnectorError(f"ad accounts: Graph API error {code or resp.status_code}")
                paging = body.get("paging") or {}
                nxt = paging.get("cursors", {}).get("after") if paging.get("next") else None
                return body.get("data") or [], nxt

            return call_with_retries("meta: ad accounts", once, self.retry)

        return [
            AdAccount(str(a["account_id"]), a.get("name") or "", a.get("currency"))
            for a in paginate(page)
        ]

    def fetch(self, start: date, end: date) -> Iterator[CampaignDay]:
        expires_at = self.secrets.get("expires_at")
        if expires_at and float(expires_at) - time.time() < self.renew_within:
            log.info("%s: access token expires soon, renewing it", self.what)
            self.refresh_access_token()
        yield from super().fetch(start, end)

    def _page(self, start: date, end: date, after: str | None) -> tuple[list, str | None]:
        url = f"{self.base_url}/{self.api_version}/act_{self.external_account_id}/insights"
        params = {
            "level": "campaign",
            "time_increment": "1",
            "time_range": json.dumps({"since": start.isoformat(), "until": end.isoformat()}),
            "fields": FIELDS,
            "limit": "500",
        }
        if after:
            params["after"] = after

        def once() -> tuple[list, str | None]:
            resp = request(
                self.session, "GET", url, "insights", params=params, headers=self.bearer()
            )
            body = json_body(resp, f"{self.what}: insights")
            error = body.get("error") if isinstance(body, dict) else None
            if error:
                code = int(error.get("code") or 0)
                message = f"Graph API error {code}: {error.get('message', '')}"
                if code == 190:
                    raise TokenExpired(message)
                if code in RATE_LIMIT_CODES or 80000 <= code <= 80014:
                    raise RateLimited(
                        message, usage_wait_seconds(resp.headers.get("X-Business-Use-Case-Usage"))
                    )
                if resp.status_code >= 500 or error.get("is_transient"):
                    raise TransientError(message)
                raise ConnectorError(message)
            if resp.status_code >= 400:
                raise (
                    TransientError(f"insights: HTTP {resp.status_code}")
                    if resp.status_code >= 500
                    else ConnectorError(f"insights: HTTP {resp.status_code}")
                )
            used = usage_percent(resp.headers.get("X-Business-Use-Case-Usage"))
            if used >= 95:
                # Slow down before Meta throttles the whole ad account.
                wait = usage_wait_seconds(resp.headers.get("X-Business-Use-Case-Usage")) or 60
                log.warning(
                    "%s: business use case usage at %.0f%%, pausing %.0f s", self.what, used, wait
                )
                self.retry.sleep(wait)
            paging = body.get("paging") or {}
            nxt = paging.get("cursors", {}).get("after") if paging.get("next") else None
            return body.get("data") or [], nxt

        return self.call("insights", once)

    def fetch_window(self, start: date, end: date) -> Iterator[CampaignDay]:
        for row in paginate(lambda cursor: self._page(start, end, cursor)):
            yield CampaignDay(
                date_day=date.fromisoformat(row["date_start"]),
                platform=self.platform,
                account_id=self.external_account_id,
                campaign_id=str(row["campaign_id"]),
                campaign_name=row.get("campaign_name") or "",
                impressions=int(row.get("impressions") or 0),
                clicks=int(row.get("clicks") or 0),
                spend=money(row.get("spend")),
                conversions=money(_action(row.get("actions"))),
                conversions_value=money(_action(row.get("action_values"))),
                currency_code=row["account_currency"],
            )


# What connectors.platforms registers under "meta".
CONNECTOR = MetaConnector
