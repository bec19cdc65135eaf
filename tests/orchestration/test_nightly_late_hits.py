"""The nightly schedule over real landed files, a real Dagster instance and real
dbt runs on DuckDB: late hits are picked up, too-late ones are reported."""

from __future__ import annotations

import os
import time
import uuid
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from dagster import AssetKey, build_schedule_context

from orchestration.defs.partitions import RANGE_END_TAG, RANGE_START_TAG
from orchestration.local_runs import QUIET_RUN_CONFIG, materialize_range
from touchline.contract import LandedHit
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.landing import LandingWriter
from touchline.warehouse import Warehouse

SCHEDULED = datetime(2026, 11, 22, 2, 30, tzinfo=timezone.utc)
YESTERDAY = date(2026, 11, 21)
LATE_DAY = date(2026, 11, 18)  # inside the 7-day window
TOO_OLD = date(2026, 10, 30)  # outside it


def land_visits(settings, day: date, visitors: int, prefix: str, hour: int = 12) -> None:
    """``visitors`` one-pageview visits at ``hour`` UTC of ``day``, one new file."""
    writer = LandingWriter(settings.resolved_landing_root, instance=f"{prefix}-{uuid.uuid4().hex}")
    hits = []
    for n in range(visitors):
        at = datetime(day.year, day.month, day.day, hour, n, tzinfo=timezone.utc)
        hits.append(
            LandedHit(
                hit_id=str(uuid.uuid4()),
                type="pageview",
                account="acme",
                event_at=at,
                received_at=at,
                visitor_id=f"{prefix}-{n}",
                url="https://shop.example.com/",
            )
        )
    writer.write(hits)


def sessions_on(warehouse: Warehouse, day: date) -> int:
    rows = warehouse.query(
        "SELECT coalesce(sum(sessions), 0) AS n FROM fct_channel_daily "
        "WHERE account = 'acme' AND date_day = ?",
        [day],
    )
    return int(rows[0]["n"])


def test_late_hits_are_loaded_by_the_next_nightly_and_too_late_ones_reported(
    settings, pipeline
) -> None:
    with session_scope(settings.resolved_control_db_url) as session:
        registry.create_account(session, "acme", "Acme", "UTC", "EUR", ["shop.example.com"])
    warehouse = Warehouse(settings.resolved_warehouse_url)

    instance = pipeline
    land_visits(settings, LATE_DAY, 4, "early")
    land_visits(settings, YESTERDAY, 2, "y")
    first = materialize_range("acme", LATE_DAY, YESTERDAY, instance)
    assert first.success
    assert sessions_on(warehouse, LATE_DAY) == 4

    time.sleep(1.1)  # file times must be later than the load, whatever their resolution
    land_visits(settings, LATE_DAY, 3, "late")
    land_visits(settings, TOO_OLD, 5, "old")

    schedule = _defs().resolve_schedule_def("nightly_accounts")
    context = build_schedule_context(
        instance=instance,
        scheduled_execution_time=SCHEDULED,
        repository_def=_defs().get_repository_def(),
    )
    instance.add_dynamic_partitions("account", ["acme"])
    requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert len(requests) == 1
    request = requests[0]
    assert request.tags[RANGE_START_TAG] == f"acme|{LATE_DAY}"
    assert request.tags[RANGE_END_TAG] == f"acme|{YESTERDAY}"
    assert request.tags["touchline/late_days_outside_window"] == TOO_OLD.isoformat()

    job = _defs().resolve_job_def(request.job_name or "account_day")
    result = job.execute_in_process(
        instance=instance, tags=request.tags, run_config=QUIET_RUN_CONFIG
    )
    assert result.success
    # the late hits are in the report now, the day after too, and only once
    assert sessions_on(warehouse, LATE_DAY) == 7
    assert sessions_on(warehouse, YESTERDAY) == 2
    # the too-old day is not loaded, and the run says so where an engineer looks
    assert sessions_on(warehouse, TOO_OLD) == 0
    records = instance.fetch_materializations(AssetKey("raw_hits"), limit=50).records
    run_records = [r for r in records if r.run_id == result.run_id]
    assert run_records
    assert all(
        r.asset_materialization.metadata["late_days_not_loaded"].value == TOO_OLD.isoformat()
        for r in run_records
    )
    logs = [
        e.user_message
        for e in instance.all_logs(result.run_id)
        if "outside the late-data window" in (e.user_message or "")
    ]
    assert logs and "touchline materialize" in logs[0]

    # a second tick the same night starts nothing new
    again = schedule.evaluate_tick(context).run_requests or []
    assert [r.run_key for r in again] == [request.run_key]
    assert os.path.exists(settings.resolved_landing_root)


def _defs():
    from orchestration.definitions import defs

    return defs


def test_landing_sensor_starts_a_run_for_todays_new_hits_once(settings) -> None:
    from dagster import build_sensor_context, instance_for_test

    from orchestration.defs.hits.sensors import build_landing_sensor

    with session_scope(settings.resolved_control_db_url) as session:
        registry.create_account(session, "acme", "Acme", "Asia/Tokyo", "JPY", [])
        registry.create_account(session, "idle", "Idle", "UTC", "EUR", [])
    sensor = build_landing_sensor(_defs().resolve_job_def("account_day"))
    today_tokyo = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("account", ["acme", "idle"])
        first = sensor.evaluate_tick(build_sensor_context(instance=instance))
        assert first.run_requests == []
        now = datetime.now(timezone.utc)
        land_visits(settings, now.date(), 2, "now", hour=now.hour)
        second = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=first.cursor))
        assert [r.tags["touchline/account"] for r in second.run_requests] == ["acme"]
        assert second.run_requests[0].tags[RANGE_START_TAG] == f"acme|{today_tokyo}"
        third = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=second.cursor))
        assert third.run_requests == []


def test_nightly_covers_each_accounts_restatement_window_in_one_run(settings) -> None:
    """3 accounts with 2 platforms each and a 28-day restatement window: 3 runs."""
    from dagster import instance_for_test

    from touchline.control import connections

    secret = settings.secret_key.get_secret_value()
    with session_scope(settings.resolved_control_db_url) as session:
        for n, slug in enumerate(("a1", "a2", "a3")):
            registry.create_account(session, slug, slug, "UTC", "EUR", [])
            for platform, external in (("google_ads", f"123456789{n}"), ("meta", f"act_{n}9")):
                connections.add_connection(
                    session,
                    secret,
                    slug,
                    platform,
                    external,
                    {"access_token": "x"},
                    {"restatement_days": 28},
                )
        registry.create_account(session, "plain", "plain", "UTC", "EUR", [])
    schedule = _defs().resolve_schedule_def("nightly_accounts")
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("account", ["a1", "a2", "a3", "plain"])
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=SCHEDULED,
            repository_def=_defs().get_repository_def(),
        )
        requests = list(schedule.evaluate_tick(context).run_requests or [])
    spans = {
        r.tags["touchline/account"]: (r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG])
        for r in requests
    }
    assert spans == {
        "a1": ("a1|2026-10-25", "a1|2026-11-21"),
        "a2": ("a2|2026-10-25", "a2|2026-11-21"),
        "a3": ("a3|2026-10-25", "a3|2026-11-21"),
        "plain": ("plain|2026-11-21", "plain|2026-11-21"),
    }
