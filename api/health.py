"""``GET /healthz``: the process answers and the control database is reachable."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.reports import state
from touchline.control.db import engine_for
from touchline.web_errors import error_response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    # Every request authenticates against the control database; without it
    # the API can answer nothing but 503, so the load balancer should know.
    try:
        with engine_for(state().control_db_url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return error_response(503, "the account registry is unreachable")
    return jsonify(status="ok")
