"""``GET /api/v1/reports`` (catalogue) and ``GET /api/v1/reports/<name>``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, current_app, jsonify, request

from api.auth import authenticate, check_account
from api.catalogue import REPORTS, ReportDefinition
from api.params import allowed_parameters, parse_params
from api.query import build_query, shape_rows
from api.source import ReportSource, Result
from touchline.serving import NoSnapshot
from touchline.warehouse import WarehouseError
from touchline.web_errors import JsonError

log = logging.getLogger(__name__)

bp = Blueprint("reports", __name__, url_prefix="/api/v1")

EXTENSION = "touchline.api"


@dataclass(frozen=True)
class ApiState:
    control_db_url: str
    source: ReportSource


def state() -> ApiState:
    return current_app.extensions[EXTENSION]


def _describe(report: ReportDefinition) -> dict[str, object]:
    return {
        "name": report.name,
        "dimensions": list(report.dimension_names),
        "metrics": list(report.metrics),
        "default_group_by": list(report.default_group_by),
        "parameters": allowed_parameters(report),
        "notes": report.notes,
    }


@bp.get("/reports")
def catalogue() -> Response:
    authenticate(request, state().control_db_url)
    return jsonify(reports=[_describe(r) for r in REPORTS.values()])


@bp.get("/reports/<name>")
def report(name: str) -> Response:
    # Authenticate before anything else, so an anonymous caller learns nothing,
    # not even which reports exist or which parameters are wrong.
    tools = state()
    account = authenticate(request, tools.control_db_url)
    check_account(request.args.get("account") or None, account)
    definition = REPORTS.get(name)
    if definition is None:
        raise JsonError(404, f"no report named {name!r}; available: {', '.join(sorted(REPORTS))}")
    params = parse_params(definition, request.args)

    sql, values = build_query(definition, params, account.slug)
    result = _run(tools.source, definition, sql, values)
    data, totals = shape_rows(definition, params, result.rows)
    return jsonify(
        account=account.slug,
        report=definition.name,
        group_by=list(params.group_by),
        filters=params.filters_json(definition),
        data=data,
        totals=totals,
        meta={
            "row_count": len(data),
            "notes": definition.notes,
            # DuckDB: when the serving copy this answer was read from was taken.
            "published_at": _iso(result.published_at),
        },
    )


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _run(
    source: ReportSource, definition: ReportDefinition, sql: str, values: list[object]
) -> Result:
    try:
        return source.query(sql, values)
    except NoSnapshot:
        raise _no_data() from None
    except WarehouseError as exc:
        # Worded for users by touchline.warehouse.
        if _missing(source, definition):
            raise _no_data() from None
        raise JsonError(503, str(exc)) from None
    except Exception:
        # Driver errors (duckdb.CatalogException, pymysql 1146 …) differ per
        # dialect; ask the source whether the mart is simply not built yet.
        if _missing(source, definition):
            raise _no_data() from None
        log.exception("report query failed: %s", definition.name)
        raise JsonError(500, "the report query failed; the details are in the server log") from None


def _missing(source: ReportSource, definition: ReportDefinition) -> bool:
    try:
        return not source.table_exists(definition.table)
    except Exception:
        log.exception("could not check whether %s exists", definition.table)
        return False


def _no_data() -> JsonError:
    return JsonError(503, "no report data yet: materialise a partition first")
