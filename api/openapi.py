"""``GET /api/v1/openapi.json``: an OpenAPI 3 document of the report API, made
from the catalogue (the dbt manifest), so it lists exactly the reports, fields
and operators the API takes. It holds no data of any account: its examples
come from the catalogue alone.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from api.catalogue import Catalogue, Dimension, Report
from api.params import COMPARES, GRAINS, MAX_FILTER_VALUES, MAX_LIMIT
from api.report_access import require_caller

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

_DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"
_TIME_TEXT = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?Z?$"
_NUMBER_TEXT = r"^-?\d{1,20}(\.\d{1,8})?$"

ERROR = {"$ref": "#/components/responses/Error"}


def _value_schema(dim: Dimension) -> dict[str, Any]:
    if dim.type == "date":
        return {"type": "string", "pattern": _DATE_TEXT, "example": "2025-01-31"}
    if dim.type == "timestamp":
        return {"type": "string", "pattern": _TIME_TEXT, "example": "2025-01-31T12:00:00"}
    if dim.type == "number":
        return {"type": "string", "pattern": _NUMBER_TEXT, "example": "1"}
    if dim.type == "boolean":
        return {"type": "boolean"}
    return {"type": "string", "minLength": 1, "maxLength": 1000}


def _filter_parameters(dim: Dimension) -> list[dict[str, Any]]:
    out = []
    for op in dim.operators:
        for negated in (False, True):
            name = f"{dim.name}__{'not_' if negated else ''}{op}"
            if op == "isnull":
                schema: dict[str, Any] = {"type": "boolean"}
            elif op in ("in", "range"):
                item = _value_schema(dim)
                item.pop("example", None)
                schema = {
                    "type": "array",
                    "items": item,
                    "minItems": 2 if op == "range" else 1,
                    "maxItems": 2 if op == "range" else MAX_FILTER_VALUES,
                }
            else:
                schema = _value_schema(dim)
            meaning = "rows where it is NOT" if negated else "rows where"
            param = {
                "name": name,
                "in": "query",
                "required": False,
                "description": f"{meaning} {dim.name} {op} the value ({dim.description})",
                "schema": schema,
            }
            if schema.get("type") == "array":
                param.update(style="form", explode=False)
            out.append(param)
    # The bare name is exact, as in Tastypie.
    exact = dict(out[0], name=dim.name, description=f"same as {dim.name}__exact")
    return [exact, *out]


def _list_param(name: str, values: list[str], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "style": "form",
        "explode": False,
        "schema": {
            "type": "array",
            "items": {"type": "string", "enum": values},
            "uniqueItems": True,
        },
    }


def _parameters(report: Report) -> list[dict[str, Any]]:
    dims, metrics = list(report.dimensions), list(report.metrics)
    params = [
        _list_param("metrics", metrics, "metrics to compute (default: every additive one)"),
        _list_param("group_by", dims, f"dimensions (default: {','.join(report.default_group_by)})"),
        _list_param(
            "order_by",
            [f"{p}{n}" for n in [*dims, *metrics] for p in ("", "-")],
            "fields of group_by or metrics; '-' for descending",
        ),
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT},
        },
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}},
        {"name": "account", "in": "query", "schema": {"type": "string", "minLength": 1}},
    ]
    if report.date_dimension:
        params += [
            {"name": "grain", "in": "query", "schema": {"type": "string", "enum": list(GRAINS)}},
            {
                "name": "compare",
                "in": "query",
                "description": f"needs {report.date_dimension}__gte and __lte",
                "schema": {"type": "string", "enum": list(COMPARES)},
            },
        ]
    for dim in report.dimensions.values():
        params += _filter_parameters(dim)
    return params


def _field_schema(report: Report, name: str) -> dict[str, Any]:
    field = report.dimensions.get(name) or report.metrics[name]
    kind = field.type
    schema: dict[str, Any] = {
        "string": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "timestamp": {"type": "string"},
        "number": {"type": "number"},
        "boolean": {"type": "boolean"},
    }[kind]
    return {**schema, "nullable": True}


def _report_schema(report: Report) -> dict[str, Any]:
    fields = {n: _field_schema(report, n) for n in [*report.dimensions, *report.metrics]}
    metrics = {n: _field_schema(report, n) for n in report.metrics}
    return {
        "type": "object",
        "required": ["account", "report", "query", "columns", "data", "totals", "total_rows"],
        "properties": {
            "account": {"type": "string"},
            "report": {"type": "string", "enum": [report.name]},
            "query": {"type": "object"},
            "columns": {"type": "array", "items": {"type": "string"}},
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        **fields,
                        "previous": {"type": "object", "properties": fields},
                        "change": {
                            "type": "object",
                            "additionalProperties": {"type": "number", "nullable": True},
                        },
                    },
                    "additionalProperties": False,
                },
            },
            "totals": {"type": "object", "properties": metrics, "additionalProperties": False},
            "total_rows": {"type": "integer", "minimum": 0},
            "comparison": {"type": "object"},
            "meta": {"type": "object"},
        },
    }


def _example_row(report: Report) -> dict[str, Any]:
    """A made-up row from the field types: never a value of any account."""
    sample = {"string": "text", "date": "2025-01-31", "timestamp": "2025-01-31T12:00:00",
              "number": 1, "boolean": True}  # fmt: skip
    row = {n: sample[d.type] for n, d in report.dimensions.items() if n in report.default_group_by}
    row.update({n: sample[m.type] for n, m in report.metrics.items() if m.additive})
    return row


def document(catalogue: Catalogue) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/v1/reports": {
            "get": {
                "operationId": "listReports",
                "summary": "Every report with its fields, types, descriptions and operators",
                "responses": {
                    "200": {
                        "description": "the catalogue",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "401": ERROR,
                    "503": ERROR,
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "401": ERROR,
                },
            }
        },
    }
    for report in catalogue.reports.values():
        ok = {
            "description": report.label,
            "headers": {"ETag": {"schema": {"type": "string"}}},
            "content": {
                "application/json": {
                    "schema": _report_schema(report),
                    "example": {
                        "account": "example",
                        "report": report.name,
                        "query": {},
                        "columns": list(_example_row(report)),
                        "data": [_example_row(report)],
                        "totals": {n: 1 for n, m in report.metrics.items() if m.additive},
                        "total_rows": 1,
                    },
                },
                "text/csv": {"schema": {"type": "string"}},
            },
        }
        responses = {
            "200": ok,
            "304": {"description": "unchanged since the ETag in If-None-Match"},
            "400": ERROR,
            "401": ERROR,
            "403": ERROR,
            "404": ERROR,
            "503": ERROR,
        }
        for suffix, op_id in (("", "report"), (".csv", "reportCsv")):
            paths[f"/api/v1/reports/{report.name}{suffix}"] = {
                "get": {
                    "operationId": f"{op_id}_{report.name}",
                    "summary": f"{report.label}{' as CSV' if suffix else ''}",
                    "description": report.description,
                    "parameters": _parameters(report),
                    "responses": responses,
                }
            }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Touchline report API",
            "version": "1",
            "description": "Reports over the dbt marts; filters in Tastypie's spelling.",
        },
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
            "responses": {
                "Error": {
                    "description": "an error, said in words",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["error", "status"],
                                "properties": {
                                    "error": {"type": "string"},
                                    "status": {"type": "integer"},
                                },
                            }
                        }
                    },
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    from api.reports import catalogue

    require_caller()
    return jsonify(document(catalogue()))
