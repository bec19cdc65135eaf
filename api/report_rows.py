"""Rows as the API answers them: typed JSON values, keyed by field names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from api.catalogue import Report


def json_value(value: Any, type_: str = "number") -> Any:
    """One value for JSON (and CSV): dates as ISO text, decimals as numbers.

    DuckDB sums integers to HUGEINT (int) and decimals to DECIMAL, MySQL to
    DECIMAL; a DECIMAL becomes an int when whole, else a float (the amounts
    have 6 decimal places, far inside a float's precision).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if type_ == "date" else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if type_ == "boolean":
        return bool(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer() and type_ == "number":
        return value
    return value


def field_type(report: Report, name: str) -> str:
    if name in report.dimensions:
        return report.dimensions[name].type
    return report.metrics[name].type


def shape(report: Report, names: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    return {
        name: json_value(value, field_type(report, name))
        for name, value in zip(names, row, strict=False)
    }


def change(current: Any, previous: Any) -> float | None:
    """Relative change, (current - previous) / previous; None when it has no meaning."""
    if not isinstance(current, (int, float)) or not isinstance(previous, (int, float)):
        return None
    if isinstance(current, bool) or previous == 0:
        return None
    return (current - previous) / abs(previous)
