"""An account's settings through the API: the account itself (name, time zone,
currency, week start, domains, collection settings), its blacklist, its
channel rules with their preview, and its attribution settings.

Viewers read; editors and admins change (``api.access.account_for``). Every
change is validated by the same registry functions the CLI uses, so both
answer alike, and is written to the audit log in the same transaction, with
the values before and after.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.access import Role, account_for, record, record_change
from touchline.control import channel_rules, registry
from touchline.control.db import session_scope
from touchline.control.models import Account, BlacklistEntry
from touchline.settings import Settings
from touchline.web_errors import JsonError

EXTENSION = "touchline.settings"
bp = Blueprint("settings", __name__, url_prefix="/api/v1/accounts/<slug>")

# The account fields PATCH takes, and the JSON type each must have.
PROFILE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "timezone": str,
    "currency": str,
    "week_start": int,
}
COLLECTION_FIELDS: dict[str, type | tuple[type, ...]] = {
    "domains": list,
    "cookie_domain": (str, type(None)),
    "consent_default": str,
    "anonymize_ip": bool,
    "bot_policy": str,
}
ATTRIBUTION_FIELDS = ("lookback_days", "fit_days", "view_through_hours")


def register(app: Flask, settings: Settings) -> None:
    """The settings blueprints (account, blacklist, attribution; channel rules)."""
    from api import channel_rules

    app.extensions[EXTENSION] = settings
    app.register_blueprint(bp)
    app.register_blueprint(channel_rules.bp)


def app_settings(app: Flask | None = None) -> Settings:
    return (app or current_app).extensions[EXTENSION]


@contextmanager
def control() -> Iterator[Session]:
    """A control-database transaction; a database failure is a 503, never a trace."""
    try:
        with session_scope(app_settings().resolved_control_db_url) as session:
            yield session
    except SQLAlchemyError:
        current_app.logger.exception("control database error in a settings request")
        raise JsonError(503, "the account registry is unavailable; please retry") from None


def json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise JsonError(400, "send a JSON object (Content-Type: application/json)")
    return body


def check_fields(body: dict[str, Any], allowed: dict[str, Any]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise JsonError(
            400,
            f"unknown field {unknown[0]!r}; these can be changed: {', '.join(allowed)}",
            field=unknown[0],
        )
    for name, value in body.items():
        expected = allowed[name]
        # bool is an int in Python; a JSON true is no week start.
        wrong_bool = isinstance(value, bool) and expected in (int, (int,))
        if wrong_bool or not isinstance(value, expected):
            raise JsonError(400, f"{name}: wrong type ({type(value).__name__})", field=name)


@contextmanager
def field_errors(name: str) -> Iterator[None]:
    """A registry's refusal, answered as a 400 naming the field."""
    try:
        yield
    except registry.RegistryError as exc:
        raise JsonError(400, f"{name}: {exc}", field=name) from None


# --- the account ---------------------------------------------------------------------


@bp.get("")
def get_account(slug: str) -> Response:
    account = account_for(slug, Role.VIEWER)
    with control() as session:
        return jsonify(registry.account_settings(session, account.slug))


@bp.patch("")
def patch_account(slug: str) -> Response:
    account = account_for(slug, Role.EDITOR)
    body = json_object()
    check_fields(body, {**PROFILE_FIELDS, **COLLECTION_FIELDS})
    with control() as session:
        before = registry.account_settings(session, account.slug)
        for name in PROFILE_FIELDS:
            if name in body:
                with field_errors(name):
                    registry.update_profile(session, account.slug, **{name: body[name]})
        if "domains" in body:
            if not all(isinstance(d, str) for d in body["domains"]):
                raise JsonError(400, "domains: a list of domain names", field="domains")
            with field_errors("domains"):
                wanted = {registry.normalise_domain(d) for d in body["domains"]}
                have = set(registry.get_account(session, account.slug).domains)
                registry.update_account(
                    session,
                    account.slug,
                    registry.AccountUpdate(
                        add_domains=tuple(sorted(wanted - have)),
                        remove_domains=tuple(sorted(have - wanted)),
                    ),
                )
        for name in ("cookie_domain", "consent_default", "anonymize_ip", "bot_policy"):
            if name in body:
                # None clears the cookie domain; the registry spells that "".
                value = "" if name == "cookie_domain" and body[name] is None else body[name]
                with field_errors(name):
                    registry.update_account(
                        session, account.slug, registry.AccountUpdate(**{name: value})
                    )
        after = registry.account_settings(session, account.slug)
        record_change(session, account.slug, "account.update", before, after)
    return jsonify(after)


# --- blacklist -----------------------------------------------------------------------


def _entries(session: Session, slug: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(BlacklistEntry)
        .join(Account, Account.id == BlacklistEntry.account_id)
        .where(Account.slug == slug)
        .order_by(BlacklistEntry.id)
    )
    return [
        {"id": e.id, "kind": e.kind, "value": e.value, "created_at": e.created_at.isoformat()}
        for e in rows
    ]


@bp.get("/blacklist")
def get_blacklist(slug: str) -> Response:
    account = account_for(slug, Role.VIEWER)
    with control() as session:
        return jsonify(entries=_entries(session, account.slug), kinds=registry.BLACKLIST_KINDS)


@bp.post("/blacklist")
def add_blacklist(slug: str) -> tuple[Response, int]:
    account = account_for(slug, Role.EDITOR)
    body = json_object()
    check_fields(body, {"kind": str, "value": str})
    for name in ("kind", "value"):
        if name not in body:
            raise JsonError(400, f"{name}: required", field=name)
    with field_errors("value" if body["kind"] in registry.BLACKLIST_KINDS else "kind"):
        kind, value = registry.normalise_blacklist_entry(body["kind"], body["value"])
    with control() as session:
        if any(e["kind"] == kind and e["value"] == value for e in _entries(session, account.slug)):
            raise JsonError(409, f"{kind} {value} is already on the blacklist", field="value")
        registry.update_account(
            session, account.slug, registry.AccountUpdate(block=((kind, value),))
        )
        entry = next(
            e for e in _entries(session, account.slug) if e["kind"] == kind and e["value"] == value
        )
        record(
            session,
            account.slug,
            "blacklist.add",
            f"{kind} {value}",
            None,
            {"kind": kind, "value": value},
        )
    return jsonify(entry), 201


@bp.delete("/blacklist/<int:entry_id>")
def remove_blacklist(slug: str, entry_id: int) -> tuple[str, int]:
    account = account_for(slug, Role.EDITOR)
    with control() as session:
        entry = next((e for e in _entries(session, account.slug) if e["id"] == entry_id), None)
        if entry is None:
            raise JsonError(404, f"{account.slug} has no blacklist entry {entry_id}")
        registry.update_account(
            session,
            account.slug,
            registry.AccountUpdate(unblock=((entry["kind"], entry["value"]),)),
        )
        record(
            session,
            account.slug,
            "blacklist.remove",
            f"{entry['kind']} {entry['value']}",
            {"kind": entry["kind"], "value": entry["value"]},
            None,
        )
    return "", 204


# --- attribution ---------------------------------------------------------------------


def _attribution(session: Session, slug: str) -> dict[str, int]:
    found = channel_rules.attribution_settings(session, [slug])[slug]
    return {name: getattr(found, name) for name in ATTRIBUTION_FIELDS}


@bp.get("/attribution")
def get_attribution(slug: str) -> Response:
    account = account_for(slug, Role.VIEWER)
    with control() as session:
        return jsonify({**_attribution(session, account.slug), "limits": _limits()})


def _limits() -> dict[str, dict[str, int]]:
    return {k: {"min": lo, "max": hi} for k, (lo, hi) in channel_rules.LIMITS.items()}


@bp.patch("/attribution")
def patch_attribution(slug: str) -> Response:
    account = account_for(slug, Role.EDITOR)
    body = json_object()
    check_fields(body, dict.fromkeys(ATTRIBUTION_FIELDS, int))
    with control() as session:
        before = _attribution(session, account.slug)
        for name, value in body.items():
            with field_errors(name):
                channel_rules.update_attribution_settings(session, account.slug, **{name: value})
        after = _attribution(session, account.slug)
        record_change(session, account.slug, "attribution.update", before, after)
    return jsonify(after)
