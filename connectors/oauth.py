"""OAuth2 authorisation-code flow for connecting an account to a platform.

1. :func:`start` builds the platform's authorisation URL with a ``state`` that
   names the Touchline account, platform and ad account, signed with the
   deployment's secret key and valid for 15 minutes.
2. The platform redirects the browser to ``/oauth/<platform>/callback`` (the
   API app), which calls :func:`complete`: the state is verified (signature,
   age, platform), the code exchanged for tokens, and the connection stored
   with its tokens encrypted.

The OAuth *app* (client id and secret, Google's developer token) belongs to
the deployment: ``TOUCHLINE_OAUTH_<PLATFORM>_CLIENT_ID``, ``..._CLIENT_SECRET``,
``..._DEVELOPER_TOKEN``; ``..._AUTHORIZE_URL`` / ``..._TOKEN_URL`` override the
platform's endpoints (the local fakes use them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from oauthlib.oauth2 import OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from connectors.base import allow_http_to_loopback
from touchline.control import connections as store
from touchline.control.db import session_scope
from touchline.settings import Settings

STATE_MAX_AGE = 15 * 60


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
    return OAuthApp(
        platform=platform,
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=env.get(prefix + "AUTHORIZE_URL", connector.oauth_authorize_url),
        token_url=env.get(prefix + "TOKEN_URL", connector.oauth_exchange_url or ""),
        scopes=list(connector.oauth_scopes),
        developer_token=env.get(prefix + "DEVELOPER_TOKEN"),
    )


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt="touchline-oauth")


def start(
    settings: Settings,
    app: OAuthApp,
    account: str,
    external_account_id: str,
    redirect_uri: str,
    connection_settings: dict[str, Any] | None = None,
) -> str:
    """The URL to open in a browser to connect ``account`` to the platform."""
    store.validate(app.platform, external_account_id)
    state = _serializer(settings).dumps(
        {
            "account": account,
            "platform": app.platform,
            "external_account_id": external_account_id,
            "settings": connection_settings or {},
            "redirect_uri": redirect_uri,
        }
    )
    if app.platform == "tiktok":
        # TikTok's consent page names the app as app_id and takes no scope.
        query = urlencode({"app_id": app.client_id, "state": state, "redirect_uri": redirect_uri})
        return f"{app.authorize_url}?{query}"
    session = OAuth2Session(app.client_id, redirect_uri=redirect_uri, scope=app.scopes, state=state)
    with allow_http_to_loopback(app.authorize_url):
        url, _ = session.authorization_url(
            app.authorize_url, access_type="offline", prompt="consent"
        )
    return url


def read_state(settings: Settings, platform: str, state: str) -> dict[str, Any]:
    try:
        data = _serializer(settings).loads(state, max_age=STATE_MAX_AGE)
    except SignatureExpired:
        raise OAuthFlowError("this authorisation link has expired; start again") from None
    except BadSignature:
        raise OAuthFlowError("the authorisation state is not valid; start again") from None
    if data.get("platform") != platform:
        raise OAuthFlowError("the authorisation state belongs to another platform")
    return data


def _exchange(app: OAuthApp, code: str, state: str, redirect_uri: str) -> dict[str, Any]:
    """RFC 6749 code exchange; Pinterest and Klaviyo want the client as HTTP Basic."""
    from connectors.platforms import CONNECTORS

    session = OAuth2Session(app.client_id, redirect_uri=redirect_uri, state=state)
    if CONNECTORS[app.platform].token_client_auth == "basic":
        kwargs: dict[str, Any] = {"auth": HTTPBasicAuth(app.client_id, app.client_secret)}
    else:
        kwargs = {"client_secret": app.client_secret, "include_client_id": True}
    try:
        with allow_http_to_loopback(app.token_url):
            return session.fetch_token(app.token_url, code=code, timeout=30, **kwargs)
    except OAuth2Error as exc:
        raise OAuthFlowError(
            f"{app.platform} refused the authorisation code ({exc.error})"
        ) from None
    except requests.RequestException:
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


def complete(settings: Settings, app: OAuthApp, state: str, code: str) -> store.ConnectionInfo:
    """Verify the state, exchange the code, store the connection (encrypted)."""
    data = read_state(settings, app.platform, state)
    if app.platform == "tiktok":
        token = _exchange_tiktok(app, code)
    else:
        token = _exchange(app, code, state, data["redirect_uri"])
    secrets = {
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "expires_at": token.get("expires_at"),
    }
    if app.developer_token:
        secrets["developer_token"] = app.developer_token
    with session_scope(settings.resolved_control_db_url) as db:
        return store.add_connection(
            db,
            settings.secret_key.get_secret_value(),
            data["account"],
            app.platform,
            data["external_account_id"],
            secrets,
            data["settings"],
            replace=True,
        )
