"""Which of an account's days a run re-attributes (pure; see docs/attribution.md).

A sale's credits depend on the touches of the ``lookback`` days before it, on who
is who (the identity graph) and, for the data-driven models, on the fit of its
month, made on the journeys of the ``fit`` days up to the month's last day. So
the days a run loads can change the credits of later sales (up to
``lookback + fit - 1`` days later), and a person whose identity changed can
change the credits of sales from the first day that person's visitors were seen.
A run therefore restates whole months: from the month of its first day (or of
the earliest day of a visitor whose person changed) to the month of the last
day its days can reach, but never past the account's last day with data.
Every sale of a restated month is credited by one fit of that month, so the
order in which days are materialised never changes the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


def as_date(value: object) -> date:
    """A DATE column's value as a date, whatever the driver returns."""
    if type(value) is date:
        return value
    return date.fromisoformat(str(value)[:10])


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


@dataclass(frozen=True)
class Restatement:
    account: str
    start: date  # first day of a month
    end: date  # last day of a month

    @property
    def months(self) -> list[date]:
        out = []
        month = self.start
        while month <= self.end:
            out.append(month)
            month = month_end(month) + timedelta(days=1)
        return out


def restatement(
    account: str,
    first_day: date,
    last_day: date,
    lookback_days: int,
    fit_days: int,
    last_data_day: date | None = None,
    changed_days: tuple[date, date] | None = None,
) -> Restatement:
    """The months to re-attribute after loading ``first_day``..``last_day``.

    ``last_data_day`` is the account's latest day with hits (None: no later data);
    ``changed_days`` the first and last day of the visitors whose person changed.
    """
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    start, reach_from = first_day, last_day
    if changed_days is not None:
        start = min(start, changed_days[0])
        reach_from = max(reach_from, changed_days[1])
    reach = reach_from + timedelta(days=lookback_days + fit_days - 1)
    end = max(last_day, min(last_data_day or last_day, reach))
    return Restatement(account, month_start(start), month_end(end))
