"""The Dagster instance directory (``DAGSTER_HOME``) under the data directory."""

from __future__ import annotations

import os
from pathlib import Path

from touchline.settings import Settings


def instance_yaml(dialect: str) -> str:
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
    )


def ensure_dagster_home(settings: Settings, dialect: str) -> Path:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(instance_yaml(dialect))
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    return home
