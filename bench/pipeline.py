"""Throughput of landing, loading and dbt, and Dagster's per-partition overhead.

    .venv/bin/python bench/pipeline.py                 # DuckDB and MariaDB, 50k and 500k hits
    .venv/bin/python bench/pipeline.py --warehouses duckdb --scales 1

The demo's volume (50,000 hits over 14 days) is the baseline; every other row
is also printed as a ratio against it, measured in the same invocation. Each
warehouse runs in its own child process (the Dagster definitions bind to one
warehouse when they load). Results go in docs/benchmarks.md.
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
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASE_HITS = 50_000
DAYS = 14
MARIADB_ADMIN = os.environ.get(
    "TOUCHLINE_TEST_MYSQL_URL",
    "mysql+pymysql://touchline:tl-test-pw-4d1c@127.0.0.1:3306/touchline_test",
)


def child(hits: int, out: Path) -> None:
    """Runs inside a prepared environment (TOUCHLINE_* set by the parent)."""
    from touchline.contract import IncomingHit, land
    from touchline.control import registry
    from touchline.control.db import migrate, session_scope
    from touchline.dagster_home import ensure_dagster_home
    from touchline.dbt import apply_dbt_env, ensure_manifest, run_dbt, warehouse_target
    from touchline.landing import LandingWriter, read_partition
    from touchline.settings import get_settings
    from touchline.simulator import simulate
    from touchline.warehouse import Warehouse

    settings = get_settings()
    migrate(settings.resolved_control_db_url)
    with session_scope(settings.resolved_control_db_url) as session:
        account = registry.create_account(session, "bench")
    target = warehouse_target(settings)
    apply_dbt_env(target)
    ensure_manifest(target)
    ensure_dagster_home(settings, target.dialect)
    end = datetime.now(timezone.utc).date() - timedelta(days=1)
    sim = simulate(account.tracking_token, end, days=DAYS, target_hits=hits)
    result: dict[str, float] = {"hits": len(sim.hits), "sessions": sim.sessions}

    # Landing: validation, enrichment and append, as the collector does per hit.
    writer = LandingWriter(settings.resolved_landing_root, instance="bench")
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    batch = []
    for hit in sim.hits:
        incoming = IncomingHit.model_validate({k: v for k, v in hit.items() if k[0] != "_"})
        batch.append(
            land(
                incoming,
                account="bench",
                received_at=now,
                ip="203.0.113.1",
                user_agent=hit["_user_agent"],
                is_bot=False,
                dnt=False,
            )
        )
        if len(batch) == 1:  # one write per hit, like a request
            writer.write(batch)
            batch = []
    result["landing_s"] = time.perf_counter() - started

    # Loading: every partition read from the landing zone and replaced in raw_hits.
    warehouse = Warehouse(settings.resolved_warehouse_url)
    started = time.perf_counter()
    for day in sim.days:
        read = read_partition(settings.resolved_landing_root, "bench", day)
        warehouse.replace_partition("bench", day, read.hits)
    result["loading_s"] = time.perf_counter() - started

    # dbt: one full build of every model over all the hits.
    started = time.perf_counter()
    run_dbt(["build", "--full-refresh"], target)  # output captured, shown only on failure
    result["dbt_full_s"] = time.perf_counter() - started

    # One partition: dbt alone, then the same partition through Dagster.
    day = sim.days[-1]
    vars_ = json.dumps({"account": "bench", "date": day.isoformat()})
    started = time.perf_counter()
    run_dbt(["build", "--select", "config.materialized:incremental", "--vars", vars_], target)
    result["dbt_partition_s"] = time.perf_counter() - started
    started = time.perf_counter()
    read = read_partition(settings.resolved_landing_root, "bench", day)
    warehouse.replace_partition("bench", day, read.hits)
    result["load_partition_s"] = time.perf_counter() - started

    from orchestration.local_runs import materialize_account_days

    log = settings.data_dir / "dbt.log"
    runs = materialize_account_days("bench", [day, day], log_path=log)  # the first warms imports
    result["dagster_partition_s"] = runs[-1].seconds
    result["overhead_s"] = runs[-1].seconds - result["dbt_partition_s"] - result["load_partition_s"]
    out.write_text(json.dumps(result))


def mariadb_database() -> tuple[str, callable]:
    import pymysql

    sys.path.insert(0, str(REPO))
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

    url = f"mysql+pymysql://{admin.user}:{admin.password}@{admin.host}:{admin.port}/{name}"
    return url, drop


def run(warehouse: str, hits: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="touchline-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOUCHLINE_")}
        env.update({"TOUCHLINE_DATA_DIR": tmp, "TOUCHLINE_SETTINGS_FILE": f"{tmp}/none.env"})
        drop = None
        if warehouse == "mariadb":
            env["TOUCHLINE_WAREHOUSE_URL"], drop = mariadb_database()
        out = Path(tmp) / "result.json"
        try:
            subprocess.run(
                [sys.executable, __file__, "--child", str(hits), "--out", str(out)],
                env=env,
                cwd=REPO,
                check=True,
            )
            return json.loads(out.read_text())
        finally:
            if drop:
                drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouses", default="duckdb,mariadb")
    parser.add_argument("--scales", default="1,10", help="multiples of the demo's 50,000 hits")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.out)
        return

    scales = [int(s) for s in args.scales.split(",")]
    print(
        f"bench/pipeline.py  {date.today()}  {os.cpu_count()} cores  "
        f"python {sys.version.split()[0]}"
    )
    header = (
        f"{'warehouse':<9} {'hits':>8} {'landing/s':>10} {'loading/s':>10} {'dbt/s':>9} "
        f"{'dbt 1 part.':>11} {'dagster 1 part.':>15} {'overhead':>9} {'x base time':>11}"
    )
    print(header)
    for warehouse in args.warehouses.split(","):
        base = None
        for scale in scales:
            r = run(warehouse, BASE_HITS * scale)
            total = r["landing_s"] + r["loading_s"] + r["dbt_full_s"]
            base = base or total
            print(
                f"{warehouse:<9} {int(r['hits']):>8,} {r['hits'] / r['landing_s']:>10,.0f} "
                f"{r['hits'] / r['loading_s']:>10,.0f} {r['hits'] / r['dbt_full_s']:>9,.0f} "
                f"{r['dbt_partition_s']:>10.1f}s {r['dagster_partition_s']:>14.1f}s "
                f"{r['overhead_s']:>8.1f}s {total / base:>10.2f}x",
                flush=True,
            )
    print(
        "hits/s per stage: landing = validate+enrich+append per hit; loading = landing zone -> "
        "raw_hits; dbt = full build of every model. overhead = one partition through Dagster "
        "minus its load and its dbt build run directly."
    )


if __name__ == "__main__":
    main()
