"""``compare=previous_period|previous_year``: which days to compare with, and
which row of that period each row of the asked period meets.

Rows meet on their grouped dimensions; the date bucket meets by its position in
its period (the 2nd week of this period meets the 2nd week of the previous one),
as Plausible and GA4 align comparison periods.
"""

from __future__ import annotations

from datetime import date, timedelta

from touchline.web_errors import JsonError


def previous_range(kind: str, low: date, high: date) -> tuple[date, date]:
    if kind == "previous_period":
        days = (high - low).days + 1
        return low - timedelta(days=days), low - timedelta(days=1)
    return _year_before(low), _year_before(high)


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def require_closed(dimension: str | None, low: date | None, high: date | None) -> None:
    if dimension is None:
        raise JsonError(400, "compare needs a report with a date dimension", parameter="compare")
    if low is None or high is None:
        raise JsonError(
            400,
            f"compare needs a closed date range: give {dimension}__gte and {dimension}__lte "
            f"(or {dimension}__range=<first>,<last>)",
            parameter="compare",
        )


def week_start_of(day: date, week_start: int) -> date:
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def bucket_index(day: date, period_start: date, grain: str, week_start: int) -> int:
    """Position of the bucket ``day`` starts among the buckets of a period."""
    if grain == "week":
        return (day - week_start_of(period_start, week_start)).days // 7
    if grain == "month":
        return (day.year * 12 + day.month) - (period_start.year * 12 + period_start.month)
    return (day - period_start).days
