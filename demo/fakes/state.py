"""What the fake platforms know: ad accounts, their campaigns and scenarios,
the tokens they issued, and a ledger of every row they served.

The numbers are a pure function of (platform, account, day, campaign), so a
re-pull serves the same figures, and ``served_spend`` is what a platform would
show in its own UI for the rows it actually returned.
"""

from __future__ import annotations

import base64
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
    name: str = ""


@dataclass(frozen=True)
class IssuedCode:
    """An authorisation code and what the token request must repeat (RFC 6749
    §4.1.3, RFC 7636 §4.6): the client, the redirect URI and the PKCE verifier."""

    platform: str
    reach: tuple[str, ...]  # the ad accounts the signed-in login can reach
    client_id: str | None = None
    redirect_uri: str | None = None
    code_challenge: str | None = None


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


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
        self.codes: dict[str, IssuedCode] = {}
        # A token for a login that reaches several ad accounts is owned by
        # (platform, "login:<n>"); its reach is kept here.
        self.logins: dict[tuple[str, str], tuple[str, ...]] = {}
        self.named_logins: dict[tuple[str, str], tuple[str, ...]] = {}
        # OAuth apps registered with a platform: client id -> (secret, redirect URIs).
        self.clients: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
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
        name: str | None = None,
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
                platform,
                account_id,
                currency,
                names,
                scenario,
                name=name or f"{platform.replace('_', ' ').title()} account {account_id}",
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

    def register_client(
        self, platform: str, client_id: str, client_secret: str, redirect_uris: list[str]
    ) -> None:
        """An OAuth app as the platform knows it: once one is registered, the
        platform's consent page and token endpoint accept only it."""
        with self.lock:
            self.clients[(platform, client_id)] = (client_secret, tuple(redirect_uris))

    def add_login(self, platform: str, login: str, account_ids: list[str]) -> None:
        """A person who signs in at the platform and can reach these ad accounts."""
        with self.lock:
            self.named_logins[(platform, login)] = tuple(account_ids)

    def reach_of(self, platform: str, login: str | None) -> tuple[str, ...]:
        """The ad accounts a login reaches; without one, every account of the platform."""
        if login and (platform, login) in self.named_logins:
            return self.named_logins[(platform, login)]
        return tuple(a for (p, a) in self.accounts if p == platform)

    def set_scenario(self, platform: str, account_id: str, scenario: str) -> None:
        with self.lock:
            acct = self.accounts[(platform, account_id)]
            acct.scenario, acct.fired = scenario, 0

    # --- used by the fakes --------------------------------------------------------

    def account(self, platform: str, account_id: str) -> FakeAccount | None:
        return self.accounts.get((platform, str(account_id)))

    def account_for_token(self, platform: str, token: str | None) -> FakeAccount | None:
        owner = self.issued.get(token or "") or self.initial_tokens.get(token or "")
        if owner in self.logins:  # a login's token: its first ad account
            reach = self.logins[owner]
            owner = (owner[0], reach[0]) if reach else None
        return self.accounts.get(owner) if owner and owner[0] == platform else None

    def reach_of_token(self, platform: str, token: str | None) -> tuple[str, ...]:
        """The ad accounts a bearer token may read (empty for an unknown token)."""
        owner = self.issued.get(token or "") or self.initial_tokens.get(token or "")
        if owner is None or owner[0] != platform:
            return ()
        return self.logins.get(owner, (owner[1],))

    def record(self, platform: str, account_id: str | None, what: str, status: int | str) -> None:
        with self.lock:
            self.log.append(LoggedRequest(platform, account_id, what, status))

    def token_state(self, acct: FakeAccount, token: str | None) -> str:
        """'ok', 'expired' or 'invalid' for a bearer token presented for ``acct``."""
        if not token:
            return "invalid"
        if token in self.issued:
            owner = self.issued[token]
            reach = self.logins.get(owner, (owner[1],)) if owner[0] == acct.platform else ()
            return "ok" if acct.account_id in reach else "invalid"
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

    def issue_code(
        self,
        platform: str,
        account_id: str = "",
        *,
        reach: tuple[str, ...] | None = None,
        client_id: str | None = None,
        redirect_uri: str | None = None,
        code_challenge: str | None = None,
    ) -> str:
        code = f"code-{secrets.token_hex(8)}"
        with self.lock:
            self.codes[code] = IssuedCode(
                platform,
                reach if reach is not None else (account_id,),
                client_id,
                redirect_uri,
                code_challenge,
            )
        return code

    def client_error(self, platform: str, client_id: str | None, secret: str | None) -> bool:
        """True when the platform knows OAuth apps and this is not one of them."""
        known = {c: v for (p, c), v in self.clients.items() if p == platform}
        if not known:
            return False
        return client_id not in known or (secret is not None and known[client_id][0] != secret)

    def redirect_allowed(self, platform: str, client_id: str, redirect_uri: str) -> bool:
        registered = self.clients.get((platform, client_id))
        return registered is None or redirect_uri in registered[1]

    def exchange_code(
        self,
        code: str,
        *,
        client_id: str | None = None,
        redirect_uri: str | None = None,
        code_verifier: str | None = None,
    ) -> dict[str, Any] | None:
        """Tokens for a code, once. The request must repeat the authorisation
        request's client and redirect URI, and its verifier must hash to the
        challenge (RFC 7636 §4.6); any mismatch is invalid_grant (None)."""
        with self.lock:
            issued = self.codes.pop(code, None)  # single use, even when refused
            if issued is None:
                return None
            if issued.client_id is not None and client_id != issued.client_id:
                return None
            if issued.redirect_uri is not None and redirect_uri != issued.redirect_uri:
                return None
            if issued.code_challenge is not None and (
                not code_verifier or s256(code_verifier) != issued.code_challenge
            ):
                return None
            reach = tuple(a for a in issued.reach if (issued.platform, a) in self.accounts)
            if not reach:
                return None
            if len(reach) == 1:
                owner = (issued.platform, reach[0])
            else:
                owner = (issued.platform, f"login:{secrets.token_hex(4)}")
                self.logins[owner] = reach
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
            if owner is None:
                return None
            reach = self.logins.get(owner, (owner[1],))
            if any(self.accounts[(owner[0], a)].scenario == "auth_failure" for a in reach):
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
