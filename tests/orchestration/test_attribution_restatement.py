"""Which months a run re-attributes (orchestration.defs.attribution.plan)."""

from __future__ import annotations

from datetime import date

import pytest

from orchestration.defs.attribution.plan import month_end, restatement


def test_a_nightly_run_restates_its_month_only() -> None:
    plan = restatement("acme", date(2026, 11, 21), date(2026, 11, 21), 30, 90, date(2026, 11, 21))
    assert (plan.start, plan.end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert plan.months == [date(2026, 11, 1)]


def test_later_months_that_the_days_can_affect_are_restated_up_to_the_last_data() -> None:
    # Backfilling August when data runs to late November: a sale in August's
    # lookback reaches into September's fits (fit window 90 days + lookback 30).
    plan = restatement("acme", date(2026, 8, 10), date(2026, 8, 12), 30, 90, date(2026, 11, 20))
    assert plan.start == date(2026, 8, 1)
    assert plan.end == date(2026, 11, 30)  # Aug 12 + 119 days = Dec 9, capped at the data
    # ... but never further than lookback + fit - 1 days after the last day loaded
    plan = restatement("acme", date(2026, 1, 10), date(2026, 1, 10), 30, 90, date(2026, 11, 20))
    assert plan.end == date(2026, 5, 31)  # Jan 10 + 119 days = May 9
    # no later data: only the run's months
    plan = restatement("acme", date(2026, 1, 30), date(2026, 2, 2), 30, 90, None)
    assert plan.months == [date(2026, 1, 1), date(2026, 2, 1)]


def test_a_person_who_changed_reaches_back_to_their_first_day() -> None:
    plan = restatement(
        "acme",
        date(2026, 11, 21),
        date(2026, 11, 21),
        30,
        90,
        date(2026, 11, 21),
        changed_days=(date(2026, 6, 3), date(2026, 11, 21)),
    )
    assert plan.start == date(2026, 6, 1) and plan.end == date(2026, 11, 30)
    assert len(plan.months) == 6


def test_month_end_and_bad_ranges() -> None:
    assert month_end(date(2028, 2, 10)) == date(2028, 2, 29)
    assert month_end(date(2026, 12, 31)) == date(2026, 12, 31)
    with pytest.raises(ValueError):
        restatement("acme", date(2026, 2, 2), date(2026, 2, 1), 30, 90)
