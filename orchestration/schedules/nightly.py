"""The nightly schedule: one run per account for yesterday."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from orchestration.partitions import account_day_key, account_day_partitions, accounts_partitions


def build_account_day_job(*assets):
    """Everything partitioned by account and day, in dependency order."""
    return define_asset_job(
        name="account_day",
        selection=AssetSelection.assets(*assets),
        partitions_def=account_day_partitions,
        description="Load one account's landed hits for one day and build its report rows.",
    )


def nightly_run_requests(accounts: Iterable[str], scheduled: datetime) -> list[RunRequest]:
    """One run per account for the day before ``scheduled`` (UTC), each with its own
    run key so a retried tick never starts the same account-day twice."""
    day: date = (scheduled - timedelta(days=1)).date()
    return [
        RunRequest(
            run_key=f"nightly:{account}:{day.isoformat()}",
            partition_key=account_day_key(account, day),
            tags={"touchline/account": account, "touchline/trigger": "nightly"},
        )
        for account in sorted(set(accounts))
    ]


def build_nightly_schedule(job):
    @schedule(
        name="nightly_accounts",
        cron_schedule="30 2 * * *",
        execution_timezone="UTC",
        job=job,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Every night, one run per account materialises yesterday.",
    )
    def nightly_accounts(context: ScheduleEvaluationContext):
        accounts = context.instance.get_dynamic_partitions(accounts_partitions.name)
        if not accounts:
            return SkipReason("no accounts registered yet")
        return nightly_run_requests(accounts, context.scheduled_execution_time)

    return nightly_accounts
