"""Range runs: what one run costs, and how it grows with the days it covers.

    .venv/bin/python bench/pipeline.py                       # DuckDB and MariaDB
    .venv/bin/python bench/pipeline.py --warehouses duckdb --skip-nightly

Per warehouse, in one invocation (each warehouse in its own child process,
because the Dagster definitions bind to one warehouse when they load):

* plain ``dbt build`` of one day of one account, run directly (the baseline);
* ``touchline materialize ACCOUNT --start D --end D`` as an operator runs it
  (a fresh process: imports, Dagster run, load, dbt), and the same for 14 and
  28 days — the ratios against one day and against plain dbt are printed;
* DuckDB only: a nightly for 20 accounts with late hits in 3 of them, through
  the schedule's own tick: the number of runs and the total time.

Loading 1,000,000 hits is measured by bench/loading.py. Results go in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MARIADB_ADMIN = os.environ.get(
    "TOUCHLINE_TEST_MYSQL_URL",
    "mysql+pymysql://touchline:tl-test-pw-4d1c@127.0.0.1:3306/touchline_test",
)
HITS_PER_DAY = 1_000


def land(settings, token: str, account: str, end, days: int, seed: int) -> int:
    """Simulated traffic for ``days`` days ending ``end``, landed as the collector would."""
    from demo.simulator import simulate
    from touchline.contract import IncomingHit
    from touchline.contract import land as land_hit
    from touchline.landing import LandingWriter

    sim = simulate(token, end, days=days, target_hits=HITS_PER_DAY * days, seed=seed)
    writer = LandingWriter(settings.resolved_landing_root, instance=f"bench-{uuid.uuid4().hex}")
    now = datetime.now(timezone.utc)
    batch = []
    for raw in sim.hits:
        hit = IncomingHit.model_validate({k: v for k, v in raw.items() if not k.startswith("_")})
        batch.append(
            land_hit(hit, account=account, received_at=now, ip=None, user_agent=None,
                     is_bot=False, dnt=False)
        )  # fmt: skip
    writer.write(batch)
    return len(batch)


def cli_seconds(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def child(out: Path, nightly: bool) -> None:
    """Runs inside a prepared environment (TOUCHLINE_* set by the parent)."""
    from touchline.control import registry
    from touchline.control.db import migrate, session_scope
    from touchline.dbt.invocation import DbtInvocation
    from touchline.dbt.runner import run_dbt, warehouse_target
    from touchline.settings import get_settings

    settings = get_settings()
    migrate(settings.resolved_control_db_url)
    with session_scope(settings.resolved_control_db_url) as session:
        account = registry.create_account(session, "bench")
    end = datetime.now(timezone.utc).date() - timedelta(days=1)
    result: dict[str, float] = {"hits": land(settings, account.tracking_token, "bench", end, 28, 3)}
    cli_seconds("prepare")
    target = warehouse_target(settings)
    DbtInvocation(target).export()

    # warm-up: views, caches; then each case on the same data
    cli_seconds("materialize", "bench", "--start", str(end - timedelta(days=27)), "--end", str(end))
    one_day = DbtInvocation.for_range(target, ("bench",), end, end)
    plain = []
    for _ in range(2):
        started = time.perf_counter()
        run_dbt(["build", "--select", "tag:partitioned"], one_day)
        plain.append(time.perf_counter() - started)
    result["plain_dbt_1_day_s"] = min(plain)
    for days in (1, 14, 28):
        start = end - timedelta(days=days - 1)
        result[f"materialize_{days}_days_s"] = min(
            cli_seconds("materialize", "bench", "--start", str(start), "--end", str(end))
            for _ in range(2)
        )
    if nightly:
        result.update(nightly_case(settings))
    out.write_text(json.dumps(result))


def nightly_case(settings) -> dict[str, float]:
    """20 accounts loaded up to the day before yesterday; then yesterday's hits land
    for all and late hits for an earlier day in 3; one schedule tick, every run."""
    from dagster import build_schedule_context

    from orchestration.definitions import defs
    from orchestration.defs.partitions import RANGE_END_TAG, RANGE_START_TAG
    from orchestration.local_runs import (
        QUIET_RUN_CONFIG,
        dbt_output_to,
        local_instance,
        register_accounts,
    )
    from touchline.control import registry
    from touchline.control.db import session_scope

    now = datetime.now(timezone.utc)
    yesterday = now.date() - timedelta(days=1)
    accounts = [f"acct{n:02d}" for n in range(20)]
    with session_scope(settings.resolved_control_db_url) as session:
        tokens = {a: registry.create_account(session, a).tracking_token for a in accounts}
    for n, account in enumerate(accounts):
        land(settings, tokens[account], account, yesterday - timedelta(days=1), 3, 100 + n)
    job = defs.resolve_job_def("account_day")
    log = settings.data_dir / "nightly-dbt.log"
    with local_instance(settings) as instance, dbt_output_to(log):
        register_accounts(instance, accounts)
        # yesterday-3 .. yesterday-1 for every account: one rectangle, one run
        first = {
            RANGE_START_TAG: f"{accounts[0]}|{yesterday - timedelta(days=3)}",
            RANGE_END_TAG: f"{accounts[-1]}|{yesterday - timedelta(days=1)}",
        }
        assert job.execute_in_process(
            instance=instance, tags=first, run_config=QUIET_RUN_CONFIG
        ).success
        time.sleep(1.1)
        for n, account in enumerate(accounts):
            land(settings, tokens[account], account, yesterday, 1, 200 + n)
        for account in accounts[:3]:
            land(settings, tokens[account], account, yesterday - timedelta(days=3), 1, 300)
        schedule = defs.resolve_schedule_def("nightly_accounts")
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=now,
            repository_def=defs.get_repository_def(),
        )
        started = time.perf_counter()
        requests = [
            r
            for r in schedule.evaluate_tick(context).run_requests or []
            if r.tags["touchline/account"] in accounts  # not the 28-day case's account
        ]
        tick = time.perf_counter() - started
        widths = []
        for request in requests:
            result = job.execute_in_process(
                instance=instance, tags=request.tags, run_config=QUIET_RUN_CONFIG
            )
            assert result.success
            start = request.tags[RANGE_START_TAG].split("|")[1]
            end = request.tags[RANGE_END_TAG].split("|")[1]
            widths.append((datetime.fromisoformat(end) - datetime.fromisoformat(start)).days + 1)
        total = time.perf_counter() - started
    return {
        "nightly_runs": len(requests),
        "nightly_runs_with_late_days": sum(1 for w in widths if w > 1),
        "nightly_tick_s": tick,
        "nightly_total_s": total,
    }


def mariadb_database() -> tuple[str, callable]:
    import pymysql

    from touchline.warehouse import parse_warehouse_url

    admin = parse_warehouse_url(MARIADB_ADMIN)
    name = f"{admin.database}_bench_{uuid.uuid4().hex[:8]}"
    conn = pymysql.connect(
        host=admin.host, port=admin.port, user=admin.user, password=admin.password or ""
    )
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")

    def drop() -> None:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()

    return f"mysql+pymysql://{admin.user}:{admin.password}@{admin.host}:{admin.port}/{name}", drop


def run(warehouse: str, nightly: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="touchline-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOUCHLINE_")}
        env.update({"TOUCHLINE_DATA_DIR": tmp, "TOUCHLINE_SETTINGS_FILE": f"{tmp}/none.env"})
        drop = None
        if warehouse != "duckdb":
            env["TOUCHLINE_WAREHOUSE_URL"], drop = mariadb_database()
        out = Path(tmp) / "result.json"
        try:
            args = [sys.executable, __file__, "--child", str(out)]
            if nightly and warehouse == "duckdb":
                args.append("--nightly")
            subprocess.run(args, env=env, cwd=REPO, check=True)
            return json.loads(out.read_text())
        finally:
            if drop:
                drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouses", nargs="+", default=["duckdb", "mariadb"])
    parser.add_argument("--skip-nightly", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--nightly", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.nightly)
        return
    print(
        f"{'warehouse':<9} {'hits':>7} {'dbt 1 day':>10} {'mat. 1 day':>11} {'14 days':>8} "
        f"{'28 days':>8} {'14d/1d':>7} {'28d/1d':>7} {'1d/dbt':>7}"
    )
    for warehouse in args.warehouses:
        r = run(warehouse, not args.skip_nightly)
        one = r["materialize_1_days_s"]
        print(
            f"{warehouse:<9} {r['hits']:>7,.0f} {r['plain_dbt_1_day_s']:>9.1f}s {one:>10.1f}s "
            f"{r['materialize_14_days_s']:>7.1f}s {r['materialize_28_days_s']:>7.1f}s "
            f"{r['materialize_14_days_s'] / one:>6.2f}× {r['materialize_28_days_s'] / one:>6.2f}× "
            f"{one / r['plain_dbt_1_day_s']:>6.2f}×",
            flush=True,
        )
        if "nightly_runs" in r:
            print(
                f"  nightly, 20 accounts, late hits in 3: {r['nightly_runs']:.0f} runs "
                f"({r['nightly_runs_with_late_days']:.0f} covering late days), "
                f"tick {r['nightly_tick_s']:.1f} s, all runs {r['nightly_total_s']:.1f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
