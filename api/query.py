"""SQL for a report query, on DuckDB or MySQL/MariaDB.

Identifiers come only from the catalogue (mart and column names read from the
dbt manifest) and are selected under positional aliases (``d0``, ``m0``), so no
mart name can clash with a keyword or an alias; every value a client chose is a
``?`` parameter. What differs between the dialects (date buckets, case-sensitive
text matching) is in :class:`SqlDialect`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from api.catalogue import Dimension, Metric, Report
from api.params import Filter, OrderBy, ReportQuery

TOTAL_ROWS = "total_rows_"
LIKE_ESCAPE = "!"


@dataclass(frozen=True)
class SqlDialect:
    name: str  # "duckdb" or "mysql" (MariaDB too)

    @property
    def is_duckdb(self) -> bool:
        return self.name == "duckdb"

    def bucket(self, column: str, grain: str, week_start: int) -> str:
        """The first day of the week or month ``column`` falls in (a DATE)."""
        if grain == "day":
            return column
        if grain == "month":
            if self.is_duckdb:
                return f"CAST(date_trunc('month', {column}) AS DATE)"
            return f"DATE_SUB({column}, INTERVAL DAYOFMONTH({column}) - 1 DAY)"
        # Days since the week started: 0 = the account's week_start (0 = Monday).
        start = int(week_start)  # from the control database, never from the request
        if self.is_duckdb:
            days = f"CAST((isodow({column}) - 1 - {start} + 7) % 7 AS INTEGER)"
            return f"CAST({column} - {days} AS DATE)"
        return f"DATE_SUB({column}, INTERVAL MOD(WEEKDAY({column}) - {start} + 7, 7) DAY)"

    def text(self, column: str) -> str:
        """``column`` compared byte for byte: MySQL's default collations ignore case
        (and accents); DuckDB compares bytes, and so must the API on both."""
        if self.is_duckdb:
            return column
        return f"CONVERT({column} USING utf8mb4) COLLATE utf8mb4_bin"

    def lower_text(self, column: str) -> str:
        if self.is_duckdb:
            return f"lower({column})"
        return f"LOWER(CONVERT({column} USING utf8mb4)) COLLATE utf8mb4_bin"

    def lower_value(self) -> str:
        return "lower(?)" if self.is_duckdb else "LOWER(?)"


def _escape_like(text: str) -> str:
    """The client's % and _ are literal characters, never wildcards."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def _condition(dialect: SqlDialect, dim: Dimension, f: Filter) -> tuple[str, list[Any]]:
    column = dim.column
    is_text = dim.type == "string"
    target = dialect.text(column) if is_text else column
    op, values = f.operator, list(f.values)
    if op == "isnull":
        sql = f"{column} IS NULL" if values[0] else f"{column} IS NOT NULL"
        # not_isnull is the plain opposite: NULL rows are what it is about.
        return (f"NOT ({sql})" if f.negated else sql), []
    if op == "exact":
        sql, params = f"{target} = ?", values
        if target != column:
            # The plain comparison lets MySQL use the mart's index (account, day,
            # model …); the byte-for-byte one keeps the answer exact.
            sql, params = f"{column} = ? AND {sql}", values + values
    elif op == "in":
        marks = ", ".join("?" for _ in values)
        sql, params = f"{target} IN ({marks})", values
        if target != column:
            sql, params = f"{column} IN ({marks}) AND {sql}", values + values
    elif op in ("gt", "gte", "lt", "lte"):
        symbol = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
        sql, params = f"{column} {symbol} ?", values
    elif op == "range":
        sql, params = f"{column} BETWEEN ? AND ?", values
    elif op == "icontains":
        pattern = f"%{_escape_like(values[0])}%"
        sql = f"{dialect.lower_text(column)} LIKE {dialect.lower_value()} ESCAPE '{LIKE_ESCAPE}'"
        params = [pattern]
    else:  # contains, startswith
        body = _escape_like(values[0])
        pattern = f"%{body}%" if op == "contains" else f"{body}%"
        sql, params = f"{target} LIKE ? ESCAPE '{LIKE_ESCAPE}'", [pattern]
    if f.negated:
        # Django's exclude(): a NULL is not equal to anything, so it is kept.
        return f"({column} IS NULL OR NOT ({sql}))", params
    return sql, params


def where_clause(
    dialect: SqlDialect, report: Report, filters: tuple[Filter, ...], account: str
) -> tuple[str, list[Any]]:
    """The account first, always; then every filter, ANDed."""
    parts = [f"{report.account_column} = ?"]
    params: list[Any] = [account]
    for f in filters:
        sql, values = _condition(dialect, report.dimensions[f.dimension], f)
        parts.append(sql)
        params.extend(values)
    return " AND ".join(parts), params


def aggregate(metric: Metric, report: Report) -> str:
    if metric.is_ratio:
        assert metric.numerator and metric.denominator
        num = aggregate(report.metrics[metric.numerator], report)
        den = aggregate(report.metrics[metric.denominator], report)
        # After aggregation, never an average of per-row ratios; 1e0 makes MySQL
        # divide in floating point instead of DECIMAL with 4 extra digits.
        return f"({num}) * 1e0 / NULLIF({den}, 0)"
    column = metric.column
    return {
        "sum": f"SUM({column})",
        "count": f"COUNT({column})",
        "count_distinct": f"COUNT(DISTINCT {column})",
        "min": f"MIN({column})",
        "max": f"MAX({column})",
        "average": f"AVG({column})",
    }[metric.aggregation]


@dataclass(frozen=True)
class Plan:
    """The SQL of one query and how its aliases map back to field names."""

    sql: str
    params: list[Any]
    columns: list[str]  # field names in select order (dimensions, then metrics)
    count_sql: str = ""
    count_params: list[Any] = field(default_factory=list)


def _inner(
    dialect: SqlDialect,
    report: Report,
    query: ReportQuery,
    filters: tuple[Filter, ...],
    account: str,
    week_start: int,
) -> tuple[str, list[Any], list[str]]:
    select, names = [], []
    for i, name in enumerate(query.group_by):
        dim = report.dimensions[name]
        expr = dim.column
        if name == report.date_dimension:
            expr = dialect.bucket(dim.column, query.grain, week_start)
        select.append(f"{expr} AS d{i}")
        names.append(name)
    for i, name in enumerate(query.metrics):
        select.append(f"{aggregate(report.metrics[name], report)} AS m{i}")
        names.append(name)
    where, params = where_clause(dialect, report, filters, account)
    sql = f"SELECT {', '.join(select)} FROM {report.table} WHERE {where}"
    if query.group_by:
        sql += " GROUP BY " + ", ".join(f"d{i}" for i in range(len(query.group_by)))
    return sql, params, names


def _alias(query: ReportQuery, name: str) -> str:
    if name in query.group_by:
        return f"d{query.group_by.index(name)}"
    return f"m{query.metrics.index(name)}"


def rows_plan(
    dialect: SqlDialect,
    report: Report,
    query: ReportQuery,
    account: str,
    week_start: int,
    filters: tuple[Filter, ...] | None = None,
    paged: bool = True,
) -> Plan:
    inner, params, names = _inner(
        dialect, report, query, query.filters if filters is None else filters, account, week_start
    )
    order = []
    keys = [*query.order_by]
    seen = {o.field for o in keys}
    # Every grouped field breaks ties, so pages never overlap or skip a row.
    keys += [OrderBy(g) for g in query.group_by if g not in seen]
    for key in keys:
        alias = _alias(query, key.field)
        # NULLs last in both directions, on both dialects (they differ by default).
        order.append(f"({alias} IS NULL), {alias}{' DESC' if key.descending else ''}")
    sql = f"SELECT q.*, COUNT(*) OVER () AS {TOTAL_ROWS} FROM ({inner}) q"
    if order:
        sql += " ORDER BY " + ", ".join(order)
    if paged and query.limit is not None:
        sql += f" LIMIT {int(query.limit)} OFFSET {int(query.offset)}"
    elif paged and query.offset:
        # Both dialects need a LIMIT before OFFSET in practice (MySQL always).
        sql += f" LIMIT {2**62} OFFSET {int(query.offset)}"
    count_sql = f"SELECT COUNT(*) AS n FROM ({inner}) q"
    return Plan(sql, params, names, count_sql, list(params))


def totals_plan(
    dialect: SqlDialect,
    report: Report,
    query: ReportQuery,
    account: str,
    metrics: tuple[str, ...],
    filters: tuple[Filter, ...] | None = None,
) -> Plan:
    """The metrics over every matching row of the mart (not only the page)."""
    select = [f"{aggregate(report.metrics[m], report)} AS m{i}" for i, m in enumerate(metrics)]
    where, params = where_clause(
        dialect, report, query.filters if filters is None else filters, account
    )
    sql = f"SELECT {', '.join(select)} FROM {report.table} WHERE {where}"
    return Plan(sql, params, list(metrics))


def period_filters(query: ReportQuery, dimension: str, low: date, high: date) -> tuple[Filter, ...]:
    """The query's filters with the date dimension's range replaced by [low, high]."""
    kept = tuple(
        f
        for f in query.filters
        if f.dimension != dimension or f.negated or f.operator in ("in", "isnull")
    )
    return (*kept, Filter(dimension, "range", False, (low, high)))
