"""The nightly schedule: one range run per account.

Each account's run covers its local yesterday, every earlier day inside the
late-data window whose landing folders received files since that day was
last loaded (:mod:`orchestration.defs.hits.late_days`), and the longest
restatement window of its ad-platform connections (platforms restate recent
days), as ONE run with the partition-range tags. Days with late hits older
than the window are reported on the run (tag, metadata and log) with the
command that loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dagster import (
    DagsterInstance,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from orchestration.defs.accounts.registered import account_timezones
from orchestration.defs.ad_platforms.restatement import restatement_days
from orchestration.defs.hits.late_days import late_days_to_load
from orchestration.defs.partitions import (
    ACCOUNT_DAY_JOB,
    ACCOUNT_TAG,
    LATE_DAYS_TAG,
    accounts_partitions,
    run_tags,
)
from touchline.settings import load_settings


@dataclass(frozen=True)
class NightlyRange:
    start: date
    end: date
    late_days_outside_window: tuple[date, ...]


def nightly_range(
    today: date, late_days: Iterable[date], late_window_days: int, restatement_days: int = 0
) -> NightlyRange:
    """The one range a nightly run of an account covers: yesterday, every earlier
    day with late hits inside the late-data window, and the restatement window.
    Late days older than the window are returned to be reported, not loaded."""
    yesterday = today - timedelta(days=1)
    start = yesterday - timedelta(days=max(restatement_days - 1, 0))
    oldest_late = yesterday - timedelta(days=late_window_days)
    late = sorted(set(late_days))
    inside = [d for d in late if oldest_late <= d <= yesterday]
    outside = tuple(d for d in late if d < oldest_late)
    if inside:
        start = min(start, inside[0])
    return NightlyRange(start, yesterday, outside)


def nightly_run_request(
    account: str,
    today: date,
    late_days: Iterable[date],
    late_window_days: int,
    restatement_days: int = 0,
) -> RunRequest:
    """One run of ``account`` for its nightly range; the run key makes a retried
    tick never start the same account's night twice."""
    days = nightly_range(today, late_days, late_window_days, restatement_days)
    tags = run_tags(account, days.start, days.end, "nightly")
    if days.late_days_outside_window:
        tags[LATE_DAYS_TAG] = ",".join(d.isoformat() for d in days.late_days_outside_window)
    return RunRequest(run_key=f"nightly:{account}:{today.isoformat()}", tags=tags)


def nightly_run_requests(
    instance: DagsterInstance,
    accounts: Iterable[str],
    zones: Mapping[str, str],
    scheduled: datetime,
    landing_root: str,
    late_window_days: int,
    restatement: Callable[[str], int] = lambda account: 1,
) -> list[RunRequest]:
    requests = []
    for account in sorted(set(accounts)):
        tz = zones.get(account, "UTC")
        today = scheduled.astimezone(ZoneInfo(tz)).date()
        late = late_days_to_load(instance, landing_root, account, tz, today)
        requests.append(
            nightly_run_request(account, today, late, late_window_days, restatement(account))
        )
    return requests


@schedule(
    name="nightly_accounts",
    cron_schedule="30 2 * * *",
    execution_timezone="UTC",
    job_name=ACCOUNT_DAY_JOB,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night, one run per account: its local yesterday plus the days "
    "that received late hits within the late-data window.",
)
def nightly_accounts(context: ScheduleEvaluationContext):
    accounts = context.instance.get_dynamic_partitions(accounts_partitions.name)
    if not accounts:
        return SkipReason("no accounts registered yet")
    settings = load_settings()
    requests = nightly_run_requests(
        context.instance,
        accounts,
        account_timezones(),
        context.scheduled_execution_time,
        settings.resolved_landing_root,
        settings.late_data_days,
        lambda account: restatement_days(settings, account),
    )
    for request in requests:
        late = request.tags.get(LATE_DAYS_TAG)
        if late:
            account = request.tags[ACCOUNT_TAG]
            context.log.warning(
                f"{account}: hits landed for {late}, outside the {settings.late_data_days}-day"
                f" late-data window; load them with "
                f"touchline materialize {account} --start DAY --end DAY"
            )
    return requests
