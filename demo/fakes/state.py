"""What the fake platforms know: ad accounts, their campaigns and scenarios,
the tokens they issued, and a ledger of every row they served.

The numbers are a pure function of (platform, account, day, campaign), so a
re-pull serves the same figures, and ``served_spend`` is what a platform would
show in its own UI for the rows it actually returned.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

SCENARIOS = ("ok", "pages", "rate_limit", "expired_token", "auth_failure", "server_error")
RETRY_AFTER_SECONDS = 1


@dataclass
class FakeAccount:
    platform: str
    account_id: str
    currency: str
    campaigns: list[tuple[str, str]]
    scenario: str = "ok"
    # one-shot scenarios (rate limit, server error) fire once per account
    fired: int = 0


@dataclass(frozen=True)
class Metrics:
    impressions: int
    clicks: int
    spend_cents: int
    conversions: int
    value_cents: int

    @property
    def spend(self) -> Decimal:
        return Decimal(self.spend_cents) / 100

    @property
    def value(self) -> Decimal:
        return Decimal(self.value_cents) / 100


def metrics(platform: str, account_id: str, day: date, campaign_id: str) -> Metrics:
    digest = hashlib.sha256(f"{platform}|{account_id}|{day}|{campaign_id}".encode()).digest()
    h = int.from_bytes(digest[:8], "big")
    impressions = 500 + h % 9500
    clicks = impressions // (15 + h % 40)
    spend_cents = clicks * (25 + (h >> 8) % 180)
    conversions = clicks // (8 + (h >> 16) % 9)
    value_cents = conversions * (1500 + (h >> 24) % 9000)
    return Metrics(impressions, clicks, spend_cents, conversions, value_cents)


@dataclass
class Served:
    platform: str
    account_id: str
    day: date
    campaign_id: str
    spend: Decimal


@dataclass
class LoggedRequest:
    platform: str
    account_id: str | None
    what: str
    status: int | str
    at: float = field(default_factory=time.monotonic)


class FakeState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accounts: dict[tuple[str, str], FakeAccount] = {}
        self.refresh_tokens: dict[str, tuple[str, str]] = {}
        self.issued: dict[str, tuple[str, str]] = {}
        self.initial_tokens: dict[str, tuple[str, str]] = {}
        self.codes: dict[str, tuple[str, str]] = {}
        self.reports: dict[str, dict[str, Any]] = {}  # Microsoft's submitted reports
        self.served: dict[tuple[str, str, date, str], tuple[Decimal, Decimal]] = {}
        self.log: list[LoggedRequest] = []
        self.page_size = 3  # small, so every report spans several pages

    # --- set-up -----------------------------------------------------------------

    def add_account(
        self,
        platform: str,
        account_id: str,
        currency: str = "USD",
        campaigns: int = 4,
        scenario: str = "ok",
        campaign_names: list[str] | None = None,
    ) -> dict[str, Any]:
        """Register an ad account; returns the secrets a connection to it needs."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}")
        if campaign_names is None:
            label = platform.replace("_", " ").title()
            campaign_names = [f"{label} campaign {i}" for i in range(1, campaigns + 1)]
        names = [
            (
                str(9000 + i) if platform != "klaviyo" else f"01J{i:02d}{account_id[-4:]}".upper(),
                name,
            )
            for i, name in enumerate(campaign_names, start=1)
        ]
        with self.lock:
            self.accounts[(platform, account_id)] = FakeAccount(
                platform, account_id, currency, names, scenario
            )
            refresh = f"rt-{secrets.token_hex(8)}"
            self.refresh_tokens[refresh] = (platform, account_id)
            initial = f"at-initial-{secrets.token_hex(8)}"
            self.initial_tokens[initial] = (platform, account_id)
        return {
            "client_id": f"{platform}-client",
            "client_secret": f"cs-{secrets.token_hex(8)}",
            "refresh_token": refresh,
            "access_token": initial,
            "developer_token": f"dev-{secrets.token_hex(6)}",
        }

    def set_scenario(self, platform: str, account_id: str, scenario: str) -> None:
        with self.lock:
            acct = self.accounts[(platform, account_id)]
            acct.scenario, acct.fired = scenario, 0

    # --- used by the fakes --------------------------------------------------------

    def account(self, platform: str, account_id: str) -> FakeAccount | None:
        return self.accounts.get((platform, str(account_id)))

    def account_for_token(self, platform: str, token: str | None) -> FakeAccount | None:
        owner = self.issued.get(token or "") or self.initial_tokens.get(token or "")
        return self.accounts.get(owner) if owner and owner[0] == platform else None

    def record(self, platform: str, account_id: str | None, what: str, status: int | str) -> None:
        with self.lock:
            self.log.append(LoggedRequest(platform, account_id, what, status))

    def token_state(self, acct: FakeAccount, token: str | None) -> str:
        """'ok', 'expired' or 'invalid' for a bearer token presented for ``acct``."""
        if not token:
            return "invalid"
        if token in self.issued:
            return "ok" if self.issued[token] == (acct.platform, acct.account_id) else "invalid"
        if acct.scenario == "expired_token":
            return "expired"
        if acct.scenario == "auth_failure":
            return "invalid"
        return "ok"

    def fire_once(self, acct: FakeAccount, scenario: str) -> bool:
        """True the first time a one-shot scenario applies to this account."""
        with self.lock:
            if acct.scenario == scenario and acct.fired == 0:
                acct.fired = 1
                return True
            return False

    def issue_token(self, acct: FakeAccount) -> str:
        access = f"at-{secrets.token_hex(12)}"
        with self.lock:
            self.issued[access] = (acct.platform, acct.account_id)
        return access

    def issue_code(self, platform: str, account_id: str) -> str:
        code = f"code-{secrets.token_hex(8)}"
        with self.lock:
            self.codes[code] = (platform, account_id)
        return code

    def exchange_code(self, code: str) -> dict[str, Any] | None:
        with self.lock:
            owner = self.codes.pop(code, None)
            if owner is None or owner not in self.accounts:
                return None
            refresh = f"rt-{secrets.token_hex(8)}"
            self.refresh_tokens[refresh] = owner
            access = f"at-{secrets.token_hex(12)}"
            self.issued[access] = owner
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": 3600,
        }

    def refresh(self, refresh_token: str) -> dict[str, Any] | None:
        """A new token pair for a known refresh token, or None (invalid_grant)."""
        with self.lock:
            owner = self.refresh_tokens.get(refresh_token)
            if owner is None or self.accounts[owner].scenario == "auth_failure":
                return None
            access = f"at-{secrets.token_hex(12)}"
            rotated = f"rt-{secrets.token_hex(8)}"
            self.issued[access] = owner
            del self.refresh_tokens[refresh_token]
            self.refresh_tokens[rotated] = owner
        return {
            "access_token": access,
            "refresh_token": rotated,
            "token_type": "Bearer",
            "expires_in": 3600,
        }

    def rows(
        self, acct: FakeAccount, start: date, end: date
    ) -> list[tuple[date, str, str, Metrics]]:
        out = []
        day = start
        while day <= end:
            for campaign_id, name in acct.campaigns:
                out.append(
                    (
                        day,
                        campaign_id,
                        name,
                        metrics(acct.platform, acct.account_id, day, campaign_id),
                    )
                )
            day = date.fromordinal(day.toordinal() + 1)
        return out

    def gclids(self, acct: FakeAccount, day: date) -> list[tuple[str, str]]:
        """(gclid, campaign id) of the day's clicks the fake names: up to 3 per
        campaign (enough for matching sessions; click_view is not summed)."""
        out = []
        for campaign_id, _ in acct.campaigns:
            m = metrics(acct.platform, acct.account_id, day, campaign_id)
            for i in range(min(3, m.clicks)):
                seed = f"{acct.account_id}|{day}|{campaign_id}|{i}".encode()
                out.append(("Cj0KCQ" + hashlib.sha256(seed).hexdigest()[:26], campaign_id))
        return out

    def serve(
        self, acct: FakeAccount, day: date, campaign_id: str, spend: Decimal, value: Decimal
    ) -> None:
        with self.lock:
            self.served[(acct.platform, acct.account_id, day, campaign_id)] = (spend, value)

    # --- for tests and the demo -----------------------------------------------------

    def served_totals(
        self, platform: str, account_id: str, start: date, end: date
    ) -> tuple[Decimal, Decimal]:
        """(spend, conversion value) of every distinct campaign-day served."""
        spend = value = Decimal(0)
        for (p, a, d, _), (s, v) in self.served.items():
            if p == platform and a == account_id and start <= d <= end:
                spend, value = spend + s, value + v
        return spend, value

    def requests(self, platform: str, what: str | None = None) -> list[LoggedRequest]:
        return [r for r in self.log if r.platform == platform and (what is None or r.what == what)]
