"""The Dagster instance directory (``DAGSTER_HOME``) under the data directory:
its ``dagster.yaml`` (pools, run limits, the event-log storage of
:mod:`orchestration.lib.event_log`).

Written for dagster 1.13.27 (the instance's configuration keys); an instance
written by an earlier Touchline, which named the event log by its old module,
is brought up to date in place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from touchline.settings import Settings

EVENT_LOG_MODULE = "orchestration.lib.event_log"
# Where the event log lived before orchestration/lib/: instances written then name it.
_OLD_EVENT_LOG_MODULE = "orchestration.event_log"


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
        "# Dagster's SQLite event log with its engines kept (orchestration/lib/event_log.py);\n"
        "# the same files and layout as Dagster's default.\n"
        "event_log_storage:\n"
        f"  module: {EVENT_LOG_MODULE}\n"
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
    else:
        text = config.read_text()
        old = f"module: {_OLD_EVENT_LOG_MODULE}\n"
        if old in text:
            config.write_text(text.replace(old, f"module: {EVENT_LOG_MODULE}\n"))
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    return home
