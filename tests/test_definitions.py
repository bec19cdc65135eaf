"""The Dagster definitions as a data engineer sees them in the UI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timezone

import pytest
import requests
from dagster import (
    AssetKey,
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    MultiPartitionsDefinition,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from orchestration.accounts.sensors import new_account_partitions
from orchestration.dbt.args import build_args, group_for, partition_vars
from orchestration.definitions import defs
from orchestration.partitions import account_day_key, split_key
from orchestration.schedules.nightly import nightly_run_requests
from tests.conftest import REPO, free_port

RAW = AssetKey("raw_hits")
STG = AssetKey("stg_hits__pageviews")
SESSIONS = AssetKey("int_sessions")
CHANNEL_DAILY = AssetKey("fct_channel_daily")


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def test_asset_graph_has_the_pipeline_in_order(graph) -> None:
    keys = set(graph.get_all_asset_keys())
    assert {RAW, STG, SESSIONS, CHANNEL_DAILY} <= keys
    assert RAW in graph.get(STG).parent_keys
    assert STG in graph.get(SESSIONS).parent_keys
    assert SESSIONS in graph.get(CHANNEL_DAILY).parent_keys


def test_account_scoped_assets_are_partitioned_by_account_and_day(graph) -> None:
    for key in (RAW, SESSIONS, CHANNEL_DAILY):
        partitions = graph.get(key).partitions_def
        assert isinstance(partitions, MultiPartitionsDefinition), key
        dims = {d.name: d.partitions_def for d in partitions.partitions_defs}
        assert isinstance(dims["account"], DynamicPartitionsDefinition)
        assert dims["account"].name == "account"
        assert isinstance(dims["date"], DailyPartitionsDefinition)
    # Views are built once, not per partition.
    assert graph.get(STG).partitions_def is None


def test_every_asset_has_description_group_and_kinds(graph) -> None:
    for key in (RAW, STG, SESSIONS, CHANNEL_DAILY):
        node = graph.get(key)
        assert node.description and len(node.description) > 20, key
        assert node.group_name and node.group_name != "default", key
    assert {"python", "duckdb"} <= set(graph.get(RAW).kinds)
    for key in (STG, SESSIONS, CHANNEL_DAILY):
        assert {"dbt", "duckdb"} <= set(graph.get(key).kinds), key


def test_warehouse_writers_share_one_pool(graph) -> None:
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {"account_day", "warehouse_views"} <= jobs
    job = defs.resolve_job_def("account_day")
    pools = {node.definition.pool for node in job.graph.node_dict.values()}
    assert pools == {"warehouse"}


def test_nightly_schedule_requests_one_run_per_account_for_yesterday() -> None:
    schedule = defs.resolve_schedule_def("nightly_accounts")
    assert schedule.job_name == "account_day"
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("account", ["beta", "acme"])
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2026, 11, 22, 2, 30, tzinfo=timezone.utc),
            repository_def=defs.get_repository_def(),
        )
        requests_ = list(schedule.evaluate_tick(context).run_requests or [])
    assert [r.partition_key for r in requests_] == [
        account_day_key("acme", "2026-11-21"),
        account_day_key("beta", "2026-11-21"),
    ]
    assert len({r.run_key for r in requests_}) == 2


def test_nightly_run_requests_are_distinct_per_account() -> None:
    runs = nightly_run_requests(["b", "a", "a"], datetime(2026, 1, 1, 3, tzinfo=timezone.utc))
    assert [split_key(r.partition_key) for r in runs] == [
        ("a", date(2025, 12, 31)),
        ("b", date(2025, 12, 31)),
    ]
    assert runs[0].tags["touchline/account"] == "a"


def test_sensor_registers_accounts_of_the_control_database(settings, make_account) -> None:
    make_account("acme")
    make_account("beta")
    sensor = defs.resolve_sensor_def("account_partitions")
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("account", ["acme"])
        result = sensor.evaluate_tick(build_sensor_context(instance=instance))
    requests_ = result.dynamic_partitions_requests
    assert [list(r.partition_keys) for r in requests_] == [["beta"]]


def test_pure_argument_builders() -> None:
    assert new_account_partitions(["c", "a", "b"], ["b"]) == ["a", "c"]
    assert partition_vars("acme", date(2026, 11, 2)) == {"account": "acme", "date": "2026-11-02"}
    assert build_args("acme", date(2026, 11, 2)) == [
        "build",
        "--vars",
        '{"account": "acme", "date": "2026-11-02"}',
    ]
    assert group_for(["touchline", "staging", "hits", "stg_hits__pageviews"]) == "staging"
    assert group_for(["touchline", "marts", "fct_channel_daily"]) == "marts"
    assert split_key(account_day_key("acme", "2026-11-02")) == ("acme", date(2026, 11, 2))


def test_touchline_dev_serves_the_dagster_ui(data_dir) -> None:
    port = free_port()
    env = {**os.environ, "TOUCHLINE_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "touchline.cli", "dev", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        assets = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = requests.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "{ assetNodes { assetKey { path } groupName } }"},
                    timeout=5,
                )
                if response.ok and response.json().get("data"):
                    assets = response.json()["data"]["assetNodes"]
                    if assets:
                        break
            except requests.RequestException:
                pass
            time.sleep(1)
        assert assets, "the Dagster UI did not come up:\n" + _drain(process)
        paths = {tuple(a["assetKey"]["path"]) for a in assets}
        assert {("raw_hits",), ("int_sessions",), ("fct_channel_daily",)} <= paths
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _drain(process: subprocess.Popen) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    return (process.communicate(timeout=30)[0] or "")[-3000:]
