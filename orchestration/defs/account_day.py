"""The account_day job: every asset partitioned by account and day, of every
domain, in dependency order, in one process (a step per process would cost
seconds each). The nightly schedule and the landing sensor start it by name."""

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from orchestration.defs.ad_platforms.definitions import ad_platform_assets
from orchestration.defs.attribution.definitions import attribution_assets
from orchestration.defs.dbt.assets import dbt_account_day
from orchestration.defs.hits.definitions import raw_hits
from orchestration.defs.partitions import ACCOUNT_DAY_JOB, account_day_partitions
from orchestration.defs.serving.definitions import serving_marts

account_day_job = define_asset_job(
    name=ACCOUNT_DAY_JOB,
    selection=AssetSelection.assets(
        raw_hits, *ad_platform_assets, *attribution_assets, dbt_account_day, serving_marts
    ),
    partitions_def=account_day_partitions,
    executor_def=in_process_executor,
    description="Load accounts' landed hits for a range of local days and build their "
    "report rows, in one run.",
)

defs = Definitions(jobs=[account_day_job])
