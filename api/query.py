"""SQL for a report request and the rows it returns, shaped for JSON.

Identifiers come from the report definition; every value the client chose
is a ``?`` parameter.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from api.catalogue import ReportDefinition
from api.params import ReportParams


def build_query(
    report: ReportDefinition, params: ReportParams, account: str
) -> tuple[str, list[Any]]:
    dims = [report.dimension(name) for name in params.group_by]
    # Selected under their mart names (not "date", a keyword in some dialects)
    # and renamed in Python.
    select = [d.column for d in dims] + [f"SUM({m}) AS {m}" for m in report.metrics]
    where = [f"{report.account_column} = ?"]
    values: list[Any] = [account]
    date_dim = report.date_dimension
    if date_dim is not None and params.date_gte is not None:
        where.append(f"{date_dim.column} >= ?")
        values.append(params.date_gte)
    if date_dim is not None and params.date_lte is not None:
        where.append(f"{date_dim.column} <= ?")
        values.append(params.date_lte)
    for name, wanted in params.equals.items():
        column = report.dimension(name).column
        where.append(f"{column} IN ({', '.join('?' for _ in wanted)})")
        values.extend(wanted)
    columns = ", ".join(d.column for d in dims)
    sql = (
        f"SELECT {', '.join(select)} FROM {report.table} WHERE {' AND '.join(where)} "
        f"GROUP BY {columns} ORDER BY {columns}"
    )
    return sql, values


def _json_value(value: Any) -> Any:
    # DuckDB sums to HUGEINT (int), MySQL to DECIMAL; dates arrive as date objects.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def shape_rows(
    report: ReportDefinition, params: ReportParams, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows keyed by API names, and totals summed over exactly those rows."""
    dims = [report.dimension(name) for name in params.group_by]
    data = []
    totals: dict[str, Any] = dict.fromkeys(report.metrics, 0)
    for row in rows:
        item = {d.name: _json_value(row[d.column]) for d in dims}
        for metric in report.metrics:
            value = _json_value(row[metric]) or 0
            item[metric] = value
            totals[metric] += value
        data.append(item)
    return data, totals
