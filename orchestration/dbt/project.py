"""The dbt project as Dagster sees it, for the warehouse the settings name.

Nothing here connects to the warehouse or runs dbt: the manifest is prepared
by ``make`` / ``touchline prepare`` (and the deploy steps), and the adapter is
the one those commands detected.
"""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.dbt.resource import TouchlineDbtCliResource
from orchestration.dbt_runner import (
    DBT_PROJECT_DIR,
    QUIET_FLAGS,
    dbt_executable,
    known_target,
    target_path,
)
from touchline.settings import get_settings

target = known_target(get_settings())

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=target.dialect,
    target_path=target_path(target),
)

if not dbt_project.manifest_path.exists():
    raise RuntimeError(
        f"dbt's manifest is missing ({dbt_project.manifest_path}): run `touchline prepare` "
        "(make install does) before loading the Dagster definitions"
    )

dbt_resource = TouchlineDbtCliResource(
    project_dir=dbt_project,
    dbt_executable=dbt_executable(),
    global_config_flags=QUIET_FLAGS,
)
