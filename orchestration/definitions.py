"""Everything Dagster loads: ``dagster dev -w workspace.yaml`` points here."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from orchestration.accounts.sensors import account_partitions_sensor
from orchestration.dbt.assets import dbt_account_day, dbt_views
from orchestration.dbt.project import dbt_resource, target
from orchestration.hits.assets import build_raw_hits_asset
from orchestration.resources import TouchlineResource
from orchestration.schedules.nightly import build_account_day_job, build_nightly_schedule

raw_hits = build_raw_hits_asset(target.dialect)

account_day_job = build_account_day_job(raw_hits, dbt_account_day)
warehouse_views_job = define_asset_job(
    name="warehouse_views",
    selection=AssetSelection.assets(dbt_views),
    description="(Re)create the staging views; run after deploying new dbt code.",
)

defs = Definitions(
    assets=[raw_hits, dbt_views, dbt_account_day],
    jobs=[account_day_job, warehouse_views_job],
    schedules=[build_nightly_schedule(account_day_job)],
    sensors=[account_partitions_sensor],
    resources={"dbt": dbt_resource, "touchline": TouchlineResource()},
)
