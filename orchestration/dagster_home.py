"""The Dagster instance directory (``DAGSTER_HOME``) under the data directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

from touchline.settings import Settings


def instance_yaml(dialect: str, home: Path) -> str:
    # DuckDB admits one writer per file, so warehouse steps queue one at a time;
    # a MySQL/MariaDB server takes several accounts at once.
    pool_limit = 1 if dialect == "duckdb" else 4
    return (
        "# Written by touchline; edit freely, it is not overwritten.\n"
        "telemetry:\n"
        "  enabled: false\n"
        "concurrency:\n"
        "  pools:\n"
        f"    default_limit: {pool_limit}\n"
        "  runs:\n"
        "    max_concurrent_runs: 4\n"
        "# Dagster's SQLite event log with its engines kept (orchestration/event_log.py);\n"
        "# the same files and layout as Dagster's default.\n"
        "event_log_storage:\n"
        "  module: orchestration.event_log\n"
        "  class: TouchlineSqliteEventLogStorage\n"
        "  config:\n"
        f"    base_dir: {json.dumps(str(home / 'history' / 'runs'))}\n"
    )


def ensure_dagster_home(settings: Settings, dialect: str) -> Path:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(instance_yaml(dialect, home.resolve()))
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    return home
