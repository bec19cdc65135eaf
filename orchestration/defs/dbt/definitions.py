"""The dbt domain: views and seeds once per deploy (the warehouse_views job), and
the incremental models per account and day."""

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from orchestration.defs.dbt.assets import dbt_account_day, dbt_views

warehouse_views_job = define_asset_job(
    name="warehouse_views",
    selection=AssetSelection.assets(dbt_views),
    executor_def=in_process_executor,
    description="(Re)create the staging views; run after deploying new dbt code.",
)

defs = Definitions(assets=[dbt_views, dbt_account_day], jobs=[warehouse_views_job])
