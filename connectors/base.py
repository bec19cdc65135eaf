"""What every connector is: auth, a report window size, and ``fetch_window``.

A connector is built from one connection (the platform's account id, its
decrypted secrets and non-secret settings such as endpoint overrides) and
yields :class:`CampaignDay` rows. Everything else — windows, retries, token
refresh and saving the refreshed token — happens here, once.
"""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from ipaddress import ip_address
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2 import InvalidGrantError, OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from connectors.errors import AuthError, TransientError
from connectors.record import CampaignDay
from connectors.retry import RetryPolicy, call_with_retries
from connectors.windows import chunk_range

SaveSecrets = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class AdAccount:
    """An ad account a login can reach, as offered after the OAuth sign-in."""

    id: str
    name: str
    currency: str | None = None
    note: str | None = None  # e.g. "manager account"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_loopback(url: str) -> bool:
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def allow_http_to_loopback(url: str) -> Iterator[None]:
    """oauthlib refuses plain HTTP; the local fakes speak it on loopback only."""
    if not is_loopback(url) or os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"):
        yield
        return
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)


class Connector(ABC):
    platform: ClassVar[str]
    auth: ClassVar[Literal["oauth2", "api_key"]] = "oauth2"
    max_window_days: ClassVar[int] = 30
    default_base_url: ClassVar[str]
    default_token_url: ClassVar[str | None] = None
    # Pinterest and Klaviyo want the client credentials as HTTP Basic auth.
    token_client_auth: ClassVar[Literal["body", "basic"]] = "body"
    # Days the platform keeps restating (late conversions); the nightly re-pulls them.
    restatement_days: ClassVar[int] = 28
    # Connecting an account by OAuth (connectors.oauth): where the user signs in,
    # where the code is exchanged (not always the refresh URL), and the scopes.
    oauth_authorize_url: ClassVar[str | None] = None
    oauth_exchange_url: ClassVar[str | None] = None
    oauth_scopes: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        external_account_id: str,
        secrets: dict[str, Any],
        settings: dict[str, Any] | None = None,
        save_secrets: SaveSecrets | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.external_account_id = external_account_id
        self.secrets = dict(secrets)
        self.settings = dict(settings or {})
        self._save_secrets = save_secrets
        self.retry = retry or RetryPolicy()
        self.session = requests.Session()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.external_account_id}>"

    @property
    def base_url(self) -> str:
        return str(self.settings.get("base_url") or self.default_base_url).rstrip("/")

    @property
    def token_url(self) -> str | None:
        return self.settings.get("token_url") or self.default_token_url

    @property
    def what(self) -> str:
        return f"{self.platform} account {self.external_account_id}"

    # --- auth -------------------------------------------------------------------

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets.get('access_token', '')}"}

    def refresh_access_token(self) -> None:
        """OAuth2 refresh grant; the new token is saved (encrypted) at once, since a
        rotated refresh token is the only one that will work next time."""
        if self.auth != "oauth2":
            raise AuthError(f"{self.what}: the API key was refused")
        refresh_token = self.secrets.get("refresh_token")
        if not refresh_token or not self.token_url:
            raise AuthError(f"{self.what}: the access token expired and there is no refresh token")
        client_id = self.secrets.get("client_id", "")
        client_secret = self.secrets.get("client_secret", "")
        oauth = OAuth2Session(client_id, token={"access_token": "", "token_type": "Bearer"})
        kwargs: dict[str, Any] = {"refresh_token": refresh_token, "timeout": 30}
        if self.token_client_auth == "basic":
            kwargs["auth"] = HTTPBasicAuth(client_id, client_secret)
        else:
            kwargs.update(client_id=client_id, client_secret=client_secret)
        try:
            with allow_http_to_loopback(self.token_url):
                token = oauth.refresh_token(self.token_url, **kwargs)
        except InvalidGrantError:
            raise AuthError(
                f"{self.what}: the platform refused the refresh token (invalid_grant); "
                "reconnect the account"
            ) from None
        except OAuth2Error as exc:
            raise AuthError(f"{self.what}: token refresh failed ({exc.error})") from None
        except (requests.ConnectionError, requests.Timeout):
            raise TransientError(f"{self.what}: cannot reach the token endpoint") from None
        self.store_token(token)

    def store_token(self, token: dict[str, Any]) -> None:
        self.secrets["access_token"] = token["access_token"]
        if token.get("refresh_token"):
            self.secrets["refresh_token"] = token["refresh_token"]
        if token.get("expires_at"):
            self.secrets["expires_at"] = float(token["expires_at"])
        if self._save_secrets is not None:
            self._save_secrets(dict(self.secrets))

    def call(self, what: str, fn: Callable[[], Any]) -> Any:
        return call_with_retries(
            f"{self.what}: {what}",
            fn,
            self.retry,
            refresh=self.refresh_access_token if self.auth == "oauth2" else None,
        )

    # --- sign-in ------------------------------------------------------------------

    def accessible_accounts(self) -> list[AdAccount] | None:
        """The ad accounts this login (the connector's token) can reach, from the
        platform's own listing call; None when there is none here, and the
        account id is then typed in. Built with an empty external account id."""
        return None

    # --- reports ----------------------------------------------------------------

    def fetch(self, start: date, end: date) -> Iterator[CampaignDay]:
        """Every campaign-day from start to end (inclusive), in platform-sized windows."""
        for first, last in chunk_range(start, end, self.max_window_days):
            yield from self.fetch_window(first, last)

    @abstractmethod
    def fetch_window(self, start: date, end: date) -> Iterator[CampaignDay]:
        """Rows for start..end, a range no longer than ``max_window_days``."""
