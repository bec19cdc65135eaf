"""Helpers the HTTP fakes share: reading the bearer token, paging offsets, and
the OAuth2 token endpoint every OAuth platform exposes."""

from __future__ import annotations

import base64
from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, redirect, request

from demo.fakes.state import FakeState


def state() -> FakeState:
    return current_app.config["FAKE_STATE"]


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    padded = cursor + "=" * (-len(cursor) % 4)
    return int(base64.urlsafe_b64decode(padded).decode().split(":", 1)[1])


def parse_day(value: str | None) -> date:
    return date.fromisoformat(str(value)[:10])


def _client_credentials() -> tuple[str | None, str | None]:
    """The client of a token request: HTTP Basic or the form body (RFC 6749 §2.3.1)."""
    if request.authorization and request.authorization.username:
        return request.authorization.username, request.authorization.password
    return request.form.get("client_id"), request.form.get("client_secret")


def token_blueprint(platform: str) -> Blueprint:
    """The platform's authorisation server: the consent page (RFC 6749 §4.1.1,
    with PKCE, RFC 7636) and the token endpoint (authorization_code with
    ``code_verifier``, and refresh_token, §6)."""
    bp = Blueprint(f"{platform}_oauth", __name__)

    @bp.get(f"/{platform}/oauth/authorize")
    def authorize():
        """The consent screen, already agreed by the person who signed in:
        ``fake_account`` names the one ad account they picked (the old demo
        path), ``fake_login`` a login registered with ``add_login``; without
        either, the login reaches every ad account of the platform.
        ``fake_decision=deny`` declines."""
        args = request.args
        client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
        # A bad client or redirect URI is never redirected to (§4.1.2.1).
        if not redirect_uri or not client_id:
            return jsonify(
                error="invalid_request", error_description="client_id and redirect_uri are required"
            ), 400
        if state().client_error(platform, client_id, None) or not state().redirect_allowed(
            platform, client_id, redirect_uri
        ):
            return jsonify(
                error="invalid_client", error_description="unknown client or redirect_uri"
            ), 400
        sep = "&" if "?" in redirect_uri else "?"

        def back(**params: str):
            if args.get("state"):
                params["state"] = args["state"]
            return redirect(f"{redirect_uri}{sep}{urlencode(params)}")

        if args.get("response_type") != "code" or not args.get("state"):
            return back(
                error="invalid_request",
                error_description="response_type=code and state are required",
            )
        challenge = args.get("code_challenge")
        if not challenge or args.get("code_challenge_method") != "S256":
            return back(
                error="invalid_request",
                error_description="PKCE with code_challenge_method=S256 is required",
            )
        if args.get("fake_decision") == "deny":
            return back(error="access_denied")
        if args.get("fake_account"):
            reach: tuple[str, ...] = (args["fake_account"],)
        else:
            reach = state().reach_of(platform, args.get("fake_login"))
        code = state().issue_code(
            platform,
            reach=reach,
            client_id=client_id,
            redirect_uri=redirect_uri,
            code_challenge=challenge,
        )
        return back(code=code)

    @bp.post(f"/{platform}/oauth/token")
    def token():
        form = request.form
        client_id, client_secret = _client_credentials()
        if form.get("grant_type") == "authorization_code":
            if not client_id or state().client_error(platform, client_id, client_secret):
                return jsonify(error="invalid_client"), 401
            issued = state().exchange_code(
                form.get("code", ""),
                client_id=client_id,
                redirect_uri=form.get("redirect_uri"),
                code_verifier=form.get("code_verifier"),
            )
            state().record(platform, None, "token", 200 if issued else 400)
            if issued is None:
                return jsonify(
                    error="invalid_grant",
                    error_description="The code is invalid, used, or does not match the "
                    "redirect_uri or the code_verifier.",
                ), 400
            return jsonify(issued)
        if form.get("grant_type") != "refresh_token":
            return jsonify(error="unsupported_grant_type"), 400
        if not client_id:
            return jsonify(error="invalid_client"), 401
        issued = state().refresh(form.get("refresh_token", ""))
        state().record(platform, None, "token", 200 if issued else 400)
        if issued is None:
            return jsonify(error="invalid_grant", error_description="Token has been revoked."), 400
        return jsonify(issued)

    return bp
