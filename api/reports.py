"""``GET /api/v1/reports`` (the catalogue) and ``GET /api/v1/reports/<name>[.csv]``.

Every answer is scoped to the one account :func:`api.access.account_for` gives:
the account is the first condition of every query, whatever the filters,
grouping, comparison or format.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from api.catalogue import Catalogue, CatalogueError, CatalogueHolder, Report
from api.csv_export import csv_columns, csv_lines
from api.params import ReportQuery, default_metrics_note, full_grain, parse_query
from api.query import SqlDialect, period_filters, rows_plan, totals_plan
from api.report_access import current_account, require_caller, week_start
from api.report_compare import bucket_index, previous_range, require_closed
from api.report_rows import change, shape
from api.source import Reader, ReportSource
from touchline.control.registry import AccountInfo
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
    # Read from the dbt manifest on first use, once per app.
    catalogue: CatalogueHolder = field(default_factory=CatalogueHolder)


def state() -> ApiState:
    return current_app.extensions[EXTENSION]


def catalogue() -> Catalogue:
    try:
        return state().catalogue.get()
    except CatalogueError as exc:
        log.error("report catalogue unavailable: %s", exc)
        raise JsonError(503, str(exc)) from None


def describe(report: Report) -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {
            "name": d.name,
            "kind": "dimension",
            "type": d.type,
            "label": d.label,
            "description": d.description,
            "operators": list(d.operators),
        }
        for d in report.dimensions.values()
    ]
    for m in report.metrics.values():
        item: dict[str, Any] = {
            "name": m.name,
            "kind": "metric",
            "type": m.type,
            "label": m.label,
            "description": m.description,
            "aggregation": m.aggregation,
            "additive": m.additive,
        }
        if m.is_ratio:
            item["numerator"], item["denominator"] = m.numerator, m.denominator
        fields.append(item)
    return {
        "name": report.name,
        "label": report.label,
        "description": report.description,
        "date_dimension": report.date_dimension,
        "default_group_by": list(report.default_group_by),
        "grain": list(report.grain),
        "one_value_of": list(report.one_value_of),
        "fields": fields,
    }


@bp.get("/reports")
def list_reports() -> Response:
    require_caller()  # the catalogue holds no account's data
    return jsonify(reports=[describe(r) for r in catalogue().reports.values()])


@bp.get("/reports/<name>")
def report(name: str) -> Response:
    # Authentication and scoping before anything else: an anonymous caller
    # learns nothing, not even which reports exist.
    account = current_account()
    fmt = None
    if name.endswith(".csv"):
        name, fmt = name[: -len(".csv")], "csv"
    reports = catalogue().reports
    definition = reports.get(name)
    if definition is None:
        raise JsonError(404, f"no report named {name!r}; available: {', '.join(reports)}")
    query = parse_query(definition, request.args, fmt)
    if query.format == "csv":
        return _csv(definition, query, account)
    return _json(definition, query, account)


# -- running --------------------------------------------------------------------------------


@dataclass
class Answer:
    columns: list[str]
    data: list[dict[str, Any]]
    totals: dict[str, Any]
    total_rows: int
    comparison: dict[str, Any] | None


class Runner:
    """One request's queries, through one reader (one state of the marts)."""

    def __init__(self, report: Report, query: ReportQuery, account: AccountInfo, reader: Reader):
        self.report = report
        self.query = query
        self.account = account.slug
        self.week_start = week_start(account)
        self.reader = reader
        self.dialect = SqlDialect(state().source.dialect)

    def rows(self, filters: Any = None, paged: bool = True) -> tuple[list[dict[str, Any]], int]:
        plan = rows_plan(
            self.dialect, self.report, self.query, self.account, self.week_start, filters, paged
        )
        raw = self.reader.query(plan.sql, plan.params)
        data = [shape(self.report, plan.columns, row) for row in raw]
        if raw:
            total = int(raw[0][-1])
        elif self.query.offset and paged:
            total = int(self.reader.query(plan.count_sql, plan.count_params)[0][0])
        else:
            total = 0
        return data, total

    def stream_rows(self) -> Iterator[dict[str, Any]]:
        plan = rows_plan(self.dialect, self.report, self.query, self.account, self.week_start)
        for row in self.reader.stream(plan.sql, plan.params):
            yield shape(self.report, plan.columns, row)

    def totals(
        self, filters: Any = None, rows: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Over every matching row, not the page. A metric that cannot be added
        across the mart's rows, or across the values of a dimension that must
        keep one value, has no total (None), never a wrong one. ``rows``: the
        answer's rows when it has no group_by, whose one row is the totals (no
        second scan of the mart)."""
        report, query = self.report, self.query
        unsplittable = any(not query.pinned(d) for d in report.one_value_of)
        wanted = tuple(m for m in query.metrics if report.metrics[m].additive and not unsplittable)
        out: dict[str, Any] = dict.fromkeys(query.metrics)
        if wanted and not query.group_by and rows is not None and len(rows) == 1:
            out.update({m: rows[0][m] for m in wanted})
        elif wanted:
            plan = totals_plan(self.dialect, report, query, self.account, wanted, filters)
            [row] = self.reader.query(plan.sql, plan.params)
            out.update(shape(report, plan.columns, row))
        return out

    def compare(self, data: list[dict[str, Any]], totals: dict[str, Any]) -> dict[str, Any]:
        report, query = self.report, self.query
        date_dim = report.date_dimension
        low, high = query.date_range(date_dim) if date_dim else (None, None)
        require_closed(date_dim, low, high)
        assert date_dim and low and high and query.compare
        prev_low, prev_high = previous_range(query.compare, low, high)
        filters = period_filters(query, date_dim, prev_low, prev_high)
        previous, _ = self.rows(filters, paged=False)
        dims = [g for g in query.group_by if g != date_dim]

        def key(row: dict[str, Any], start: date) -> tuple[Any, ...]:
            bucket = ()
            if date_dim in query.group_by:
                day = date.fromisoformat(row[date_dim])
                bucket = (bucket_index(day, start, query.grain, self.week_start),)
            return (*(row[d] for d in dims), *bucket)

        earlier = {key(row, prev_low): row for row in previous}
        for row in data:
            match = earlier.get(key(row, low), {})
            row["previous"] = {m: match.get(m) for m in query.metrics}
            if date_dim in query.group_by:
                row["previous"][date_dim] = match.get(date_dim)
            row["change"] = {m: change(row[m], match.get(m)) for m in query.metrics}
        previous_totals = self.totals(filters, previous)
        return {
            "compare": query.compare,
            "period": {"gte": low.isoformat(), "lte": high.isoformat()},
            "previous_period": {"gte": prev_low.isoformat(), "lte": prev_high.isoformat()},
            "totals": previous_totals,
            "change": {m: change(totals.get(m), previous_totals.get(m)) for m in query.metrics},
        }

    def answer(self) -> Answer:
        data, total_rows = self.rows()
        # A page past the end has no row to take the totals from.
        totals = self.totals(rows=data if not self.query.offset else None)
        comparison = self.compare(data, totals) if self.query.compare else None
        return Answer(
            [*self.query.group_by, *self.query.metrics], data, totals, total_rows, comparison
        )


def _etag(account: AccountInfo, query: ReportQuery, version: str) -> str:
    basis = json.dumps(
        [account.slug, week_start(account), query.cache_key(), version], sort_keys=True
    )
    return hashlib.sha256(basis.encode()).hexdigest()[:40]


def _not_modified(etag: str) -> Response | None:
    if request.if_none_match.contains(etag):
        response = Response(status=304)
        _cache_headers(response, etag)
        return response
    return None


def _cache_headers(response: Response, etag: str) -> None:
    response.set_etag(etag)
    # Each answer belongs to one caller's account: shared caches keep out,
    # browsers revalidate every time.
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.update(("Authorization", "X-API-Key", "Cookie"))


def _json(report: Report, query: ReportQuery, account: AccountInfo) -> Response:
    with _reading(report) as reader:
        if reader.version is not None:
            etag = _etag(account, query, reader.version)
            if (cached := _not_modified(etag)) is not None:
                return cached
        answer = _run(report, lambda: Runner(report, query, account, reader).answer())
    body: dict[str, Any] = {
        "account": account.slug,
        "report": report.name,
        "query": query.normalised(),
        "columns": answer.columns,
        "data": answer.data,
        "totals": answer.totals,
        "total_rows": answer.total_rows,
    }
    if answer.comparison is not None:
        body["comparison"] = answer.comparison
    body["meta"] = _meta(report, query, account, reader)
    if reader.version is None:
        # No published copy to name (MySQL/MariaDB): the answer names itself.
        content = json.dumps([body["data"], body["totals"], body.get("comparison")], default=str)
        etag = _etag(account, query, hashlib.sha256(content.encode()).hexdigest())
        if (cached := _not_modified(etag)) is not None:
            return cached
    response = jsonify(body)
    _cache_headers(response, etag)
    return response


def _meta(report: Report, query: ReportQuery, account: AccountInfo, reader: Reader) -> Any:
    notes = {}
    if note := default_metrics_note(report):
        notes["non_additive"] = note
    if report.one_value_of and not all(query.pinned(d) for d in report.one_value_of):
        notes["totals"] = (
            f"no totals across several values of {', '.join(report.one_value_of)}: "
            "filter to one value for totals"
        )
    if not full_grain(report, query) and any(not m.additive for m in report.metrics.values()):
        notes["grouping"] = "non-additive metrics are left out of this grouping"
    return {
        "published_at": _iso(reader.published_at),
        "week_start": week_start(account),
        "notes": notes,
    }


def _csv(report: Report, query: ReportQuery, account: AccountInfo) -> Response:
    stack = ExitStack()
    try:
        reader = stack.enter_context(_reading(report))
        runner = Runner(report, query, account, reader)
        compared: list[str] = []
        if query.compare:
            # A comparison needs every row of both periods: computed, then written.
            answer = _run(report, runner.answer)
            rows: Any = answer.data
            compared = list(query.metrics)
            if report.date_dimension in query.group_by:
                compared = [report.date_dimension, *compared]  # type: ignore[list-item]
        elif reader.version is not None:
            rows = _run(report, lambda: _first_then_rest(runner.stream_rows()))
        else:
            rows = _run(report, lambda: runner.rows()[0])
        version = reader.version
        if version is None:
            content = json.dumps(rows, default=str)
            version = hashlib.sha256(content.encode()).hexdigest()
        etag = _etag(account, query, version)
        if (cached := _not_modified(etag)) is not None:
            stack.close()
            return cached
        columns = csv_columns([*query.group_by, *query.metrics], compared)
    except BaseException:
        stack.close()
        raise

    def generate() -> Iterator[str]:
        with stack:
            yield from csv_lines(columns, rows)

    response = Response(generate(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{report.name}.csv"'
    _cache_headers(response, etag)
    return response


def _first_then_rest(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Runs the query now (so its errors answer as errors, before any byte is
    sent) and hands back every row, the first included, as it is read."""
    first = next(rows, None)

    def chain() -> Iterator[dict[str, Any]]:
        if first is not None:
            yield first
            yield from rows

    return chain()


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="microseconds").replace("+00:00", "Z")


# -- errors ---------------------------------------------------------------------------------


class _reading:
    """The source's reader; a missing serving copy or warehouse answers 503."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.context = state().source.reading()

    def __enter__(self) -> Reader:
        try:
            return self.context.__enter__()
        except NoSnapshot:
            raise _no_data() from None
        except WarehouseError as exc:
            raise JsonError(503, str(exc)) from None

    def __exit__(self, *exc: object) -> None:
        self.context.__exit__(*exc)  # type: ignore[arg-type]


def _run(report: Report, work: Any) -> Any:
    try:
        return work()
    except JsonError:
        raise
    except WarehouseError as exc:
        if _missing(report):
            raise _no_data() from None
        raise JsonError(503, str(exc)) from None
    except Exception:
        # Driver errors (duckdb.CatalogException, pymysql 1146 …) differ per
        # dialect; ask the source whether the mart is simply not built yet.
        if _missing(report):
            raise _no_data() from None
        log.exception("report query failed: %s", report.name)
        raise JsonError(500, "the report query failed; the details are in the server log") from None


def _missing(report: Report) -> bool:
    try:
        return not state().source.table_exists(report.table)
    except Exception:
        log.exception("could not check whether %s exists", report.table)
        return False


def _no_data() -> JsonError:
    return JsonError(503, "no report data yet: materialise a partition first")
