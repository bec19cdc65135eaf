"""Running our dbt project against the configured warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from touchline.settings import Settings
from touchline.warehouse import (
    Warehouse,
    WarehouseError,
    WarehouseTarget,
    dbt_env,
    parse_warehouse_url,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# Flags for every dbt call: no version check and no tracking, so runs never reach the network.
QUIET_FLAGS = ["--no-version-check", "--no-send-anonymous-usage-stats"]


def warehouse_target(settings: Settings) -> WarehouseTarget:
    """The target, telling MariaDB from MySQL by asking the server when it answers."""
    url = settings.resolved_warehouse_url
    try:
        return Warehouse(url).target
    except WarehouseError:
        return parse_warehouse_url(url)


def target_path(target: WarehouseTarget) -> Path:
    """dbt artefacts per adapter, so DuckDB and MariaDB manifests never overwrite each other."""
    return DBT_PROJECT_DIR / "target" / target.dialect


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def apply_dbt_env(target: WarehouseTarget) -> None:
    """Export the profile variables so every dbt subprocess sees the same target."""
    os.environ.update(dbt_env(target))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def manifest_is_stale(target: WarehouseTarget) -> bool:
    manifest = target_path(target) / "manifest.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds"):
        sources.extend((DBT_PROJECT_DIR / folder).rglob("*"))
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


def run_dbt(
    args: list[str], target: WarehouseTarget, check: bool = True
) -> subprocess.CompletedProcess:
    env = {**os.environ, **dbt_env(target)}
    command = [
        dbt_executable(),
        *QUIET_FLAGS,
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path(target)),
    ]
    result = subprocess.run(command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    if check and result.returncode != 0:
        output = result.stdout[-4000:] + result.stderr[-2000:]
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{output}")
    return result


def ensure_manifest(target: WarehouseTarget) -> Path:
    """dagster-dbt needs target/manifest.json before the definitions load."""
    if manifest_is_stale(target):
        run_dbt(["parse", "--quiet"], target)
    return target_path(target) / "manifest.json"
