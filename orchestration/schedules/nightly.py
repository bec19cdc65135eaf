"""The nightly schedule: one range run per account.

Each account's run covers its local yesterday, every earlier day inside the
late-data window whose landing folders received files since that day was
last loaded, and the longest restatement window of its ad-platform
connections (platforms restate recent days), as ONE run with
the partition-range tags. Days with late hits older than the window are
reported on the run (tag, metadata and log) with the command that loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    DagsterInstance,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    schedule,
)

from orchestration.ad_platforms.restatement import restatement_days
from orchestration.hits.assets import LATE_DAYS_TAG
from orchestration.partitions import (
    account_day_key,
    account_day_partitions,
    accounts_partitions,
    range_tags,
)
from orchestration.schedules.late_hits import (
    days_needing_load,
    landed_files,
    newest_file_by_day,
    nightly_range,
)
from touchline.control.db import session_scope
from touchline.control.registry import list_accounts
from touchline.settings import load_settings
from touchline.warehouse import RAW_HITS_TABLE


def build_account_day_job(*assets):
    """Everything partitioned by account and day, in dependency order, in one
    process: a step per process would cost seconds each."""
    return define_asset_job(
        name="account_day",
        selection=AssetSelection.assets(*assets),
        partitions_def=account_day_partitions,
        executor_def=in_process_executor,
        description="Load accounts' landed hits for a range of local days and build their "
        "report rows, in one run.",
    )


def account_timezones() -> dict[str, str]:
    with session_scope(load_settings().resolved_control_db_url) as session:
        return {a.slug: a.timezone for a in list_accounts(session)}


def last_loaded(
    instance: DagsterInstance, account: str, days: Sequence[date]
) -> dict[date, datetime]:
    """When each day's raw_hits partition was last materialised."""
    if not days:
        return {}
    keys = [str(account_day_key(account, d)) for d in days]
    result = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(RAW_HITS_TABLE), asset_partitions=keys),
        limit=max(len(keys) * 5, 100),
    )
    loaded: dict[date, datetime] = {}
    for record in result.records:
        day = date.fromisoformat(record.partition_key.split("|")[-1])
        at = datetime.fromtimestamp(record.timestamp, tz=timezone.utc)
        if day not in loaded or at > loaded[day]:
            loaded[day] = at
    return loaded


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
    tags = {
        **range_tags(account, days.start, days.end),
        "touchline/account": account,
        "touchline/trigger": "nightly",
    }
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
        newest = newest_file_by_day(landed_files(landing_root, account), tz)
        earlier = sorted(d for d in newest if d < today)
        late = days_needing_load(newest, last_loaded(instance, account, earlier), before=today)
        requests.append(
            nightly_run_request(account, today, late, late_window_days, restatement(account))
        )
    return requests


def build_nightly_schedule(job):
    @schedule(
        name="nightly_accounts",
        cron_schedule="30 2 * * *",
        execution_timezone="UTC",
        job=job,
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
                account = request.tags["touchline/account"]
                context.log.warning(
                    f"{account}: hits landed for {late}, outside the {settings.late_data_days}-day"
                    f" late-data window; load them with "
                    f"touchline materialize {account} --start DAY --end DAY"
                )
        return requests

    return nightly_accounts
