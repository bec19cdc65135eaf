"""Pull + load time of the nightly's connector work against the local fakes:
N accounts × 2 platforms × a restatement window, on a fresh DuckDB warehouse.

    .venv/bin/python bench/connectors_pull.py                       # 3 accounts, 28 days
    .venv/bin/python bench/connectors_pull.py --accounts 1 --days 7 --campaigns 4
    .venv/bin/python bench/connectors_pull.py --nightly          # the nightly tick, end to end

Measures the connector side only (HTTP/gRPC to the fakes, paging, parsing,
the set-based replace); the Dagster range run and dbt come on top. The fakes
page by 3 rows, so a 28-day window with 20 campaigns is ~190 pages per
platform: far more round trips than the real APIs need.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date, timedelta


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--platforms", default="google_ads,meta")
    parser.add_argument(
        "--nightly",
        action="store_true",
        help="run the nightly schedule's tick and every run it asks for (pull, load, dbt)",
    )
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="touchline-bench-")
    os.environ["TOUCHLINE_DATA_DIR"] = tmp
    os.environ.setdefault("TOUCHLINE_SECRET_KEY", "bench-secret")

    from connectors.runner import pull_account
    from demo.fakes.server import FakePlatforms
    from touchline.control import connections as store
    from touchline.control import registry
    from touchline.control.db import migrate, session_scope
    from touchline.settings import load_settings

    settings = load_settings()
    migrate(settings.resolved_control_db_url)
    platforms = args.platforms.split(",")
    end = date.today() - timedelta(days=1)
    days = [end - timedelta(days=i) for i in range(args.days)][::-1]
    with FakePlatforms() as fakes, session_scope(settings.resolved_control_db_url) as session:
        for a in range(args.accounts):
            slug = f"bench{a}"
            registry.create_account(session, slug)
            for p in platforms:
                ext = f"{7000000 + a}"
                secrets = fakes.add_account(p, ext, campaigns=args.campaigns)
                store.add_connection(
                    session,
                    settings.secret_key.get_secret_value(),
                    slug,
                    p,
                    ext,
                    secrets,
                    {
                        **fakes.connection_settings(p),
                        "customer_id": "1",
                        "restatement_days": args.days,
                    },
                )
        session.commit()
        if args.nightly:
            nightly(settings, [f"bench{a}" for a in range(args.accounts)], args.days)
            return
        rows = 0
        started = time.perf_counter()
        for a in range(args.accounts):
            for p in platforms:
                t0 = time.perf_counter()
                pull = pull_account(settings, p, f"bench{a}", days)
                assert pull.ok, pull.error
                rows += pull.summary.rows
                print(f"bench{a} {p}: {pull.summary.rows} rows in {time.perf_counter() - t0:.2f} s")
        total = time.perf_counter() - started
    print(
        f"{args.accounts} accounts x {len(platforms)} platforms x {args.days} days: "
        f"{rows} rows in {total:.2f} s"
    )


def nightly(settings, accounts: list[str], days: int) -> None:
    """One tick of the nightly schedule, then each run it requested, in process."""
    from datetime import datetime, timezone

    from dagster import build_schedule_context

    from orchestration.definitions import defs
    from orchestration.defs.partitions import RANGE_END_TAG, RANGE_START_TAG
    from orchestration.local_runs import (
        QUIET_RUN_CONFIG,
        dbt_output_to,
        ensure_views,
        local_instance,
        register_accounts,
    )

    job = defs.resolve_job_def("account_day")
    log = settings.data_dir / "nightly-dbt.log"
    with local_instance(settings) as instance, dbt_output_to(log):
        register_accounts(instance, accounts)
        ensure_views(instance, settings.resolved_warehouse_url, rebuilt=True, log_path=log)
        schedule = defs.resolve_schedule_def("nightly_accounts")
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime.now(timezone.utc),
            repository_def=defs.get_repository_def(),
        )
        started = time.perf_counter()
        requests = list(schedule.evaluate_tick(context).run_requests or [])
        tick = time.perf_counter() - started
        spans = []
        for request in requests:
            t0 = time.perf_counter()
            result = job.execute_in_process(
                instance=instance, tags=request.tags, run_config=QUIET_RUN_CONFIG
            )
            assert result.success, request.tags
            span = (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG])
            spans.append(span)
            print(f"  run {span[0]} .. {span[1]}: {time.perf_counter() - t0:.1f} s", flush=True)
        total = time.perf_counter() - started
    print(
        f"nightly tick, {len(accounts)} accounts x 2 platforms, {days}-day restatement: "
        f"{len(requests)} runs, tick {tick:.2f} s, all runs {total:.1f} s"
    )


if __name__ == "__main__":
    main()
