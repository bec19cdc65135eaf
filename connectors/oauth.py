"""OAuth2 authorisation-code flow (RFC 6749, with PKCE, RFC 7636) for
connecting an account to an ad platform.

1. :func:`begin` stores a flow (``touchline.control.oauth_flows``: the state's
   hash, the sealed PKCE verifier, who started it, 15 minutes) and builds the
   platform's authorisation URL with ``state`` and the S256
   ``code_challenge``.
2. The platform redirects the browser to ``/oauth/<platform>/callback`` (the
   API app), which calls :func:`complete`: the state is spent (forged,
   replayed, expired or another platform's states are refused), the caller
   checked against the flow's starter, and the code exchanged together with
   the verifier. If the ad account was named up front (the CLI), the
   connection is stored at once; otherwise the tokens wait, sealed, in the
   flow with the ad accounts the new token can reach, listed from the
   platform's API, until :func:`choose` stores the connection.

The OAuth *app* (client id and secret, Google's developer token) belongs to
the deployment: ``TOUCHLINE_OAUTH_<PLATFORM>_CLIENT_ID``, ``..._CLIENT_SECRET``,
``..._DEVELOPER_TOKEN``; ``..._AUTHORIZE_URL`` / ``..._TOKEN_URL`` override the
platform's sign-in endpoints, ``..._API_URL`` its API (``endpoint`` for
Google Ads, ``base_url`` otherwise) and ``..._REFRESH_URL`` its refresh
endpoint, all for connections made through the flow (the local fakes use
them). TikTok's consent page takes no PKCE: its flow rests on the state alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import requests
from oauthlib.oauth2 import OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from connectors.base import AdAccount, allow_http_to_loopback
from connectors.errors import ConnectorError
from touchline.control import connections as store
from touchline.control import oauth_flows as flows
from touchline.control.db import session_scope
from touchline.settings import Settings

STATE_MAX_AGE = int(flows.STATE_TTL.total_seconds())
NO_PKCE = frozenset({"tiktok"})  # its consent page has no code_challenge


class OAuthFlowError(ValueError):
    """The flow cannot go on; the message is safe to show to the user."""


@dataclass(frozen=True)
class OAuthApp:
    platform: str
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    scopes: list[str]
    developer_token: str | None = field(default=None, repr=False)
    # Non-secret settings every connection made through the flow gets.
    connection_settings: dict[str, str] = field(default_factory=dict)


def oauth_app(platform: str, environ: dict[str, str] | None = None) -> OAuthApp:
    env = os.environ if environ is None else environ
    # The connectors' client libraries load only when a flow starts.
    from connectors.platforms import CONNECTORS

    connector = CONNECTORS.get(platform)
    if connector is None or connector.oauth_authorize_url is None:
        raise OAuthFlowError(f"unknown platform {platform!r}")
    prefix = f"TOUCHLINE_OAUTH_{platform.upper()}_"
    client_id = env.get(prefix + "CLIENT_ID")
    client_secret = env.get(prefix + "CLIENT_SECRET")
    if not client_id or not client_secret:
        raise OAuthFlowError(
            f"no OAuth app configured for {platform}: set {prefix}CLIENT_ID and "
            f"{prefix}CLIENT_SECRET"
        )
    extra: dict[str, str] = {}
    if env.get(prefix + "API_URL"):
        extra["endpoint" if platform == "google_ads" else "base_url"] = env[prefix + "API_URL"]
    if env.get(prefix + "REFRESH_URL"):
        extra["token_url"] = env[prefix + "REFRESH_URL"]
    return OAuthApp(
        platform=platform,
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=env.get(prefix + "AUTHORIZE_URL", connector.oauth_authorize_url),
        token_url=env.get(prefix + "TOKEN_URL", connector.oauth_exchange_url or ""),
        scopes=list(connector.oauth_scopes),
        developer_token=env.get(prefix + "DEVELOPER_TOKEN"),
        connection_settings=extra,
    )


@dataclass(frozen=True)
class Authorization:
    """Where to send the browser, and the flow that waits for it to come back."""

    url: str
    flow_id: str
    expires_at: datetime


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def begin(
    settings: Settings,
    app: OAuthApp,
    account: str,
    redirect_uri: str,
    *,
    started_by: str,
    user_id: int | None = None,
    external_account_id: str | None = None,
    connection_settings: dict[str, Any] | None = None,
) -> Authorization:
    """Store a new flow and build the platform's authorisation URL for it."""
    if external_account_id is not None:
        store.validate(app.platform, external_account_id)
    with session_scope(settings.resolved_control_db_url) as db:
        try:
            new = flows.start_flow(
                db,
                _secret(settings),
                account_slug=account,
                platform=app.platform,
                redirect_uri=redirect_uri,
                started_by=started_by,
                user_id=user_id,
                external_account_id=external_account_id,
                settings={**app.connection_settings, **(connection_settings or {})},
            )
        except store.ConnectionsError as exc:
            raise OAuthFlowError(str(exc)) from None
    if app.platform == "tiktok":
        # TikTok's consent page names the app as app_id and takes no scope.
        query = urlencode(
            {"app_id": app.client_id, "state": new.state, "redirect_uri": redirect_uri}
        )
        return Authorization(f"{app.authorize_url}?{query}", new.id, new.expires_at)
    session = OAuth2Session(
        app.client_id, redirect_uri=redirect_uri, scope=app.scopes, state=new.state
    )
    with allow_http_to_loopback(app.authorize_url):
        url, _ = session.authorization_url(
            app.authorize_url,
            access_type="offline",  # Google: a refresh token too
            prompt="consent",
            code_challenge=new.code_challenge,
            code_challenge_method="S256",
        )
    return Authorization(url, new.id, new.expires_at)


def start(
    settings: Settings,
    app: OAuthApp,
    account: str,
    external_account_id: str,
    redirect_uri: str,
    connection_settings: dict[str, Any] | None = None,
) -> str:
    """The command line's flow: the ad account is named up front, so the
    callback stores the connection at once. Returns the URL to open."""
    return begin(
        settings,
        app,
        account,
        redirect_uri,
        started_by="command line",
        external_account_id=external_account_id,
        connection_settings=connection_settings,
    ).url


def _exchange(app: OAuthApp, code: str, flow: flows.ClaimedFlow) -> dict[str, Any]:
    """RFC 6749 §4.1.3 code exchange with the PKCE verifier; Pinterest and
    Klaviyo want the client as HTTP Basic."""
    from connectors.platforms import CONNECTORS

    session = OAuth2Session(app.client_id, redirect_uri=flow.redirect_uri)
    if CONNECTORS[app.platform].token_client_auth == "basic":
        kwargs: dict[str, Any] = {"auth": HTTPBasicAuth(app.client_id, app.client_secret)}
    else:
        kwargs = {"client_secret": app.client_secret, "include_client_id": True}
    try:
        with allow_http_to_loopback(app.token_url):
            return session.fetch_token(
                app.token_url, code=code, code_verifier=flow.code_verifier, timeout=30, **kwargs
            )
    except OAuth2Error as exc:
        raise OAuthFlowError(
            f"{app.platform} refused the authorisation code ({exc.error})"
        ) from None
    except (requests.RequestException, ValueError):
        raise OAuthFlowError(f"cannot reach {app.platform}'s token endpoint; try again") from None


def _exchange_tiktok(app: OAuthApp, code: str) -> dict[str, Any]:
    """TikTok: POST JSON {app_id, secret, auth_code}; the token comes inside ``data``."""
    try:
        resp = requests.post(
            app.token_url,
            json={"app_id": app.client_id, "secret": app.client_secret, "auth_code": code},
            timeout=30,
        )
        body = resp.json()
    except (requests.RequestException, ValueError):
        raise OAuthFlowError("cannot reach tiktok's token endpoint; try again") from None
    if int(body.get("code", -1)) != 0:
        raise OAuthFlowError(f"tiktok refused the authorisation code (code {body.get('code')})")
    return body["data"]


def _secrets(app: OAuthApp, token: dict[str, Any]) -> dict[str, Any]:
    secrets = {
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "expires_at": token.get("expires_at"),
    }
    if app.developer_token:
        secrets["developer_token"] = app.developer_token
    return secrets


def list_ad_accounts(
    platform: str, secrets: dict[str, Any], settings: dict[str, Any]
) -> list[AdAccount] | None:
    """The ad accounts a login can reach, from the platform's own API; None when
    the platform (or this connector) cannot list them: the id is then typed in."""
    from connectors.platforms import CONNECTORS

    return CONNECTORS[platform]("", secrets, settings).accessible_accounts()


@dataclass(frozen=True)
class Completed:
    """What the callback achieved: a connection, or a choice to make."""

    account: str
    platform: str
    connection: store.ConnectionInfo | None = None
    pending_id: str | None = None
    choices: list[AdAccount] | None = None
    listing_error: str | None = None


Authorise = Callable[[flows.ClaimedFlow], None]


def complete(
    settings: Settings,
    app: OAuthApp,
    state: str,
    code: str,
    authorise: Authorise | None = None,
) -> Completed:
    """Spend the state, check the caller (``authorise`` raises OAuthFlowError),
    exchange the code with the PKCE verifier, then store the connection or
    hold the tokens for the choice of ad account."""
    url = settings.resolved_control_db_url
    with session_scope(url) as db:
        try:
            claimed = flows.claim_state(db, _secret(settings), app.platform, state)
        except (flows.FlowError, store.ConnectionsError) as exc:
            raise OAuthFlowError(str(exc)) from None
    # The state is spent (committed) before anything else: a failure below
    # means starting again, never a second use.
    if authorise is not None:
        authorise(claimed)
    token = (
        _exchange_tiktok(app, code) if app.platform == "tiktok" else _exchange(app, code, claimed)
    )
    secrets = _secrets(app, token)
    if claimed.external_account_id is not None:
        with session_scope(url) as db:
            info = store.add_connection(
                db,
                _secret(settings),
                claimed.account,
                app.platform,
                claimed.external_account_id,
                secrets,
                claimed.settings,
                replace=True,
            )
            flows.finish_flow(db, claimed.id)
        return Completed(claimed.account, app.platform, connection=info)
    choices: list[AdAccount] | None = None
    listing_error = None
    try:
        choices = list_ad_accounts(app.platform, secrets, claimed.settings)
    except ConnectorError as exc:
        # The tokens are good; the id can still be typed in.
        listing_error = store.first_line(str(exc), secrets)
    with session_scope(url) as db:
        flows.hold_tokens(
            db,
            _secret(settings),
            claimed.id,
            secrets,
            None if choices is None else [c.as_dict() for c in choices],
        )
    return Completed(
        claimed.account,
        app.platform,
        pending_id=claimed.id,
        choices=choices,
        listing_error=listing_error,
    )


def choose(
    db: Any,
    settings: Settings,
    pending: flows.PendingFlow,
    external_account_id: str,
    extra_settings: dict[str, Any] | None = None,
) -> store.ConnectionInfo:
    """Store the connection to the chosen ad account, in the caller's transaction
    (with its audit entry), and forget the flow."""
    store.validate(pending.platform, external_account_id)
    if pending.choices is not None:
        offered = {c["id"]: c for c in pending.choices}
        if external_account_id not in offered:
            raise OAuthFlowError(
                f"{external_account_id!r} is not among the ad accounts this login can reach: "
                f"{', '.join(offered) or 'none'}"
            )
        chosen = offered[external_account_id]
        if chosen.get("login_customer_id"):
            # Google Ads: a client reached through a manager is queried through it.
            extra_settings = {
                "login_customer_id": chosen["login_customer_id"],
                **(extra_settings or {}),
            }
    info = store.add_connection(
        db,
        _secret(settings),
        pending.account,
        pending.platform,
        external_account_id,
        pending.secrets,
        {**pending.settings, **(extra_settings or {})},
        replace=True,
    )
    flows.finish_flow(db, pending.id)
    return info
