"""Everything Dagster loads: ``dagster dev -w workspace.yaml`` points here.

Loading is cheap and offline: no warehouse connection and no dbt command run
here (the manifest is prepared by ``touchline prepare``)."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from orchestration.accounts.sensors import account_partitions_sensor
from orchestration.ad_platforms.assets import build_ad_platform_assets
from orchestration.attribution.assets import build_attribution_assets
from orchestration.dbt.assets import dbt_account_day, dbt_views
from orchestration.dbt.project import dbt_resource, target
from orchestration.hits.assets import build_raw_hits_asset
from orchestration.hits.sensors import build_landing_sensor
from orchestration.resources import TouchlineResource
from orchestration.schedules.nightly import build_account_day_job, build_nightly_schedule
from orchestration.serving.assets import build_serving_asset

raw_hits = build_raw_hits_asset(target.dialect)
ad_platform_assets = build_ad_platform_assets()
serving_marts = build_serving_asset(target.dialect)
attribution_assets = build_attribution_assets(target.dialect)

account_day_job = build_account_day_job(
    raw_hits, *ad_platform_assets, *attribution_assets, dbt_account_day, serving_marts
)
warehouse_views_job = define_asset_job(
    name="warehouse_views",
    selection=AssetSelection.assets(dbt_views),
    executor_def=in_process_executor,
    description="(Re)create the staging views; run after deploying new dbt code.",
)

defs = Definitions(
    assets=[
        raw_hits,
        *ad_platform_assets,
        *attribution_assets,
        dbt_views,
        dbt_account_day,
        serving_marts,
    ],
    jobs=[account_day_job, warehouse_views_job],
    schedules=[build_nightly_schedule(account_day_job)],
    sensors=[account_partitions_sensor, build_landing_sensor(account_day_job)],
    resources={"dbt": dbt_resource, "touchline": TouchlineResource()},
)
