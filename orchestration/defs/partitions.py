"""Account × day partitions shared by every account-scoped asset, the small
pure functions that turn a run's partition keys into ranges, and what a run
of them is tagged and queued with: the run tags and the pools.

The ``date`` is the account's LOCAL calendar day (its time zone is on the
account): ad platforms report spend per day in the ad account's time zone.

The unit of work is a range run: one run covers a set of accounts × a
contiguous range of days. A run started by the schedule or the CLI covers one
account; a UI backfill may hand any rectangle, so the asset code never
assumes one account or one day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from dagster import (
    BackfillPolicy,
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
)

from touchline.settings import get_settings

ACCOUNT_DIMENSION = "account"
DATE_DIMENSION = "date"

# The job every account × day asset belongs to (definitions of the domains name it).
ACCOUNT_DAY_JOB = "account_day"

# Run tags. A range run is started by these two (``RunRequest(partition_key_range=...)``
# is silently ignored); the others say whose run it is and what started it.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
ACCOUNT_TAG = "touchline/account"
TRIGGER_TAG = "touchline/trigger"
# Days whose hits landed after the late-data window closed: reported, never loaded silently.
LATE_DAYS_TAG = "touchline/late_days_outside_window"

# Pools (Dagster concurrency). Every step that writes or reads the warehouse shares
# one: DuckDB admits one writer per file (the limit is in lib/dagster_home.py).
WAREHOUSE_POOL = "warehouse"


def ad_platform_pool(platform: str) -> str:
    """Each ad platform's API has its own pool, so its rate limits are its own."""
    return f"ad_platform_{platform}"


accounts_partitions = DynamicPartitionsDefinition(name=ACCOUNT_DIMENSION)
daily_partitions = DailyPartitionsDefinition(
    start_date=get_settings().daily_partitions_start, timezone="UTC"
)
account_day_partitions = MultiPartitionsDefinition(
    {ACCOUNT_DIMENSION: accounts_partitions, DATE_DIMENSION: daily_partitions}
)

# Every account × day asset carries this same policy, so that a backfill of a
# range is one run in which parent and child share the step order.
ACCOUNT_DAY_BACKFILL_POLICY = BackfillPolicy.single_run()

# What an account × day asset that writes the warehouse passes to @asset / @multi_asset.
ACCOUNT_DAY_WRITER = {
    "partitions_def": account_day_partitions,
    "backfill_policy": ACCOUNT_DAY_BACKFILL_POLICY,
    "pool": WAREHOUSE_POOL,
}


def account_day_key(account: str, day: date | str) -> MultiPartitionKey:
    day_str = day if isinstance(day, str) else day.isoformat()
    return MultiPartitionKey({ACCOUNT_DIMENSION: account, DATE_DIMENSION: day_str})


def split_key(key: MultiPartitionKey | str) -> tuple[str, date]:
    """(account, day) of a partition key, whatever form Dagster hands it in."""
    if not isinstance(key, MultiPartitionKey):
        key = account_day_partitions.get_partition_key_from_str(key)
    dims = key.keys_by_dimension
    return dims[ACCOUNT_DIMENSION], date.fromisoformat(dims[DATE_DIMENSION])


@dataclass(frozen=True, order=True)
class DayRange:
    """A set of accounts and a contiguous range of their local days."""

    start: date
    end: date
    accounts: tuple[str, ...]

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def keys(self) -> list[str]:
        return [str(account_day_key(a, d)) for a in self.accounts for d in self.days]


def contiguous_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted distinct days as (first, last) runs of consecutive days."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def day_ranges(keys: Iterable[MultiPartitionKey | str]) -> list[DayRange]:
    """The run's partitions as few rectangles as possible: each account's days
    cut into contiguous runs, then accounts with the same run grouped.

    A one-account range gives one DayRange; an "all accounts × one day" UI
    rectangle gives one too; holes in the days give more than one.
    """
    days_by_account: dict[str, list[date]] = defaultdict(list)
    for key in keys:
        account, day = split_key(key)
        days_by_account[account].append(day)
    accounts_by_run: dict[tuple[date, date], list[str]] = defaultdict(list)
    for account, days in days_by_account.items():
        for run in contiguous_runs(days):
            accounts_by_run[run].append(account)
    return sorted(
        DayRange(start, end, tuple(sorted(accounts)))
        for (start, end), accounts in accounts_by_run.items()
    )


def range_tags(account: str, start: date, end: date) -> dict[str, str]:
    """Run tags that make one run of ``account``'s days from start to end.
    (``RunRequest(partition_key_range=...)`` is silently ignored: the tags work.)"""
    return {
        RANGE_START_TAG: str(account_day_key(account, start)),
        RANGE_END_TAG: str(account_day_key(account, end)),
    }


def run_tags(account: str, start: date, end: date, trigger: str) -> dict[str, str]:
    """The tags of one range run of ``account``'s days, started by ``trigger``
    (``nightly``, ``landing``, ``cli`` ...)."""
    return {**range_tags(account, start, end), ACCOUNT_TAG: account, TRIGGER_TAG: trigger}
