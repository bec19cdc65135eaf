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
from dagster._core.definitions.backfill_policy import BackfillPolicyType

from connectors.platforms import CONNECTORS
from orchestration.definitions import defs
from orchestration.defs.accounts.sensors import new_account_partitions
from orchestration.defs.dbt.assets import partition_env
from orchestration.defs.dbt.translator import group_for
from orchestration.defs.hits.late_days import days_needing_load
from orchestration.defs.hits.schedules import nightly_range, nightly_run_request
from orchestration.defs.partitions import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    DayRange,
    account_day_key,
    contiguous_runs,
    day_ranges,
    split_key,
)
from tests.support.processes import REPO, free_port
from touchline.landing.layout import local_days_of_utc_hour

RAW = AssetKey("raw_hits")
STG = AssetKey("stg_hits__pageviews")
SESSIONS = AssetKey("int_sessions")
CHANNEL_DAILY = AssetKey("fct_channel_daily")
SERVING = AssetKey("serving_marts")
CHANNEL_RULES = AssetKey("account_channel_rules")
IDENTITY = AssetKey("identity_map")
RESTATEMENTS = AssetKey("attribution_restatements")
JOURNEYS = AssetKey("int_sale_journeys")
PATHS = AssetKey("int_journey_paths")
CREDITS = AssetKey("attribution_path_credits")
ATTRIBUTED = AssetKey("fct_attributed_conversions")
ATTRIBUTION_MARTS = [
    AssetKey("fct_attribution_channel_daily"),
    AssetKey("fct_attribution_campaign_daily"),
    AssetKey("fct_conversion_paths"),
]
ATTRIBUTION_ASSETS = [CHANNEL_RULES, IDENTITY, RESTATEMENTS, JOURNEYS, PATHS, CREDITS, ATTRIBUTED]


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def test_asset_graph_has_the_pipeline_in_order(graph) -> None:
    keys = set(graph.get_all_asset_keys())
    assert {RAW, STG, SESSIONS, CHANNEL_DAILY} <= keys
    assert RAW in graph.get(STG).parent_keys
    assert STG in graph.get(SESSIONS).parent_keys
    assert SESSIONS in graph.get(CHANNEL_DAILY).parent_keys


def test_the_marts_are_published_last_in_the_same_run(graph) -> None:
    marts = {k for k in graph.get_all_asset_keys() if k.path[-1].startswith(("fct_", "dim_"))}
    assert CHANNEL_DAILY in marts and AssetKey("dim_users") in marts
    assert graph.get(SERVING).parent_keys == marts
    job = defs.resolve_job_def("account_day")
    assert "serving_marts" in job.graph.node_dict
    assert job.graph.node_dict["serving_marts"].definition.pool == "warehouse"


def test_attribution_runs_between_the_dbt_models_that_feed_it_and_read_it(graph) -> None:
    parents = {key: graph.get(key).parent_keys for key in ATTRIBUTION_ASSETS + ATTRIBUTION_MARTS}
    assert CHANNEL_RULES in graph.get(SESSIONS).parent_keys
    assert RAW in parents[IDENTITY] and RAW in parents[RESTATEMENTS]
    assert {IDENTITY, RESTATEMENTS, AssetKey("int_touchpoints")} <= parents[JOURNEYS]
    assert JOURNEYS in parents[PATHS]
    assert {PATHS, RESTATEMENTS} <= parents[CREDITS]
    assert {CREDITS, JOURNEYS} <= parents[ATTRIBUTED]
    for mart in ATTRIBUTION_MARTS[:2]:
        assert ATTRIBUTED in parents[mart]
    assert AssetKey("fct_campaign_daily") in parents[ATTRIBUTION_MARTS[1]]
    # One range run: Dagster splits the dbt models into the steps the Python
    # assets sit between, and fits once, after the paths and before the marts.
    job = defs.resolve_job_def("account_day")
    steps = job.graph.node_dict
    assert {"account_config", "identity_graph", "attribution_path_credits"} <= set(steps)
    dbt_steps = [name for name in steps if name.startswith("dbt_account_day")]
    assert len(dbt_steps) == 3
    order = [n.name for n in job.graph.nodes_in_topological_order]
    assert order.index("identity_graph") < order.index("attribution_path_credits")
    fits_after = [n for n in dbt_steps if order.index(n) < order.index("attribution_path_credits")]
    marts_after = [n for n in dbt_steps if order.index(n) > order.index("attribution_path_credits")]
    assert len(fits_after) == 2 and len(marts_after) == 1
    for key in ATTRIBUTION_ASSETS + ATTRIBUTION_MARTS:
        node = graph.get(key)
        assert node.description and len(node.description) > 20, key
        assert node.group_name in ("attribution", "intermediate", "marts"), key


def test_account_scoped_assets_are_partitioned_by_account_and_day(graph) -> None:
    for key in (RAW, SESSIONS, CHANNEL_DAILY, SERVING, *ATTRIBUTION_ASSETS, *ATTRIBUTION_MARTS):
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
    for key in (CHANNEL_RULES, IDENTITY, RESTATEMENTS, CREDITS):
        assert {"python", "duckdb"} <= set(graph.get(key).kinds), key
        assert graph.get(key).group_name == "attribution"
    for key in (STG, SESSIONS, CHANNEL_DAILY):
        assert {"dbt", "duckdb"} <= set(graph.get(key).kinds), key


def test_warehouse_writers_share_one_pool(graph) -> None:
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {"account_day", "warehouse_views"} <= jobs
    job = defs.resolve_job_def("account_day")
    pools = {node.definition.pool for node in job.graph.node_dict.values()}
    # Ad platform pulls are limited per platform (API quotas); their warehouse
    # write is one short transaction that waits for DuckDB's lock.
    assert pools == {"warehouse"} | {f"ad_platform_{p}" for p in CONNECTORS}


def test_every_account_day_asset_has_the_same_single_run_backfill_policy(graph) -> None:
    policies = {
        key: graph.get(key).backfill_policy
        for key in graph.get_all_asset_keys()
        if graph.get(key).partitions_def is not None
    }
    assert {RAW, SESSIONS, CHANNEL_DAILY, SERVING, *ATTRIBUTION_ASSETS, *ATTRIBUTION_MARTS} <= set(
        policies
    )
    assert {p.policy_type for p in policies.values()} == {BackfillPolicyType.SINGLE_RUN}
    assert all(p.max_partitions_per_run is None for p in policies.values())


def test_nightly_schedule_makes_one_range_run_per_account(data_dir, settings) -> None:
    from touchline.control import registry
    from touchline.control.db import session_scope

    with session_scope(settings.resolved_control_db_url) as session:
        registry.create_account(session, "acme", "Acme", "America/New_York", "USD", [])
        registry.create_account(session, "beta", "Beta", "UTC", "EUR", [])
    schedule = defs.resolve_schedule_def("nightly_accounts")
    assert schedule.job_name == "account_day"
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("account", ["beta", "acme"])
        context = build_schedule_context(
            instance=instance,
            # 02:30 UTC is still the evening before in New York
            scheduled_execution_time=datetime(2026, 11, 22, 2, 30, tzinfo=timezone.utc),
            repository_def=defs.get_repository_def(),
        )
        requests_ = list(schedule.evaluate_tick(context).run_requests or [])
    assert [r.partition_key for r in requests_] == [None, None]
    assert [(r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in requests_] == [
        ("acme|2026-11-20", "acme|2026-11-20"),
        ("beta|2026-11-21", "beta|2026-11-21"),
    ]
    assert len({r.run_key for r in requests_}) == 2


def test_nightly_range_takes_late_days_inside_the_window_and_reports_older_ones() -> None:
    today = date(2026, 11, 22)
    late = [date(2026, 11, 18), date(2026, 11, 10), date(2026, 11, 21)]
    got = nightly_range(today, late, late_window_days=7)
    assert (got.start, got.end) == (date(2026, 11, 18), date(2026, 11, 21))
    assert got.late_days_outside_window == (date(2026, 11, 10),)
    assert nightly_range(today, [], 7, restatement_days=28).start == date(2026, 10, 25)
    request = nightly_run_request("acme", today, late, 7)
    assert request.tags[RANGE_START_TAG] == "acme|2026-11-18"
    assert request.tags["touchline/late_days_outside_window"] == "2026-11-10"


def test_late_days_are_those_with_files_newer_than_their_last_load() -> None:
    t = datetime(2026, 11, 21, 12, tzinfo=timezone.utc)
    newest = {date(2026, 11, 19): t, date(2026, 11, 20): t, date(2026, 11, 22): t}
    loaded = {date(2026, 11, 19): t.replace(hour=13), date(2026, 11, 20): t.replace(hour=11)}
    assert days_needing_load(newest, loaded, before=date(2026, 11, 22)) == [date(2026, 11, 20)]
    # a UTC hour belongs to the local days it overlaps (two with a half-hour offset)
    hour = datetime(2026, 11, 21, 18, tzinfo=timezone.utc)
    assert local_days_of_utc_hour(hour, "Asia/Kolkata") == {date(2026, 11, 21), date(2026, 11, 22)}
    assert local_days_of_utc_hour(hour, "America/New_York") == {date(2026, 11, 21)}


def test_a_run_takes_any_rectangle_of_partitions() -> None:
    keys = [account_day_key(a, date(2026, 11, d)) for a in ("b", "a") for d in (3, 1, 2)]
    assert day_ranges(keys) == [DayRange(date(2026, 11, 1), date(2026, 11, 3), ("a", "b"))]
    holes = [account_day_key("a", date(2026, 11, d)) for d in (1, 2, 5)]
    assert [(r.start, r.end) for r in day_ranges(holes)] == [
        (date(2026, 11, 1), date(2026, 11, 2)),
        (date(2026, 11, 5), date(2026, 11, 5)),
    ]
    assert contiguous_runs([]) == []


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
    assert partition_env(DayRange(date(2026, 11, 2), date(2026, 11, 5), ("a", "b"))) == {
        "TOUCHLINE_PARTITION_ACCOUNTS": "a,b",
        "TOUCHLINE_PARTITION_START": "2026-11-02",
        "TOUCHLINE_PARTITION_END": "2026-11-05",
    }
    assert group_for(["touchline", "staging", "hits", "stg_hits__pageviews"]) == "staging"
    assert group_for(["touchline", "marts", "fct_channel_daily"]) == "marts"
    assert split_key(account_day_key("acme", "2026-11-02")) == ("acme", date(2026, 11, 2))


def test_touchline_dev_serves_the_dagster_ui(data_dir) -> None:
    port = free_port()
    env = {**os.environ, "TOUCHLINE_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "dev", "--port", str(port)],
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


def test_ad_platform_assets_match_the_connectors_and_their_tables() -> None:
    """The definitions name the platforms without importing their client
    libraries; they must still be exactly the connectors, on their tables."""
    from connectors.platforms import CONNECTORS
    from orchestration.defs.ad_platforms import assets
    from touchline.tables import raw_table

    assert set(assets.PLATFORMS) == set(CONNECTORS)
    assert all(assets.raw_table(p) == raw_table(p) for p in CONNECTORS)
