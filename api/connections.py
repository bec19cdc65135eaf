"""An account's ad-platform connections through the API.

* ``GET .../connections``: each connection with its platform, ad account, last
  pull and last error (first line); never a token.
* ``POST .../connections/<platform>/authorize``: starts the OAuth2 flow
  (``connectors.oauth.begin``: state + PKCE, bound to the caller) and returns
  the platform's authorisation URL for the browser.
* The platform sends the browser to ``/oauth/<platform>/callback``
  (``api.oauth``), which holds the tokens in a pending flow with the ad
  accounts the login can reach; ``GET .../connections/pending/<id>`` lists
  them and ``POST`` the same URL with ``{external_account_id}`` stores the
  connection (tokens encrypted).
* ``DELETE .../connections/<id>`` removes one.

Editors and admins change; viewers read the list. Every change is audited.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, url_for

from api.access import Role, account_for, principal, record
from api.settings import app_settings, check_fields, control, json_object
from touchline.control import connections as store
from touchline.control import oauth_flows as flows
from touchline.platforms import PLATFORMS
from touchline.web_errors import JsonError

bp = Blueprint("connections", __name__, url_prefix="/api/v1/accounts/<slug>/connections")


def register(app: Flask) -> None:
    app.register_blueprint(bp)


def api_settings(app: Flask):  # the callback's way to the deployment's settings
    return app_settings(app)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def status_json(conn: store.ConnectionStatus) -> dict[str, Any]:
    if conn.last_pull_at is None:
        health = "never_pulled"
    elif conn.last_error_at is not None and (
        conn.last_success_at is None or conn.last_error_at > conn.last_success_at
    ):
        health = "failing"
    else:
        health = "ok"
    return {
        "id": conn.id,
        "platform": conn.platform,
        "external_account_id": conn.external_account_id,
        "status": health,
        "created_at": _time(conn.created_at),
        "updated_at": _time(conn.updated_at),
        "last_pull_at": _time(conn.last_pull_at),
        "last_success_at": _time(conn.last_success_at),
        "last_error": conn.last_error,
        "last_error_at": _time(conn.last_error_at),
    }


def _oauth_configured(platform: str) -> bool:
    from connectors import oauth

    try:
        oauth.oauth_app(platform)
    except oauth.OAuthFlowError:
        return False
    return True


@bp.get("")
def list_connections(slug: str) -> Response:
    account = account_for(slug, Role.VIEWER)
    with control() as session:
        found = store.connection_statuses(session, account.slug)
    return jsonify(
        connections=[status_json(c) for c in found],
        platforms=[{"name": p, "oauth_configured": _oauth_configured(p)} for p in PLATFORMS],
    )


@bp.delete("/<int:connection_id>")
def remove_connection(slug: str, connection_id: int) -> tuple[str, int]:
    account = account_for(slug, Role.EDITOR)
    with control() as session:
        try:
            gone = store.connection_status(session, account.slug, connection_id)
        except store.ConnectionsError:
            raise JsonError(404, f"{account.slug} has no connection {connection_id}") from None
        store.remove_connection_by_id(session, account.slug, connection_id)
        record(
            session,
            account.slug,
            "connection.remove",
            gone.label,
            {"platform": gone.platform, "external_account_id": gone.external_account_id},
            None,
        )
    return "", 204


def _redirect_uri(platform: str) -> str:
    """The callback URL as registered with the platform's OAuth app: configured
    (``TOUCHLINE_OAUTH_<PLATFORM>_REDIRECT_URI``, e.g. behind a proxy) or ours."""
    configured = os.environ.get(f"TOUCHLINE_OAUTH_{platform.upper()}_REDIRECT_URI")
    return configured or url_for("oauth.callback", platform=platform, _external=True)


@bp.post("/<platform>/authorize")
def authorize(slug: str, platform: str) -> tuple[Response, int]:
    from connectors import oauth

    account = account_for(slug, Role.EDITOR)
    if platform not in PLATFORMS:
        raise JsonError(404, f"unknown platform {platform!r}; choose one of {', '.join(PLATFORMS)}")
    who = principal()
    try:
        app = oauth.oauth_app(platform)
        started = oauth.begin(
            app_settings(),
            app,
            account.slug,
            _redirect_uri(platform),
            started_by=who.label,
            user_id=who.id if who.kind == "user" else None,
        )
    except oauth.OAuthFlowError as exc:
        raise JsonError(400, str(exc)) from None
    return jsonify(
        authorization_url=started.url,
        pending_id=started.flow_id,
        expires_at=_time(started.expires_at),
    ), 201


def _pending(slug: str, flow_id: str) -> tuple[str, flows.PendingFlow]:
    """The caller's own pending flow on this account; anyone else's is not found."""
    account = account_for(slug, Role.EDITOR)
    with control() as session:
        try:
            pending = flows.pending_flow(
                session, app_settings().secret_key.get_secret_value(), account.slug, flow_id
            )
        except (flows.FlowError, store.ConnectionsError):
            pending = None
    who = principal()
    if pending is None or pending.user_id != (who.id if who.kind == "user" else None):
        raise JsonError(404, f"no pending connection {flow_id!r}; start again")
    return account.slug, pending


@bp.get("/pending/<flow_id>")
def get_pending(slug: str, flow_id: str) -> Response:
    _, pending = _pending(slug, flow_id)
    return jsonify(
        id=pending.id,
        platform=pending.platform,
        expires_at=_time(pending.expires_at),
        choices=pending.choices,
        # When the platform could not list them, the id is typed in.
        manual_entry=pending.choices is None or not pending.choices,
    )


@bp.post("/pending/<flow_id>")
def choose(slug: str, flow_id: str) -> tuple[Response, int]:
    from connectors import oauth

    account, pending = _pending(slug, flow_id)
    body = json_object()
    check_fields(body, {"external_account_id": str, "login_customer_id": str})
    chosen = body.get("external_account_id")
    if not chosen:
        raise JsonError(400, "external_account_id: required", field="external_account_id")
    extra = {"login_customer_id": body["login_customer_id"]} if "login_customer_id" in body else {}
    with control() as session:
        before = [
            c
            for c in store.connection_statuses(session, account)
            if c.platform == pending.platform and c.external_account_id == chosen
        ]
        try:
            info = oauth.choose(session, app_settings(), pending, chosen, extra)
        except (oauth.OAuthFlowError, store.ConnectionsError) as exc:
            raise JsonError(
                400, f"external_account_id: {exc}", field="external_account_id"
            ) from None
        what = {"platform": info.platform, "external_account_id": info.external_account_id}
        record(
            session,
            account,
            "connection.reconnect" if before else "connection.add",
            info.label,
            what if before else None,
            what,
        )
        created = store.connection_status(session, account, info.id)
    return jsonify(status_json(created)), 201


@bp.delete("/pending/<flow_id>")
def cancel(slug: str, flow_id: str) -> tuple[str, int]:
    _, pending = _pending(slug, flow_id)
    with control() as session:
        flows.finish_flow(session, pending.id)
    return "", 204
