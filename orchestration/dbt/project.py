"""The dbt project as Dagster sees it, for the warehouse the settings name."""

from __future__ import annotations

from dagster_dbt import DbtCliResource, DbtProject

from touchline.dbt import (
    DBT_PROJECT_DIR,
    QUIET_FLAGS,
    apply_dbt_env,
    dbt_executable,
    ensure_manifest,
    target_path,
    warehouse_target,
)
from touchline.settings import get_settings

target = warehouse_target(get_settings())
apply_dbt_env(target)
ensure_manifest(target)

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=target.dialect,
    target_path=target_path(target),
)

dbt_resource = DbtCliResource(
    project_dir=dbt_project,
    dbt_executable=dbt_executable(),
    global_config_flags=QUIET_FLAGS,
)
