"""``GET /api/v1/reports`` (catalogue) and ``GET /api/v1/reports/<name>``."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, jsonify, request

from api.auth import authenticate, check_account
from api.definitions import REPORTS, ReportDefinition
from api.errors import ApiError
from api.params import allowed_parameters, parse_params
from api.query import build_query, shape_rows
from touchline.warehouse import Warehouse, WarehouseBusy, WarehouseError

log = logging.getLogger(__name__)

bp = Blueprint("reports", __name__, url_prefix="/api/v1")

EXTENSION = "touchline.api"
# A DuckDB build holds the file for seconds; tell clients when to come back.
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class ApiState:
    control_db_url: str
    warehouse: Warehouse


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
        raise ApiError(404, f"no report named {name!r}; available: {', '.join(sorted(REPORTS))}")
    params = parse_params(definition, request.args)

    sql, values = build_query(definition, params, account.slug)
    rows = _run(tools.warehouse, definition, sql, values)
    data, totals = shape_rows(definition, params, rows)
    return jsonify(
        account=account.slug,
        report=definition.name,
        group_by=list(params.group_by),
        filters=params.filters_json(definition),
        data=data,
        totals=totals,
        meta={"row_count": len(data), "notes": definition.notes},
    )


def _run(
    warehouse: Warehouse, definition: ReportDefinition, sql: str, values: list[object]
) -> list[dict[str, object]]:
    try:
        return warehouse.query(sql, values)
    except WarehouseBusy as exc:
        raise ApiError(503, str(exc), {"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    except WarehouseError as exc:
        # Worded for users by touchline.warehouse; the empty-warehouse case lands here.
        if _missing(warehouse, definition):
            raise _no_data() from None
        raise ApiError(503, str(exc)) from None
    except Exception:
        # Driver errors (duckdb.CatalogException, pymysql 1146 …) differ per
        # dialect; ask the warehouse whether the mart is simply not built yet.
        if _missing(warehouse, definition):
            raise _no_data() from None
        log.exception("report query failed: %s", definition.name)
        raise ApiError(500, "the report query failed; the details are in the server log") from None


def _missing(warehouse: Warehouse, definition: ReportDefinition) -> bool:
    try:
        return not warehouse.table_exists(definition.table)
    except Exception:
        log.exception("could not check whether %s exists", definition.table)
        return False


def _no_data() -> ApiError:
    return ApiError(503, "no report data yet: materialise a partition first")
