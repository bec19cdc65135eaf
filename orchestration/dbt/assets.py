"""dbt models as Dagster assets, split by partitioning: views once, incremental
models per account and day."""

import json
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from dagster import AssetDep, AssetExecutionContext, AssetKey, AssetSpec, Output
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.dbt.args import (
    build_args,
    group_for,
    partition_count_sql,
    partition_date_column,
    tables_behind_views,
)
from orchestration.dbt.project import dbt_project
from orchestration.hits.assets import WAREHOUSE_POOL
from orchestration.partitions import account_day_partitions, split_key
from orchestration.resources import TouchlineResource
from touchline.warehouse import Warehouse

PARTITIONED_SELECT = "config.materialized:incremental"
UNPARTITIONED_SELECT = "config.materialized:view"


# Read once at load; a partition run only checks that these exist.
VIEW_NAMES = sorted(
    n.get("alias") or n["name"]
    for n in json.loads(dbt_project.manifest_path.read_text())["nodes"].values()
    if n["resource_type"] == "model" and n["config"].get("materialized") == "view"
)


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
def dbt_views(
    context: AssetExecutionContext, dbt: DbtCliResource, touchline: TouchlineResource
) -> Iterator[Any]:
    """Staging views: rebuilt when their SQL changes, not per partition."""
    warehouse = touchline.warehouse()
    warehouse.ensure_raw_tables()  # a view needs its table, even empty
    # cautious: tests that also read partitioned models run with those, not here
    invocation = dbt.cli(["build", "--indirect-selection", "cautious"], context=context)
    yield from with_row_counts(list(invocation.stream()), invocation.manifest, warehouse)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=PARTITIONED_SELECT,
    dagster_dbt_translator=translator,
    partitions_def=account_day_partitions,
    name="dbt_account_day",
    pool=WAREHOUSE_POOL,
)
def dbt_account_day(
    context: AssetExecutionContext, dbt: DbtCliResource, touchline: TouchlineResource
) -> Iterator[Any]:
    """Incremental models for one account and day; each replaces exactly its partition."""
    account, day = split_key(context.partition_key)
    warehouse = touchline.warehouse()
    missing = [v for v in VIEW_NAMES if not warehouse.table_exists(v)]
    if missing:
        # A fresh warehouse (or a deploy that skipped warehouse_views): create them first.
        context.log.info(f"creating missing staging views {', '.join(missing)}")
        warehouse.ensure_raw_tables()
        dbt.cli(["run", "--select", UNPARTITIONED_SELECT]).wait()
    invocation = dbt.cli(build_args(account, day), context=context)
    yield from with_row_counts(
        list(invocation.stream()), invocation.manifest, warehouse, (account, day)
    )


def with_row_counts(
    events: list[Any],
    manifest: Mapping[str, Any],
    warehouse: Warehouse,
    partition: tuple[str, date] | None = None,
) -> Iterator[Any]:
    """Each model's row count on its materialisation: the partition's rows for a
    partitioned model, the whole relation otherwise.

    The events are held back until dbt has exited (the caller lists them): DuckDB
    admits no reader while dbt writes.
    """
    for event in events:
        if isinstance(event, Output):
            unique_id = event.metadata.get("unique_id")
            node = manifest["nodes"].get(getattr(unique_id, "value", unique_id))
            if node is not None:
                table = node.get("alias") or node["name"]
                column = partition_date_column(node)
                if partition is not None and column:
                    sql, params = partition_count_sql(table, column), list(partition)
                else:
                    sql, params = f"SELECT count(*) AS n FROM {table}", []
                count = int(warehouse.query(sql, params)[0]["n"])
                event = event.with_metadata({**event.metadata, "dagster/row_count": count})
        yield event
