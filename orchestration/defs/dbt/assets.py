"""dbt models as Dagster assets, split by partitioning: views once, incremental
models per account and day."""

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, Output
from dagster_dbt import dbt_assets

from orchestration.defs.dbt.manifest import MANIFEST, VIEW_NAMES
from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.dbt.row_counts import with_row_counts
from orchestration.defs.dbt.translator import translator
from orchestration.defs.partitions import (
    ACCOUNT_DAY_WRITER,
    WAREHOUSE_POOL,
    DayRange,
    day_ranges,
)
from orchestration.defs.resources import TouchlineResource
from orchestration.lib import dbt_in_process
from touchline.dbt.invocation import DbtInvocation, range_env
from touchline.dbt.runner import known_target, run_dbt
from touchline.warehouse import WarehouseTarget

PARTITIONED_SELECT = "config.materialized:incremental"
# Views and seeds: built on deploy (warehouse_views), not per partition.
UNPARTITIONED_SELECT = "config.materialized:view resource_type:seed"


def partition_env(day_range: DayRange) -> dict[str, str]:
    """The environment that makes one dbt call build exactly these partitions
    (read by partition_vars() in dbt_project/macros/touchline/partitions.sql)."""
    return range_env(day_range.accounts, day_range.start, day_range.end)


def range_invocation(target: WarehouseTarget, day_range: DayRange) -> DbtInvocation:
    """The dbt call that builds one rectangle of partitions. Passed through the
    environment (env_var in the macros), not --vars: a new --vars value forces dbt
    to re-parse the whole project."""
    return DbtInvocation.for_range(
        target,
        day_range.accounts,
        day_range.start,
        day_range.end,
        # Dagster runs this asset in several steps when Python assets sit between
        # models (attribution): a test is run with the step that builds all its
        # parents, never before one of them exists.
        indirect_selection="buildable",
    )


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
    invocation = DbtInvocation(known_target(touchline.settings))
    invocation.export()
    warehouse = touchline.warehouse()
    warehouse.ensure_raw_tables()  # a view needs its table, even empty
    # cautious: tests that also read partitioned models run with those, not here
    result = dbt_in_process.build(
        context, invocation, ["build", "--indirect-selection", "cautious"]
    )
    yield from with_row_counts(result.events, MANIFEST, warehouse)
    if result.failure:
        raise result.failure


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=PARTITIONED_SELECT,
    dagster_dbt_translator=translator,
    **ACCOUNT_DAY_WRITER,
    name="dbt_account_day",
)
def dbt_account_day(context: AssetExecutionContext, touchline: TouchlineResource) -> Iterator[Any]:
    """Incremental models for the run's accounts × local days, one dbt call per
    rectangle (one for a range run); each replaces exactly its partitions."""
    target = known_target(touchline.settings)
    DbtInvocation(target).export()
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
        result = dbt_in_process.build(context, range_invocation(target, day_range), ["build"])
        counted = with_row_counts(result.events, MANIFEST, warehouse, day_range, context)
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
