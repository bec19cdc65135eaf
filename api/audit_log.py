"""``GET /api/v1/accounts/<slug>/audit``: the account's audit log, for its admins.

Newest first, ``limit`` entries a page (default 50, at most 200); the answer's
``next_before`` is the ``before`` of the next page (null on the last one).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api import access
from api.access import Role
from api.bodies import int_arg
from touchline.control import audit

bp = Blueprint("audit", __name__, url_prefix="/api/v1/accounts/<slug>")


@bp.get("/audit")
def audit_log(slug: str) -> Response:
    account = access.account_for(slug, Role.ADMIN)
    limit = int_arg("limit", 50, 1, audit.MAX_PAGE) or 50
    before = int_arg("before", None, 1, 2**62)
    with access.control() as session:
        page = audit.entries(session, account.slug, limit=limit, before_id=before)
    return jsonify(
        entries=[e.as_json() for e in page],
        next_before=page[-1].id if len(page) == limit else None,
    )
