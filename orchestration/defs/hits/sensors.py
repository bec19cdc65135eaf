"""Fresh reports within minutes: a run for each account whose landing folders
for its local today received files since the sensor last looked."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from dagster import (
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from orchestration.defs.accounts.registered import account_timezones
from orchestration.defs.partitions import ACCOUNT_DAY_JOB, accounts_partitions, run_tags
from touchline.landing.layout import landed_files, newest_file_by_day
from touchline.settings import get_settings, load_settings


def fresh_today(newest_by_day: dict, today, seen_until: float | None) -> tuple[bool, float | None]:
    """Whether today's folders have a file newer than the cursor, and the new cursor."""
    newest = newest_by_day.get(today)
    if newest is None:
        return False, seen_until
    stamp = newest.timestamp()
    return (seen_until is None or stamp > seen_until), max(stamp, seen_until or stamp)


def build_landing_sensor(job: JobDefinition | str = ACCOUNT_DAY_JOB):
    """The sensor, built when the definitions load (its interval is a setting);
    it starts ``job`` (the account_day job, or its name)."""
    target = {"job_name": job} if isinstance(job, str) else {"job": job}

    @sensor(
        name="landing_today",
        **target,
        minimum_interval_seconds=get_settings().landing_sensor_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Every few minutes, one run per account with newly landed hits for its "
        "local today, so reports are fresh within minutes (TOUCHLINE_LANDING_SENSOR_SECONDS).",
    )
    def landing_today(context: SensorEvaluationContext):
        accounts = context.instance.get_dynamic_partitions(accounts_partitions.name)
        if not accounts:
            return SkipReason("no accounts registered yet")
        cursor = json.loads(context.cursor) if context.cursor else {}
        zones = account_timezones()
        root = load_settings().resolved_landing_root
        now = datetime.now(timezone.utc)
        requests = []
        for account in sorted(accounts):
            tz = zones.get(account, "UTC")
            today = now.astimezone(ZoneInfo(tz)).date()
            newest = newest_file_by_day(landed_files(root, account), tz)
            fresh, cursor[account] = fresh_today(newest, today, cursor.get(account))
            if fresh:
                requests.append(
                    RunRequest(
                        run_key=f"landing:{account}:{today}:{cursor[account]}",
                        tags=run_tags(account, today, today, "landing"),
                    )
                )
        return SensorResult(run_requests=requests, cursor=json.dumps(cursor))

    return landing_today
