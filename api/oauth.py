"""``GET /oauth/<platform>/callback``: where a platform sends the browser back
after the user agreed to connect an ad account. Answers a small HTML page;
never echoes a code, token or state."""

from __future__ import annotations

import html
import logging

from flask import Blueprint, Response, request

log = logging.getLogger(__name__)
bp = Blueprint("oauth", __name__)


def _page(status: int, title: str, text: str) -> Response:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Touchline</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return Response(body, status=status, mimetype="text/html")


@bp.get("/oauth/<platform>/callback")
def callback(platform: str) -> Response:
    from connectors import oauth
    from touchline.control.connections import ConnectionsError
    from touchline.settings import load_settings

    if request.args.get("error"):
        # The user declined, or the platform refused: its error code is safe to show.
        return _page(400, "Not connected", f"{platform} answered: {request.args['error'][:80]}")
    # TikTok calls the code auth_code.
    code = request.args.get("code") or request.args.get("auth_code")
    state = request.args.get("state")
    if not code or not state:
        return _page(400, "Not connected", "the callback needs both code and state")
    settings = load_settings()
    try:
        app = oauth.oauth_app(platform)
        info = oauth.complete(settings, app, state, code)
    except (oauth.OAuthFlowError, ConnectionsError) as exc:
        log.warning("OAuth callback for %s failed: %s", platform, exc)
        return _page(400, "Not connected", str(exc))
    return _page(
        200,
        "Connected",
        f"{info.account} is now connected to {platform} account {info.external_account_id}. "
        "You can close this window.",
    )
