"""Landed hits → the raw warehouse table, one account and day at a time."""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Backoff,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    TableColumn,
    TableSchema,
    asset,
)

from orchestration.partitions import account_day_partitions, split_key
from orchestration.resources import TouchlineResource
from touchline.landing import day_glob, read_partition
from touchline.warehouse import RAW_COLUMNS, RAW_HITS_TABLE

WAREHOUSE_POOL = "warehouse"


def build_raw_hits_asset(dialect: str) -> AssetsDefinition:
    @asset(
        name=RAW_HITS_TABLE,
        partitions_def=account_day_partitions,
        group_name="landing",
        kinds={"python", dialect},
        pool=WAREHOUSE_POOL,
        retry_policy=RetryPolicy(max_retries=2, delay=15, backoff=Backoff.EXPONENTIAL),
        description=(
            "Every hit the collector landed for one account and day, loaded from the "
            "landing zone's NDJSON files into the raw_hits table. Loading replaces the "
            "partition, so a partition loaded twice holds each hit (hit_id) once."
        ),
        metadata={
            "dagster/column_schema": TableSchema(columns=[TableColumn(c) for c in RAW_COLUMNS]),
            "dagster/table_name": RAW_HITS_TABLE,
        },
    )
    def raw_hits(context: AssetExecutionContext, touchline: TouchlineResource) -> MaterializeResult:
        account, day = split_key(context.partition_key)
        read = read_partition(touchline.landing_root, account, day)
        context.log.info(
            f"{account} {day}: {read.lines} landed lines in {read.files} files, "
            f"{read.duplicates} duplicate hit ids, {read.unreadable} unreadable"
        )
        if read.unreadable:
            context.log.warning(f"{read.unreadable} landed lines are not JSON; they were skipped")
        rows = touchline.warehouse().replace_partition(account, day, read.hits)
        return MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "landed_files": read.files,
                "landed_lines": read.lines,
                "duplicates_dropped": read.duplicates,
                "unreadable_lines": read.unreadable,
                "source": MetadataValue.path(day_glob(touchline.landing_root, account, day)),
            }
        )

    return raw_hits
