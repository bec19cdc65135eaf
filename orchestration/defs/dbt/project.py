"""The dbt project as Dagster sees it, for the warehouse the settings name.

Nothing here connects to the warehouse or runs dbt: the manifest is prepared
by ``make`` / ``touchline prepare`` (and the deploy steps), and the adapter is
the one those commands detected.
"""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.defs.resources import target
from touchline.dbt.project import DBT_PROJECT_DIR, target_path

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
