"""The report API's latency: the overview and five typical Explore queries, idle and during a build.

    .venv/bin/python bench/api.py                        # DuckDB and MariaDB
    .venv/bin/python bench/api.py --warehouses duckdb --rounds 50

Per warehouse, in one invocation (each in its own child process with its own
data directory and, for MariaDB, its own database):

1. one account ("builder") gets 28 days of simulated hits and a real range run,
   so every mart exists with the schema dbt gives it;
2. three accounts get a year of report rows written straight into the marts:
   6 platforms × 50 campaigns × 8 models a day (2.6 M rows in
   fct_attribution_campaign_daily), then the serving copy is published (DuckDB);
3. the API runs as an operator runs it (``touchline api serve``: gunicorn,
   2 workers) and one client sends each query ``--rounds`` times, round robin:
   first while the warehouse is idle, then while ``touchline materialize
   builder`` rebuilds 28 days in another process.

Printed per warehouse and phase: p50, p95 and p99 in milliseconds, per query
and for all queries, the slowest request, and any request that failed. The
goal (issue 15): p95 ≤ 100 ms on DuckDB and ≤ 250 ms on MariaDB, and no
request blocked by the build. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from touchline.platforms import PLATFORMS  # noqa: E402

ACCOUNTS = ("bench_a", "bench_b", "bench_c")
DAYS = 365
CAMPAIGNS = 50
MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
)
CHANNELS = (
    "Direct",
    "Organic Search",
    "Paid Search",
    "Paid Social",
    "Organic Social",
    "Email",
    "Display",
    "Referral",
    "Affiliates",
    "Paid Video",
)


def queries(end: date) -> dict[str, str]:
    """The dashboard's overview requests and five Explore queries, as URL paths."""
    d30 = (end - timedelta(days=29)).isoformat()
    d90 = (end - timedelta(days=89)).isoformat()
    e = end.isoformat()
    year_ago = (end - timedelta(days=DAYS - 1)).isoformat()
    last30 = f"date__gte={d30}&date__lte={e}"
    return {
        "overview: sessions vs previous": (
            f"/api/v1/reports/channel_daily?{last30}&group_by=&metrics=sessions,pageviews"
            "&compare=previous_period"
        ),
        "overview: spend, revenue, ROAS, CPA": (
            f"/api/v1/reports/attribution_campaign_daily?{last30}&model=last_non_direct"
            "&group_by=&metrics=spend,conversions,revenue,roas,cpa&compare=previous_period"
        ),
        "overview: spend vs revenue by day": (
            f"/api/v1/reports/attribution_campaign_daily?{last30}&model=last_non_direct"
            "&group_by=date&grain=day&metrics=spend,revenue"
        ),
        "explore: top campaigns, markov": (
            f"/api/v1/reports/attribution_campaign_daily?{last30}&model=markov"
            "&group_by=platform,campaign_id,campaign_name&metrics=spend,conversions,revenue,roas,cpa"
            "&order_by=-revenue&limit=50"
        ),
        "explore: weekly spend by platform": (
            f"/api/v1/reports/campaign_daily?date__gte={d90}&date__lte={e}"
            "&group_by=date,platform&grain=week&metrics=spend,clicks,impressions"
        ),
        "explore: channels x 8 models": (
            f"/api/v1/reports/attribution_channel_daily?{last30}"
            "&group_by=channel,model&metrics=conversions,revenue"
        ),
        "explore: sessions by day, 3 channels": (
            f"/api/v1/reports/channel_daily?date__gte={d90}&date__lte={e}"
            "&channel__in=Paid Search,Paid Social,Email&group_by=date,channel&grain=day"
            "&metrics=sessions"
        ),
        "explore: monthly ROAS, year, google": (
            f"/api/v1/reports/attribution_campaign_daily?date__gte={year_ago}"
            f"&date__lte={e}&platform=google_ads&model=linear&group_by=date&grain=month"
            "&metrics=spend,revenue,roas"
        ),
    }


# -- synthetic report rows ------------------------------------------------------------


def _values_sql(name: str, values: tuple[str, ...], with_index: bool = False) -> str:
    """A small inline table: (name[, name_n]) rows."""
    rows = [
        f"SELECT '{v}' AS {name}" + (f", {i} AS {name}_n" if with_index else "")
        for i, v in enumerate(values)
    ]
    return "(" + " UNION ALL ".join(rows) + f") AS {name}_t"


def _sources(dialect: str, start: date, level: str) -> str:
    if dialect == "duckdb":
        days = (
            f"(SELECT CAST(DATE '{start}' + CAST(i AS INTEGER) AS DATE) AS date_day, i AS dn "
            f"FROM range({DAYS}) r(i)) AS d"
        )
        campaigns = f"(SELECT i AS cn FROM range({CAMPAIGNS}) r(i)) AS c"
    else:
        days = (
            f"(SELECT DATE_ADD(DATE '{start}', INTERVAL seq DAY) AS date_day, seq AS dn "
            f"FROM seq_0_to_{DAYS - 1}) AS d"
        )
        campaigns = f"(SELECT seq AS cn FROM seq_0_to_{CAMPAIGNS - 1}) AS c"
    accounts = _values_sql("account", ACCOUNTS, with_index=True)
    parts = [accounts, days]
    if level == "campaign":
        parts += [_values_sql("platform", PLATFORMS, with_index=True), campaigns]
    if level == "channel":
        parts.append(_values_sql("channel", CHANNELS, with_index=True))
    return " CROSS JOIN ".join(parts)


def _concat(dialect: str, *parts: str) -> str:
    return (
        f"CONCAT({', '.join(parts)})"
        if dialect != "duckdb"
        else " || ".join(f"CAST({p} AS VARCHAR)" for p in parts)
    )


def _expression(column: str, data_type: str, dialect: str, level: str, has_model: bool) -> str:
    """A deterministic, plausible value for a mart column from the row's indexes."""
    k = "(dn * 7 + account_n * 3"
    k += " + cn * 11 + platform_n * 5)" if level == "campaign" else " + channel_n * 13)"
    spend = f"ROUND(({k} % 400) / 4.0 + 1, 2)"
    conversions = f"(({k} % 9) / 2.0)"
    revenue = f"ROUND(({k} % 700) * 1.5, 2)"
    known = {
        "account": "account",
        "date_day": "date_day",
        "sale_date": "date_day",
        "platform": "platform",
        "account_id": _concat(dialect, "platform", "'-acct'"),
        "campaign_id": _concat(dialect, "platform", "'-'", "cn"),
        "campaign_name": _concat(dialect, "'Campaign '", "cn"),
        "channel": "channel",
        "model": "model",
        "impressions": f"(1000 + {k} % 5000)",
        "clicks": f"(10 + {k} % 200)",
        "spend": spend,
        "spend_reporting": spend,
        "conversions": conversions,
        "conversions_value": revenue,
        "conversions_value_reporting": revenue,
        "revenue": revenue,
        "roas": f"({revenue} / {spend})",
        "cpa": f"(CASE WHEN {conversions} > 0 THEN {spend} / {conversions} END)",
        "currency_code": "'EUR'",
        "reporting_currency": "'EUR'",
        "fx_rate": "1",
        "fx_status": "'same_currency'",
        "sessions": f"(50 + {k} % 300)",
        "visitors": f"(40 + {k} % 250)",
        "pageviews": f"(120 + {k} % 900)",
        "touches": f"(1 + {k} % 40)",
        "spend_rows_without_rate": "0",
    }
    if column in known:
        return known[column]
    if column.endswith("_key"):
        parts = ["account", "'|'", "dn"]
        if level == "campaign":
            parts += ["'|'", "platform", "'|'", "cn"]
        else:
            parts += ["'|'", "channel"]
        if has_model:
            parts += ["'|'", "model"]
        return f"md5({_concat(dialect, *parts)})"
    lowered = data_type.lower()
    if any(t in lowered for t in ("int", "decimal", "double", "float", "numeric", "real")):
        return "0"
    if "date" in lowered or "time" in lowered:
        return "NULL"
    return "NULL"


MARTS = {
    # mart: (level, has model)
    "fct_attribution_campaign_daily": ("campaign", True),
    "fct_campaign_daily": ("campaign", False),
    "fct_attribution_channel_daily": ("channel", True),
    "fct_channel_daily": ("channel", False),
}


def fill_marts(warehouse_url: str, end: date) -> dict[str, int]:
    from touchline.warehouse import Warehouse

    wh = Warehouse(warehouse_url)
    dialect = wh.dialect
    start = end - timedelta(days=DAYS - 1)
    counts: dict[str, int] = {}
    with wh.connect() as conn:
        cur = conn.cursor()

        def run(sql: str, params: tuple | None = None) -> list[tuple]:
            if dialect == "duckdb":
                cur.execute(sql, params or ())
            else:
                # pymysql formats with % only when given parameters (the fill SQL uses %).
                cur.execute(sql.replace("?", "%s"), params)
            try:
                return list(cur.fetchall())
            except Exception:
                return []

        for mart, (level, has_model) in MARTS.items():
            if dialect == "duckdb":
                cols = run(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = ? ORDER BY ordinal_position",
                    (mart,),
                )
            else:
                cols = run(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
                    (mart,),
                )
            if not cols:
                raise SystemExit(f"{mart} does not exist: the builder's range run should make it")
            sources = _sources(dialect, start, level)
            if has_model:
                sources += " CROSS JOIN " + _values_sql("model", MODELS)
            names = [c[0] for c in cols]
            exprs = [_expression(n, t, dialect, level, has_model) for n, t in cols]
            run(f"INSERT INTO {mart} ({', '.join(names)}) SELECT {', '.join(exprs)} FROM {sources}")
            counts[mart] = run(f"SELECT count(*) FROM {mart}")[0][0]
        if dialect != "duckdb":
            conn.commit()
    return counts


# -- measuring ----------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(base: str, key: str, paths: dict[str, str], rounds: int, until=None) -> dict[str, Any]:
    """Round robin over the queries; ``until()`` true stops early (after at least one round)."""
    import requests

    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {key}"
    times: dict[str, list[float]] = {name: [] for name in paths}
    failures: list[str] = []
    for n in range(rounds):
        for name, path in paths.items():
            started = time.perf_counter()
            try:
                response = http.get(base + path, timeout=30)
                ok = response.status_code == 200
                detail = f"{response.status_code} {response.text[:200]}"
            except requests.RequestException as exc:
                ok, detail = False, type(exc).__name__
            times[name].append((time.perf_counter() - started) * 1000)
            if not ok:
                failures.append(f"{name}: {detail}")
        if until is not None and n > 0 and until():
            break
    every = [t for ts in times.values() for t in ts]
    return {
        "per_query": {
            name: (percentile(ts, 0.5), percentile(ts, 0.95), percentile(ts, 0.99), len(ts))
            for name, ts in times.items()
        },
        "all": (
            percentile(every, 0.5),
            percentile(every, 0.95),
            percentile(every, 0.99),
            len(every),
        ),
        "max_ms": max(every),
        "failures": failures[:10],
        "failure_count": len(failures),
    }


def child(out: Path, rounds: int) -> None:
    import pipeline as pipeline_bench  # bench/pipeline.py

    from touchline.control import registry
    from touchline.control.db import migrate, session_scope
    from touchline.serving import publish
    from touchline.settings import get_settings
    from touchline.warehouse import parse_warehouse_url

    settings = get_settings()
    control = settings.resolved_control_db_url
    migrate(control)
    with session_scope(control) as session:
        builder = registry.create_account(session, "builder")
        for slug in ACCOUNTS:
            registry.create_account(session, slug)
        key = registry.create_api_key(session, ACCOUNTS[0], "bench").plaintext
    end = date.today() - timedelta(days=1)
    build_start = end - timedelta(days=27)
    print("  landing 28 days for the builder and running its range run ...", flush=True)
    pipeline_bench.land(settings, builder.tracking_token, "builder", end, 28, 3)
    pipeline_bench.cli_seconds("prepare")
    pipeline_bench.cli_seconds(
        "materialize", "builder", "--start", str(build_start), "--end", str(end)
    )
    print("  writing a year of report rows for 3 accounts ...", flush=True)
    started = time.perf_counter()
    counts = fill_marts(settings.resolved_warehouse_url, end)
    target = parse_warehouse_url(settings.resolved_warehouse_url)
    if target.dialect == "duckdb":
        publish(str(target.path))
    fill_s = time.perf_counter() - started

    from tests.support.processes import free_port  # the suite's helper, no test imports

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "api", "serve", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base)
        paths = queries(end)
        # Warm up: each worker opens the serving copy and reads the manifest once.
        measure(base, key, paths, 2)
        print("  measuring while idle ...", flush=True)
        idle = measure(base, key, paths, rounds)
        print("  measuring while a 28-day range run builds ...", flush=True)
        build = subprocess.Popen(
            [sys.executable, "-m", "cli", "materialize", "builder", "--start", str(build_start),
             "--end", str(end)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        build_started = time.perf_counter()
        building = measure(base, key, paths, 10_000, until=lambda: build.poll() is not None)
        build.wait()
        building["build_s"] = time.perf_counter() - build_started
        building["build_ok"] = build.returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=30)
    out.write_text(
        json.dumps({"rows": counts, "fill_s": fill_s, "idle": idle, "building": building})
    )


def _wait_for(base: str) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("the API did not come up within 60 s")


def run(warehouse: str, rounds: int) -> dict[str, Any]:
    import pipeline as pipeline_bench

    with tempfile.TemporaryDirectory(prefix="touchline-bench-api-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOUCHLINE_")}
        env.update({"TOUCHLINE_DATA_DIR": tmp, "TOUCHLINE_SETTINGS_FILE": f"{tmp}/none.env"})
        drop = None
        if warehouse != "duckdb":
            env["TOUCHLINE_WAREHOUSE_URL"], drop = pipeline_bench.mariadb_database()
        out = Path(tmp) / "result.json"
        try:
            subprocess.run(
                [sys.executable, __file__, "--child", str(out), "--rounds", str(rounds)],
                env=env,
                cwd=REPO,
                check=True,
            )
            return json.loads(out.read_text())
        finally:
            if drop:
                drop()


def _print_phase(warehouse: str, phase: str, result: dict[str, Any]) -> None:
    p50, p95, p99, n = result["all"]
    extra = ""
    if "build_s" in result:
        extra = f", build {result['build_s']:.0f} s ({'ok' if result['build_ok'] else 'FAILED'})"
    print(
        f"{warehouse:<8} {phase:<9} all queries      p50 {p50:6.1f}  p95 {p95:6.1f}  "
        f"p99 {p99:6.1f} ms  max {result['max_ms']:7.1f} ms  n={n}  "
        f"failed {result['failure_count']}{extra}",
        flush=True,
    )
    for name, (q50, q95, q99, qn) in result["per_query"].items():
        print(f"{'':<18} {name:<38} {q50:6.1f} {q95:6.1f} {q99:6.1f}  (n={qn})")
    for failure in result["failures"]:
        print(f"{'':<18} failed: {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouses", nargs="+", default=["duckdb", "mariadb"])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.rounds)
        return
    goals = {"duckdb": 100.0, "mariadb": 250.0}
    for warehouse in args.warehouses:
        print(f"{warehouse}: preparing ...", flush=True)
        r = run(warehouse, args.rounds)
        rows = ", ".join(f"{m} {n:,}" for m, n in r["rows"].items())
        print(f"{warehouse}: {rows} (written in {r['fill_s']:.0f} s)")
        _print_phase(warehouse, "idle", r["idle"])
        _print_phase(warehouse, "building", r["building"])
        worst = max(r["idle"]["all"][1], r["building"]["all"][1])
        goal = goals.get(warehouse)
        if goal:
            verdict = "meets" if worst <= goal else "misses"
            print(f"{warehouse}: worst p95 {worst:.1f} ms {verdict} the goal of {goal:.0f} ms\n")


if __name__ == "__main__":
    main()
