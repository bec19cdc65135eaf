"""dbt models as Dagster assets, split by partitioning: views once, incremental
models per account and day."""

import json
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetDep, AssetExecutionContext, AssetKey, AssetSpec, Output
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    dbt_assets,
)

from orchestration.dbt import in_process
from orchestration.dbt.args import (
    group_for,
    partition_count_sql,
    partition_date_column,
    partition_env,
    tables_behind_views,
)
from orchestration.dbt.project import dbt_project
from orchestration.dbt_runner import apply_dbt_env, known_target, run_dbt
from orchestration.hits.assets import WAREHOUSE_POOL
from orchestration.partitions import (
    ACCOUNT_DAY_BACKFILL_POLICY,
    DayRange,
    account_day_key,
    account_day_partitions,
    day_ranges,
)
from orchestration.resources import TouchlineResource
from touchline.serving import is_mart
from touchline.warehouse import Warehouse

PARTITIONED_SELECT = "config.materialized:incremental"
# Views and seeds: built on deploy (warehouse_views), not per partition.
UNPARTITIONED_SELECT = "config.materialized:view resource_type:seed"


# Read once at load.
_MANIFEST: Mapping[str, Any] = json.loads(dbt_project.manifest_path.read_text())
_MODELS = [n for n in _MANIFEST["nodes"].values() if n["resource_type"] in ("model", "seed")]
# A partition run only checks that these exist (views and seeds).
VIEW_NAMES = sorted(
    n.get("alias") or n["name"]
    for n in _MODELS
    if n["resource_type"] == "seed" or n["config"].get("materialized") == "view"
)
# What the serving copy holds (touchline.serving publishes them by name).
MART_NAMES = sorted(n["name"] for n in _MODELS if is_mart(n.get("alias") or n["name"]))


class TouchlineDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        # Sources are the tables our Python assets write, so they share one plain key.
        return AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_for(dbt_resource_props.get("fqn", []))

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if unique_id not in manifest.get("nodes", {}):
            return spec
        have = {dep.asset_key for dep in spec.deps}
        extra = [
            self.get_asset_key(self.get_resource_props(manifest, uid))
            for uid in tables_behind_views(manifest, unique_id)
        ]
        new = [AssetDep(key) for key in extra if key not in have]
        return spec.merge_attributes(deps=new) if new else spec


translator = TouchlineDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=UNPARTITIONED_SELECT,
    dagster_dbt_translator=translator,
    name="dbt_views",
    pool=WAREHOUSE_POOL,
)
def dbt_views(context: AssetExecutionContext, touchline: TouchlineResource) -> Iterator[Any]:
    """Staging views and seeds: rebuilt when their SQL changes, not per partition."""
    target = known_target(touchline.settings)
    apply_dbt_env(target)
    warehouse = touchline.warehouse()
    warehouse.ensure_raw_tables()  # a view needs its table, even empty
    # cautious: tests that also read partitioned models run with those, not here
    result = in_process.build(context, target, ["build", "--indirect-selection", "cautious"])
    yield from with_row_counts(result.events, _MANIFEST, warehouse)
    if result.failure:
        raise result.failure


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=PARTITIONED_SELECT,
    dagster_dbt_translator=translator,
    partitions_def=account_day_partitions,
    backfill_policy=ACCOUNT_DAY_BACKFILL_POLICY,
    name="dbt_account_day",
    pool=WAREHOUSE_POOL,
)
def dbt_account_day(context: AssetExecutionContext, touchline: TouchlineResource) -> Iterator[Any]:
    """Incremental models for the run's accounts × local days, one dbt call per
    rectangle (one for a range run); each replaces exactly its partitions."""
    target = known_target(touchline.settings)
    apply_dbt_env(target)
    warehouse = touchline.warehouse()
    missing = warehouse.missing_tables(VIEW_NAMES)
    if missing:
        # A fresh warehouse (or a deploy that skipped warehouse_views): create them first.
        context.log.info(f"creating missing staging views {', '.join(missing)}")
        warehouse.ensure_raw_tables()
        run_dbt(
            ["build", "--select", UNPARTITIONED_SELECT, "--exclude", "resource_type:test"], target
        )
    yielded: set[str] = set()
    for day_range in day_ranges(context.partition_keys):
        context.log.info(
            f"dbt build of {', '.join(day_range.accounts)} "
            f"from {day_range.start} to {day_range.end}"
        )
        # Passed through the environment (env_var in the macros), not --vars: a new
        # --vars value forces dbt to re-parse the whole project.
        env = {
            **partition_env(day_range),
            # Dagster runs this asset in several steps when Python assets sit between
            # models (attribution): a test is run with the step that builds all its
            # parents, never before one of them exists.
            "DBT_INDIRECT_SELECTION": "buildable",
        }
        result = in_process.build(context, target, ["build"], env)
        counted = with_row_counts(result.events, _MANIFEST, warehouse, day_range, context)
        for event in counted:
            # A run with holes in its days makes several dbt calls; an asset is
            # reported once, its per-day counts were added for every call.
            name = getattr(event, "output_name", None) or getattr(event, "check_name", None)
            if isinstance(event, Output) and name in yielded:
                continue
            if isinstance(event, Output):
                yielded.add(name)
            yield event
        if result.failure:
            raise result.failure


def with_row_counts(
    events: list[Any],
    manifest: Mapping[str, Any],
    warehouse: Warehouse,
    day_range: DayRange | None = None,
    context: AssetExecutionContext | None = None,
) -> Iterator[Any]:
    """Each model's row count on its materialisation: per partition (account ×
    day) for a partitioned model, the whole relation otherwise.

    The events are held back until dbt has exited (the caller lists them): DuckDB
    admits no reader while dbt writes. All counts share one connection.
    """
    counted: list[Any] = []
    with warehouse.reading() as query:
        for event in events:
            if isinstance(event, Output):
                event = _counted(event, manifest, query, day_range, context)
            counted.append(event)
    yield from counted


def _counted(
    event: Output,
    manifest: Mapping[str, Any],
    query: Any,
    day_range: DayRange | None,
    context: AssetExecutionContext | None,
) -> Output:
    unique_id = event.metadata.get("unique_id")
    node = manifest["nodes"].get(getattr(unique_id, "value", unique_id))
    if node is None:
        return event
    table = node.get("alias") or node["name"]
    column = partition_date_column(node)
    if day_range is None or not column or context is None:
        n = int(query(f"SELECT count(*) AS n FROM {table}")[0]["n"])
        return event.with_metadata({**event.metadata, "dagster/row_count": n})
    counts = {
        (r["account"], str(r["day"])[:10]): int(r["n"])
        for r in query(
            partition_count_sql(table, column, len(day_range.accounts)),
            [*day_range.accounts, day_range.start, day_range.end],
        )
    }
    asset_key = translator.get_asset_key(node)
    for account in day_range.accounts:
        for day in day_range.days:
            context.add_asset_metadata(
                {"dagster/row_count": counts.get((account, day.isoformat()), 0)},
                asset_key=asset_key,
                partition_key=str(account_day_key(account, day)),
            )
    return event.with_metadata({**event.metadata, "rows_in_run": sum(counts.values())})
