"""Running our dbt project against the configured warehouse: which target (and
adapter) the settings name, the manifest every process needs prepared, and
dbt as a subprocess."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

from touchline.dbt.invocation import DbtInvocation
from touchline.dbt.project import (
    DBT_PROJECT_DIR,
    QUIET_FLAGS,
    dbt_executable,
    project_changed_at,
    target_path,
)
from touchline.settings import Settings
from touchline.warehouse import (
    Warehouse,
    WarehouseError,
    WarehouseTarget,
    parse_warehouse_url,
)


def warehouse_target(settings: Settings) -> WarehouseTarget:
    """The target, telling MariaDB from MySQL by asking the server when it answers.
    Connects: call it from commands, never at import time."""
    url = settings.resolved_warehouse_url
    try:
        target = Warehouse(url).target
    except WarehouseError:
        return parse_warehouse_url(url)
    remember_dialect(settings, target.dialect)
    return target


def _dialect_file(settings: Settings) -> Path:
    return settings.data_dir / "dbt-dialect"


def remember_dialect(settings: Settings, dialect: str) -> None:
    """Record what the server said, so that loading the definitions later needs no
    connection to tell MariaDB from MySQL."""
    path = _dialect_file(settings)
    if not path.exists() or path.read_text().strip() != dialect:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dialect + "\n")


def known_target(settings: Settings) -> WarehouseTarget:
    """The target without connecting: the adapter a command already chose
    (TOUCHLINE_DBT_TARGET), else the one last detected, else the URL's scheme."""
    target = parse_warehouse_url(settings.resolved_warehouse_url)
    if target.dialect == "duckdb":
        return target
    chosen = os.environ.get("TOUCHLINE_DBT_TARGET", "").strip()
    if not chosen and _dialect_file(settings).exists():
        chosen = _dialect_file(settings).read_text().strip()
    if chosen in ("mysql", "mariadb") and chosen != target.dialect:
        target = dataclasses.replace(target, dialect=chosen)
    return target


def _profile_stamp(target: WarehouseTarget) -> Path:
    return target_path(target) / "touchline-profile"


def manifest_is_stale(target: WarehouseTarget) -> bool:
    """True when the project changed since the last parse, or the parse was for
    another warehouse: dbt keys partial parsing on the profile's connection
    details (the DuckDB path included), so a manifest parsed for one warehouse
    makes every run against another parse the whole project again."""
    manifest = target_path(target) / "manifest.json"
    stamp = _profile_stamp(target)
    if not manifest.exists() or not stamp.exists():
        return True
    if stamp.read_text() != target.redacted():
        return True
    return project_changed_at() > manifest.stat().st_mtime


def run_dbt(
    args: list[str], target: WarehouseTarget | DbtInvocation, check: bool = True
) -> subprocess.CompletedProcess:
    """dbt in a subprocess with the invocation's environment; an invocation with a
    range limits partitioned models to it, else they build everything."""
    invocation = target if isinstance(target, DbtInvocation) else DbtInvocation(target)
    target = invocation.target
    env = invocation.subprocess_env()
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
        # dagster-dbt names the target too; the same arguments keep partial parsing
        "--target",
        target.dialect,
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
        _profile_stamp(target).write_text(target.redacted())
    return target_path(target) / "manifest.json"
