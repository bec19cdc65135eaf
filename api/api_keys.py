"""An account's report-API keys, for its admins.

``GET    /api/v1/accounts/<slug>/api-keys``        every key (prefix, name, use, revocation)
``POST   /api/v1/accounts/<slug>/api-keys``        {name} -> the key, shown this once
``DELETE /api/v1/accounts/<slug>/api-keys/<id>``   revoke
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api import access
from api.access import Role
from api.bodies import iso, json_body, refusal, text_field
from touchline.control import api_keys
from touchline.control.registry import RegistryError

bp = Blueprint("api_keys", __name__, url_prefix="/api/v1/accounts/<slug>")


def _key_json(key: api_keys.KeyInfo) -> dict[str, object]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at),
        "revoked_at": iso(key.revoked_at),
    }


@bp.get("/api-keys")
def list_keys(slug: str) -> Response:
    account = access.account_for(slug, Role.ADMIN)
    with access.control() as session:
        keys = api_keys.keys_of(session, account.slug)
    return jsonify(api_keys=[_key_json(k) for k in keys])


@bp.post("/api-keys")
def create_key(slug: str) -> tuple[Response, int]:
    account = access.account_for(slug, Role.ADMIN)
    name = text_field(json_body(), "name", required=False) or "default"
    try:
        with access.control() as session:
            plaintext, key = api_keys.create(session, account.slug, name)
            access.record(
                session,
                account.slug,
                "api_key.create",
                key.prefix,
                None,
                {"name": key.name, "prefix": key.prefix},
            )
    except RegistryError as exc:
        raise refusal(exc) from None
    # Only now is the key known in full; the database keeps its hash.
    return jsonify({**_key_json(key), "key": plaintext}), 201


@bp.delete("/api-keys/<int:key_id>")
def revoke_key(slug: str, key_id: int) -> Response:
    account = access.account_for(slug, Role.ADMIN)
    try:
        with access.control() as session:
            key = api_keys.revoke(session, account.slug, key_id)
            access.record(
                session,
                account.slug,
                "api_key.revoke",
                key.prefix,
                {"name": key.name, "prefix": key.prefix},
                {"revoked_at": iso(key.revoked_at)},
            )
    except RegistryError as exc:
        raise refusal(exc) from None
    return Response(status=204)
