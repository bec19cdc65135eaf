"""``GET /healthz`` for load balancers: 200 only when a hit could be landed now."""

from __future__ import annotations

import os
import tempfile

from flask import Blueprint, Response, jsonify

from collector.intake import state
from touchline.web_errors import error_response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    root = state().writer.root
    try:
        os.makedirs(root, exist_ok=True)
        # Actually create a file: permissions, a full or read-only disk and a
        # stale mount all show up only when writing.
        with tempfile.NamedTemporaryFile(dir=root, prefix=".healthz-"):
            pass
    except OSError:
        return error_response(503, "the landing zone is not writable")
    return jsonify(status="ok")
