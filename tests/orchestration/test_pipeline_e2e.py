"""Hits over HTTP → landing → Dagster → dbt → report API, on DuckDB and MariaDB.

Every part is the real one, run the way an operator runs it: the `touchline`
command line in subprocesses, gunicorn serving the collector and the API.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
import requests
from dagster import AssetKey, DagsterInstance, RunsFilter
from tqdm import tqdm

from demo.simulator import simulate
from demo.walkthrough import Service, send_hits
from orchestration.defs.partitions import account_day_key
from tests.support.processes import free_port, run_touchline
from touchline.warehouse import Warehouse


def cli(env: dict[str, str], *args: str) -> str:
    result = run_touchline(env, *args)
    assert result.returncode == 0, f"touchline {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(params=["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def warehouse_env(request, data_dir) -> dict[str, str]:
    env = {**os.environ, "TOUCHLINE_DATA_DIR": str(data_dir)}
    if request.param == "mariadb":
        env["TOUCHLINE_WAREHOUSE_URL"] = request.getfixturevalue("mariadb_url")
    return env


def report(base_url: str, key: str | None, **params: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.get(
        f"{base_url}/api/v1/reports/channel_daily", params=params, headers=headers, timeout=60
    )


@pytest.mark.slow
def test_hits_become_report_rows_and_rematerialising_changes_nothing(warehouse_env) -> None:
    env = warehouse_env
    token = cli(env, "accounts", "add", "acme", "--domain", "shop.example.com").split()[-1]
    key = cli(env, "api-keys", "create", "acme").strip()
    cli(env, "accounts", "add", "other")
    other_key = cli(env, "api-keys", "create", "other").strip()

    end = date.today() - timedelta(days=1)
    simulation = simulate(token, end, days=2, target_hits=600, seed=11)
    # A retried request: the same hit twice must count once.
    hits = simulation.hits + [simulation.hits[0]]

    with (
        Service("collector", ["collector", "serve"], free_port(), env) as collector,
        tqdm(total=len(hits), disable=True) as bar,
    ):
        assert send_hits(collector.base_url, hits, bar) == 0

    first, last = simulation.days[0].isoformat(), simulation.days[-1].isoformat()
    cli(env, "materialize", "acme", "--start", first, "--end", last)

    # What a data engineer sees in the UI: every materialisation carries its row count.
    with DagsterInstance.from_config(f"{env['TOUCHLINE_DATA_DIR']}/dagster") as instance:
        # the whole range is one run of the account × day job
        runs = instance.get_runs(RunsFilter(job_name="account_day"))
        assert len(runs) == 1
        assert len(runs[0].tags) and runs[0].tags["touchline/account"] == "acme"
        counts = {}
        for name in ("raw_hits", "stg_hits__pageviews", "int_sessions", "fct_channel_daily"):
            records = instance.fetch_materializations(AssetKey(name), limit=5).records
            assert records, f"{name} was never materialised"
            by_partition = {
                r.partition_key: r.asset_materialization.metadata["dagster/row_count"].value
                for r in records
            }
            counts[name] = by_partition
    last_key = account_day_key("acme", last)
    last_day_hits = sum(1 for h in simulation.hits if h["client_ts"].startswith(last))
    assert counts["raw_hits"][last_key] == last_day_hits
    assert counts["int_sessions"][last_key] == sum(
        n for (d, _), n in simulation.sessions_by_day_channel.items() if d.isoformat() == last
    )
    assert counts["fct_channel_daily"][last_key] > 0

    default_url = f"duckdb:///{env['TOUCHLINE_DATA_DIR']}/warehouse.duckdb"
    warehouse = Warehouse(env.get("TOUCHLINE_WAREHOUSE_URL") or default_url)
    raw = warehouse.query("SELECT count(*) AS n FROM raw_hits WHERE account = ?", ["acme"])
    assert raw[0]["n"] == len(simulation.hits)

    expected = {
        (day.isoformat(), channel): (n, simulation.pageviews_by_day_channel[(day, channel)])
        for (day, channel), n in simulation.sessions_by_day_channel.items()
    }

    with Service("report API", ["api", "serve"], free_port(), env) as api:
        response = report(api.base_url, key, date__gte=first, date__lte=last)
        assert response.status_code == 200, response.text
        body = response.json()
        got = {(r["date"], r["channel"]): (r["sessions"], r["pageviews"]) for r in body["data"]}
        assert got == expected
        assert body["totals"]["sessions"] == simulation.sessions

        # Another account's key sees nothing of acme, not even that it exists.
        denied = report(api.base_url, other_key, account="acme")
        assert denied.status_code == 404
        assert "data" not in denied.json()
        assert report(api.base_url, other_key).json()["data"] == []
        assert report(api.base_url, None).status_code == 401

        rows_before = body["data"]
        cli(env, "materialize", "acme", "--start", first, "--end", last)
        again = report(api.base_url, key, date__gte=first, date__lte=last).json()
        assert again["data"] == rows_before
    raw = warehouse.query("SELECT count(*) AS n FROM raw_hits WHERE account = ?", ["acme"])
    assert raw[0]["n"] == len(simulation.hits)
    sessions = warehouse.query("SELECT count(*) AS n FROM int_sessions WHERE account = ?", ["acme"])
    assert sessions[0]["n"] == simulation.sessions
