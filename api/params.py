"""A report's query string, checked against the catalogue and normalised.

Filters use Tastypie's spelling: ``field__<op>=value`` (bare ``field=value`` is
``exact``) and ``field__not_<op>=value`` for the negation, which keeps NULL rows
as Django's ``exclude()`` does (``not_isnull`` aside). Anything unknown is a 400
that names it; the values are parsed to their dimension's type here, so SQL
only ever binds typed values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from werkzeug.datastructures import MultiDict

from api.catalogue import Dimension, Report
from touchline.web_errors import JsonError

Grain = Literal["day", "week", "month"]
Compare = Literal["previous_period", "previous_year"]

GRAINS = ("day", "week", "month")
COMPARES = ("previous_period", "previous_year")
FORMATS = ("json", "csv")
DEFAULT_LIMIT = 1000
MAX_LIMIT = 100_000
# Bounds the size of an IN (...) list a request can make us build.
MAX_FILTER_VALUES = 500
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?Z?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Filter:
    dimension: str
    operator: str  # exact, in, gt, ... (without not_)
    negated: bool
    values: tuple[Any, ...]  # typed; isnull: (True,) or (False,); range: (low, high)

    @property
    def parameter(self) -> str:
        return f"{self.dimension}__{'not_' if self.negated else ''}{self.operator}"


@dataclass(frozen=True)
class OrderBy:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class ReportQuery:
    report: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...]
    filters: tuple[Filter, ...]
    grain: Grain = "day"
    order_by: tuple[OrderBy, ...] = ()
    limit: int | None = DEFAULT_LIMIT
    offset: int = 0
    compare: Compare | None = None
    format: Literal["json", "csv"] = "json"

    def date_range(self, dimension: str) -> tuple[date | None, date | None]:
        """The closed range the filters give the date dimension (None where open)."""
        low: date | None = None
        high: date | None = None
        for f in self.filters:
            if f.dimension != dimension or f.negated:
                continue
            if f.operator in ("gte", "range", "exact"):
                low = max(low, f.values[0]) if low else f.values[0]
            if f.operator == "gt":
                nxt = f.values[0] + timedelta(days=1)
                low = max(low, nxt) if low else nxt
            if f.operator in ("lte", "exact") or f.operator == "range":
                value = f.values[-1]
                high = min(high, value) if high else value
            if f.operator == "lt":
                prev = f.values[0] - timedelta(days=1)
                high = min(high, prev) if high else prev
        return low, high

    def pinned(self, dimension: str) -> bool:
        """True when the filters leave at most one value of ``dimension``."""
        return any(
            f.dimension == dimension
            and not f.negated
            and (f.operator == "exact" or (f.operator == "in" and len(f.values) == 1))
            for f in self.filters
        )

    def normalised(self) -> dict[str, Any]:
        """The query as applied, one spelling per meaning: echoed in answers and
        hashed into the ETag."""
        return {
            "metrics": list(self.metrics),
            "group_by": list(self.group_by),
            "grain": self.grain,
            "filters": [
                {"parameter": f.parameter, "values": [_plain(v) for v in f.values]}
                for f in sorted(self.filters, key=lambda f: (f.parameter, repr(f.values)))
            ],
            "order_by": [("-" if o.descending else "") + o.field for o in self.order_by],
            "limit": self.limit,
            "offset": self.offset,
            "compare": self.compare,
        }

    def cache_key(self) -> str:
        return json.dumps(
            {"report": self.report, "format": self.format, **self.normalised()}, sort_keys=True
        )


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _split(values: list[str]) -> list[str]:
    """Repeated parameters and comma-separated lists are the same thing."""
    return [part.strip() for value in values for part in value.split(",")]


def _single(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise JsonError(400, f"give {name} at most once", parameter=name)
    return values[0].strip() if values else None


def parse_value(dim: Dimension, parameter: str, text: str) -> Any:
    """``text`` as a value of ``dim``'s type; a 400 naming the parameter otherwise."""

    def bad(expected: str) -> JsonError:
        return JsonError(
            400, f"{parameter}: {text!r} is not {expected}", parameter=parameter, value=text
        )

    if dim.type == "string":
        if text == "" or len(text) > 1000:
            raise bad("a non-empty text of at most 1000 characters")
        return text
    if dim.type == "date":
        try:
            if not _ISO_DATE.match(text):
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            raise bad("an ISO date YYYY-MM-DD (for example 2025-01-31)") from None
    if dim.type == "timestamp":
        try:
            if not _ISO_DATETIME.match(text):
                raise ValueError
            return datetime.fromisoformat(text.replace("Z", "").replace(" ", "T"))
        except ValueError:
            raise bad("an ISO time YYYY-MM-DDTHH:MM:SS (UTC)") from None
    if dim.type == "number":
        if not _NUMBER.match(text) or len(text) > 30:
            raise bad("a number") from None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise bad("a number") from None
        return int(number) if number == number.to_integral_value() else number
    # boolean
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise bad("true or false")


def _boolean(parameter: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise JsonError(
        400, f"{parameter}: {text!r} is not true or false", parameter=parameter, value=text
    )


def _filter(report: Report, parameter: str, texts: list[str]) -> Filter:
    name, _, op = parameter.partition("__")
    dim = report.dimensions.get(name)
    if dim is None:
        raise JsonError(
            400,
            f"unknown parameter or field {parameter!r}: {report.name} filters on "
            f"{', '.join(report.dimensions)}",
            parameter=parameter,
            allowed_fields=list(report.dimensions),
        )
    op = op or "exact"
    negated = op.startswith("not_")
    base = op[4:] if negated else op
    if base not in dim.operators:
        raise JsonError(
            400,
            f"unknown operator {op!r} in {parameter!r}: {name} takes "
            f"{', '.join(dim.operators)} (each also as not_<operator>)",
            parameter=parameter,
            allowed_operators=list(dim.operators),
        )
    if base in ("in", "range"):
        parts = _split(texts)
    else:
        if len(texts) != 1:
            raise JsonError(
                400,
                f"give {parameter} once (for several values use {name}__in)",
                parameter=parameter,
            )
        parts = [texts[0].strip() if dim.type != "string" else texts[0]]
    if base == "isnull":
        return Filter(name, base, negated, (_boolean(parameter, parts[0]),))
    if base == "range" and len(parts) != 2:
        raise JsonError(
            400, f"{parameter} takes two values, low,high (both included)", parameter=parameter
        )
    if len(parts) > MAX_FILTER_VALUES:
        raise JsonError(400, f"at most {MAX_FILTER_VALUES} values for {parameter}")
    values = tuple(dict.fromkeys(parse_value(dim, parameter, p) for p in parts))
    if base == "range" and values[0] > values[-1]:
        raise JsonError(400, f"{parameter}: {parts[0]} is after {parts[1]}", parameter=parameter)
    if base in ("contains", "icontains", "startswith") and not values[0]:
        raise JsonError(400, f"{parameter} needs a non-empty text", parameter=parameter)
    return Filter(name, base, negated, values)


def _int(args: MultiDict[str, str], name: str, default: int | None, maximum: int) -> int | None:
    text = _single(args, name)
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) > maximum:
        raise JsonError(
            400, f"{name} must be a whole number from 0 to {maximum}, not {text!r}", parameter=name
        )
    return int(text)


def _names(args: MultiDict[str, str], name: str) -> list[str] | None:
    if name not in args:
        return None
    return [p for p in _split(args.getlist(name)) if p]


def _choice(args: MultiDict[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    text = _single(args, name)
    if text is None or text == "":
        return None
    if text not in choices:
        raise JsonError(
            400,
            f"{name} must be one of {', '.join(choices)}, not {text!r}",
            parameter=name,
            value=text,
        )
    return text


def parse_query(
    report: Report, args: MultiDict[str, str], format: str | None = None
) -> ReportQuery:
    filters = tuple(
        _filter(report, key, args.getlist(key))
        for key in sorted(args)
        if key not in ("metrics", "group_by", "grain", "order_by", "limit", "offset")
        and key not in ("compare", "format", "account")
    )

    group_by = _names(args, "group_by")
    if group_by is None:
        group_by = list(report.default_group_by)
    unknown = [g for g in group_by if g not in report.dimensions]
    if unknown:
        raise JsonError(
            400,
            f"cannot group by {', '.join(map(repr, unknown))}: unknown field; "
            f"group_by takes a comma list of {', '.join(report.dimensions)}",
            parameter="group_by",
            allowed_group_by=list(report.dimensions),
        )
    group_by = list(dict.fromkeys(group_by))

    grain = _choice(args, "grain", GRAINS) or "day"
    if grain != "day" and report.date_dimension not in group_by:
        raise JsonError(
            400,
            f"grain={grain} buckets {report.date_dimension or 'a date'}: "
            + (
                f"add {report.date_dimension} to group_by"
                if report.date_dimension
                else f"{report.name} has no date dimension"
            ),
            parameter="grain",
        )

    explicit = _names(args, "metrics")
    exact_rows = _full_grain(report, group_by, grain)
    # By default every metric this grouping can give exactly.
    metrics = (
        explicit
        if explicit is not None
        else [m.name for m in report.metrics.values() if m.additive or exact_rows]
    )
    unknown = [m for m in metrics if m not in report.metrics]
    if unknown or not metrics:
        raise JsonError(
            400,
            f"unknown metric(s) {', '.join(map(repr, unknown))}; "
            f"metrics takes a comma list of {', '.join(report.metrics)}",
            parameter="metrics",
            allowed_metrics=list(report.metrics),
        )
    metrics = list(dict.fromkeys(metrics))

    order_by = []
    for text in _names(args, "order_by") or []:
        descending = text.startswith("-")
        name = text.lstrip("-")
        if name not in group_by and name not in metrics:
            raise JsonError(
                400,
                f"cannot order by {name!r}: order_by takes fields of group_by or metrics "
                f"({', '.join([*group_by, *metrics])}), '-' before one for descending",
                parameter="order_by",
            )
        order_by.append(OrderBy(name, descending))

    fmt = format or _choice(args, "format", FORMATS) or "json"
    # CSV is an export: all rows unless a limit is asked for.
    default_limit = None if fmt == "csv" else DEFAULT_LIMIT
    query = ReportQuery(
        report=report.name,
        metrics=tuple(metrics),
        group_by=tuple(group_by),
        filters=filters,
        grain=grain,  # type: ignore[arg-type]
        order_by=tuple(order_by),
        limit=_int(args, "limit", default_limit, MAX_LIMIT),
        offset=_int(args, "offset", 0, 10**9) or 0,
        compare=_choice(args, "compare", COMPARES),  # type: ignore[arg-type]
        format=fmt,  # type: ignore[arg-type]
    )
    _check_metrics(report, query)
    return query


def _check_metrics(report: Report, query: ReportQuery) -> None:
    """Refuse what cannot be computed exactly, saying why."""
    loose = [d for d in report.one_value_of if d not in query.group_by and not query.pinned(d)]
    if loose:
        dim = loose[0]
        raise JsonError(
            400,
            f"{report.name} holds one row per {dim}, each crediting the same sales: adding "
            f"them up would count every sale once per {dim}. Group by {dim} or filter "
            f"{dim}=<one value>.",
            parameter="group_by",
        )
    if not full_grain(report, query):
        bad = [m for m in query.metrics if not report.metrics[m].additive]
        if bad:
            raise JsonError(
                400,
                f"{', '.join(bad)} cannot be added across rows of {report.table} (each row "
                f"counts distinct values of its own {' x '.join(report.grain)}, so a value "
                f"seen on two rows would count twice): ask for it grouped by "
                f"{', '.join(report.grain)} at grain=day, or leave it out of metrics",
                parameter="metrics",
                non_additive=bad,
            )


def full_grain(report: Report, query: ReportQuery) -> bool:
    """True when each result row is one row of the mart (non-additive metrics are exact)."""
    return _full_grain(report, query.group_by, query.grain)


def _full_grain(report: Report, group_by: Any, grain: str) -> bool:
    return set(report.grain) <= set(group_by) and grain == "day"


def default_metrics_note(report: Report) -> str | None:
    bad = [m for m in report.metrics.values() if not m.additive]
    if not bad:
        return None
    return (
        f"{', '.join(m.name for m in bad)}: distinct counts per "
        f"{' x '.join(report.grain)}, never summed; available grouped by "
        f"{', '.join(report.grain)} at grain=day"
    )
