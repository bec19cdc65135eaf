"""Query-string parameters of a report, checked against its definition."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from werkzeug.datastructures import MultiDict

from api.catalogue import ReportDefinition
from touchline.web_errors import JsonError

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Bounds the size of the IN (...) list a request can make us build.
MAX_FILTER_VALUES = 200


@dataclass(frozen=True)
class ReportParams:
    group_by: tuple[str, ...]
    date_gte: date | None = None
    date_lte: date | None = None
    equals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    account: str | None = None

    def filters_json(self, report: ReportDefinition) -> dict[str, object]:
        """The filters as applied, every key present so clients see the full shape."""
        out: dict[str, object] = {}
        if report.date_dimension is not None:
            name = report.date_dimension.name
            out[f"{name}__gte"] = self.date_gte.isoformat() if self.date_gte else None
            out[f"{name}__lte"] = self.date_lte.isoformat() if self.date_lte else None
        for dim in report.text_dimensions:
            values = self.equals.get(dim.name)
            out[dim.name] = list(values) if values else None
        return out


def allowed_parameters(report: ReportDefinition) -> list[str]:
    names = ["group_by", "account"]
    if report.date_dimension is not None:
        names += [f"{report.date_dimension.name}__gte", f"{report.date_dimension.name}__lte"]
    names += [d.name for d in report.text_dimensions]
    return names


def _single(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise JsonError(400, f"give {name} at most once")
    return values[0].strip() if values else None


def _parse_date(name: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    # date.fromisoformat alone would also take 20240105 and 2024-W01-5.
    try:
        if not _ISO_DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise JsonError(
            400, f"{name} must be an ISO date YYYY-MM-DD (for example 2025-01-31), not {value!r}"
        ) from None


def _split(values: list[str]) -> list[str]:
    """Repeated parameters and comma-separated lists are the same thing."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_params(report: ReportDefinition, args: MultiDict[str, str]) -> ReportParams:
    allowed = allowed_parameters(report)
    # A typo such as date_gte would otherwise silently return unfiltered data.
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise JsonError(
            400,
            f"unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}",
            allowed_parameters=allowed,
        )

    if "group_by" in args:
        group_by = _split(args.getlist("group_by"))
        if not group_by:
            raise JsonError(
                400,
                f"group_by needs at least one of {', '.join(report.dimension_names)}",
                allowed_group_by=list(report.dimension_names),
            )
    else:
        group_by = list(report.default_group_by)
    bad = [g for g in group_by if g not in report.dimension_names]
    if bad:
        raise JsonError(
            400,
            f"cannot group by {', '.join(map(repr, bad))}; "
            f"group_by takes a comma list of: {', '.join(report.dimension_names)}",
            allowed_group_by=list(report.dimension_names),
        )
    # Keep the definition's order (date before channel) so rows sort predictably.
    ordered = tuple(d for d in report.dimension_names if d in group_by)

    date_gte = date_lte = None
    if report.date_dimension is not None:
        name = report.date_dimension.name
        date_gte = _parse_date(f"{name}__gte", _single(args, f"{name}__gte"))
        date_lte = _parse_date(f"{name}__lte", _single(args, f"{name}__lte"))
        if date_gte and date_lte and date_gte > date_lte:
            raise JsonError(400, f"{name}__gte ({date_gte}) is after {name}__lte ({date_lte})")

    equals: dict[str, tuple[str, ...]] = {}
    for dim in report.text_dimensions:
        values = _split(args.getlist(dim.name))
        if len(values) > MAX_FILTER_VALUES:
            raise JsonError(400, f"at most {MAX_FILTER_VALUES} values for {dim.name}")
        if values:
            equals[dim.name] = tuple(dict.fromkeys(values))  # dedupe, keep order

    return ReportParams(
        group_by=ordered,
        date_gte=date_gte,
        date_lte=date_lte,
        equals=equals,
        account=_single(args, "account") or None,
    )
