"""Where the dbt project and its artefacts are, and the flags of every dbt call."""

from __future__ import annotations

import sys
from pathlib import Path

from touchline.warehouse import WarehouseTarget

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# Flags for every dbt call: no version check and no tracking, so runs never reach the network.
QUIET_FLAGS = ["--no-version-check", "--no-send-anonymous-usage-stats"]


def target_path(target: WarehouseTarget) -> Path:
    """dbt artefacts per adapter, so DuckDB and MariaDB manifests never overwrite each other."""
    return DBT_PROJECT_DIR / "target" / target.dialect


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def project_changed_at() -> float:
    """When any file dbt parses last changed (mtime)."""
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds"):
        sources.extend((DBT_PROJECT_DIR / folder).rglob("*"))
    return max((p.stat().st_mtime for p in sources if p.is_file()), default=0.0)
