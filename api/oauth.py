"""``GET /oauth/<platform>/callback``: where a platform sends the browser back
after the user agreed to connect an ad account.

The state authenticates the callback (single-use, stored hashed, 15 minutes;
``touchline.control.oauth_flows``); a flow started from the dashboard also
needs the same user's logged-in session. Then the code is exchanged with the
PKCE verifier. A flow from the command line names its ad account and ends
here; a dashboard flow ends with a choice among the ad accounts the login can
reach (``/api/v1/accounts/<slug>/connections/pending/<id>``). Answers a small
HTML page (JSON when asked for it); never echoes a code, token or state.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from touchline.web_errors import JsonError

log = logging.getLogger(__name__)
bp = Blueprint("oauth", __name__)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _page(status: int, title: str, text: str, extra: str = "") -> Response:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Touchline</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{extra}</body></html>"
    )
    return Response(body, status=status, mimetype="text/html")


def _answer(status: int, title: str, text: str, data: dict[str, Any] | None = None) -> Response:
    if _wants_json():
        body: dict[str, Any] = (
            {"error": text, "status": status} if status >= 400 else {"message": text}
        )
        response = jsonify({**body, **(data or {})})
        response.status_code = status
        return response
    extra = ""
    if data and data.get("choices"):
        items = "".join(
            f"<li>{html.escape(c['id'])} {html.escape(c.get('name') or '')}</li>"
            for c in data["choices"]
        )
        extra = f"<ul>{items}</ul>"
    return _page(status, title, text, extra)


def _caller_user_id() -> int | None:
    """The logged-in user's id, if this browser has a session (the callback is
    public, so authentication here is optional)."""
    principal = getattr(g, "principal", None)
    if principal is None:
        from api import access

        try:
            principal = access.principal()
        except JsonError:
            return None
    return principal.id if principal.kind == "user" else None


def _settings():
    from api.connections import api_settings

    return api_settings(current_app)


@bp.get("/oauth/<platform>/callback")
def callback(platform: str) -> Response:
    from connectors import oauth
    from touchline.control.connections import ConnectionsError
    from touchline.control.oauth_flows import ClaimedFlow

    if request.args.get("error"):
        # The user declined, or the platform refused: its error code is safe to show.
        reason = request.args["error"][:80]
        return _answer(400, "Not connected", f"{platform} answered: {reason}")
    # TikTok calls the code auth_code.
    code = request.args.get("code") or request.args.get("auth_code")
    state = request.args.get("state")
    if not code or not state:
        return _answer(400, "Not connected", "the callback needs both code and state")
    settings = _settings()

    def authorise(flow: ClaimedFlow) -> None:
        # A dashboard flow belongs to the user who started it; the command
        # line's operator holds the link instead.
        if flow.user_id is not None and _caller_user_id() != flow.user_id:
            raise oauth.OAuthFlowError(
                "log in as the user who started this connection, then start again"
            )

    try:
        app = oauth.oauth_app(platform)
        done = oauth.complete(settings, app, state, code, authorise)
    except (oauth.OAuthFlowError, ConnectionsError) as exc:
        log.warning("OAuth callback for %s failed: %s", platform, exc)
        return _answer(400, "Not connected", str(exc))
    if done.connection is not None:
        info = done.connection
        return _answer(
            200,
            "Connected",
            f"{info.account} is now connected to {platform} account "
            f"{info.external_account_id}. You can close this window.",
            {"account": info.account, "connection_id": info.id},
        )
    choices = None if done.choices is None else [c.as_dict() for c in done.choices]
    where = f"/api/v1/accounts/{done.account}/connections/pending/{done.pending_id}"
    if choices:
        text = f"Choose which of these {platform} ad accounts {done.account} should use."
    else:
        text = (
            f"Signed in to {platform}. It did not list the ad accounts this login can reach: "
            "type the ad account id in Touchline's settings."
        )
    return _answer(
        200,
        "Choose an ad account",
        text,
        {
            "account": done.account,
            "pending_id": done.pending_id,
            "pending_url": where,
            "choices": choices,
            "listing_error": done.listing_error,
        },
    )
