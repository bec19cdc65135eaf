"""Landed hits → the raw warehouse table, for any accounts × range of local days."""

from datetime import timedelta

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Backoff,
    MaterializeResult,
    RetryPolicy,
    TableColumn,
    TableSchema,
    asset,
)

from orchestration.defs.partitions import (
    ACCOUNT_DAY_WRITER,
    LATE_DAYS_TAG,
    account_day_key,
    day_ranges,
)
from orchestration.defs.resources import TouchlineResource
from touchline.loader import load_hits
from touchline.tables import RAW_HITS


def build_raw_hits_asset(dialect: str) -> AssetsDefinition:
    @asset(
        name=RAW_HITS.name,
        **ACCOUNT_DAY_WRITER,
        group_name="landing",
        kinds={"python", dialect},
        retry_policy=RetryPolicy(max_retries=2, delay=15, backoff=Backoff.EXPONENTIAL),
        description=(
            "Every hit the collector landed for the run's accounts and local days, read "
            "by the warehouse itself from the landing zone's NDJSON files (the UTC hours "
            "each local day spans) into the raw_hits table. Loading replaces the days, "
            "so a range loaded twice holds each hit (hit_id) once per account."
        ),
        metadata={
            "dagster/column_schema": TableSchema(
                columns=[TableColumn(c) for c in RAW_HITS.column_names]
            ),
            "dagster/table_name": RAW_HITS.name,
        },
    )
    def raw_hits(context: AssetExecutionContext, touchline: TouchlineResource) -> MaterializeResult:
        ranges = day_ranges(context.partition_keys)
        accounts = sorted({a for r in ranges for a in r.accounts})
        zones = touchline.account_timezones(accounts)
        warehouse = touchline.warehouse()
        total = 0
        for day_range in ranges:
            for account in day_range.accounts:
                # One day more on each side: sessions that cross midnight at the edges
                # of the range are decided with their neighbours' hits (int_sessions).
                loads = load_hits(
                    warehouse,
                    touchline.landing_root,
                    account,
                    zones[account],
                    day_range.start - timedelta(days=1),
                    day_range.end + timedelta(days=1),
                )
                loads = [x for x in loads if day_range.start <= x.day <= day_range.end]
                for load in loads:
                    total += load.rows
                    context.add_asset_metadata(
                        {
                            "dagster/row_count": load.rows,
                            "landed_files": load.landed_files,
                            "landed_lines": load.landed_lines,
                            "duplicates_dropped": load.duplicates,
                            "unreadable_lines": load.unreadable,
                            "timezone": zones[account],
                        },
                        partition_key=str(account_day_key(account, load.day)),
                    )
                    if load.unreadable:
                        context.log.warning(
                            f"{account} {load.day}: {load.unreadable} landed lines are not "
                            "complete JSON; they were skipped"
                        )
                context.log.info(
                    f"{account} {day_range.start}..{day_range.end} ({zones[account]}): "
                    f"{sum(x.rows for x in loads)} hits loaded"
                )
        late = context.run.tags.get(LATE_DAYS_TAG)
        if late:
            # Landed after the late-data window closed: reported, never dropped silently.
            context.log.warning(
                f"hits landed for days outside the late-data window, not loaded by this run: "
                f"{late}. Load them with: touchline materialize ACCOUNT --start DAY --end DAY"
            )
        return MaterializeResult(
            metadata={"hits_loaded": total, **({"late_days_not_loaded": late} if late else {})}
        )

    return raw_hits
