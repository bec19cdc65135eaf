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


def token_blueprint(platform: str) -> Blueprint:
    """POST /<platform>/oauth/token: the refresh_token grant (RFC 6749 §6)."""
    bp = Blueprint(f"{platform}_oauth", __name__)

    @bp.get(f"/{platform}/oauth/authorize")
    def authorize():
        """The consent screen, already agreed: the user picked ``fake_account``."""
        args = request.args
        if args.get("response_type") != "code" or not args.get("state"):
            return jsonify(error="invalid_request"), 400
        code = state().issue_code(platform, args.get("fake_account", ""))
        sep = "&" if "?" in args["redirect_uri"] else "?"
        return redirect(
            f"{args['redirect_uri']}{sep}{urlencode({'code': code, 'state': args['state']})}"
        )

    @bp.post(f"/{platform}/oauth/token")
    def token():
        form = request.form
        if form.get("grant_type") == "authorization_code":
            issued = state().exchange_code(form.get("code", ""))
            state().record(platform, None, "token", 200 if issued else 400)
            if issued is None:
                return jsonify(error="invalid_grant"), 400
            return jsonify(issued)
        if form.get("grant_type") != "refresh_token":
            return jsonify(error="unsupported_grant_type"), 400
        client_id = form.get("client_id") or (
            request.authorization and request.authorization.username
        )
        if not client_id:
            return jsonify(error="invalid_client"), 401
        issued = state().refresh(form.get("refresh_token", ""))
        state().record(platform, None, "token", 200 if issued else 400)
        if issued is None:
            return jsonify(error="invalid_grant", error_description="Token has been revoked."), 400
        return jsonify(issued)

    return bp
