"""The real dbt CLI run against one warehouse, as Dagster would run it."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

from tests.support.processes import REPO
from touchline.dbt.project import DBT_PROJECT_DIR, dbt_executable
from touchline.warehouse import Warehouse, dbt_env


class DbtRunner:
    """Runs the real dbt CLI against one warehouse, as Dagster would."""

    def __init__(self, warehouse: Warehouse, work_dir: Path) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TOUCHLINE_DBT_", "DBT_ENV_SECRET_TOUCHLINE"))
        }
        env.update(dbt_env(warehouse.target))
        env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
        self.env = env
        self.work_dir = work_dir
        self.runs = 0

    def build(self, *args: str, account: str | None = None, day: date | None = None) -> None:
        env = dict(self.env)
        if account:
            env["TOUCHLINE_PARTITION_ACCOUNTS"] = account
        if day:
            env["TOUCHLINE_PARTITION_START"] = env["TOUCHLINE_PARTITION_END"] = day.isoformat()
        self._run("build", *args, env=env)

    def run_operation(self, macro: str) -> None:
        """``dbt run-operation macro`` (e.g. one of the on-run-start hooks)."""
        self._run("run-operation", macro, env=self.env)

    def _run(self, verb: str, *args: str, env: dict[str, str]) -> None:
        self.runs += 1
        command = [
            dbt_executable(),
            verb,
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(self.work_dir / "target"),
            "--log-path", str(self.work_dir / "logs"),
            *args,
        ]  # fmt: skip
        result = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, (
            f"dbt {verb} #{self.runs} failed ({' '.join(command[1:])}):\n"
            + "\n".join((result.stdout + result.stderr).splitlines()[-60:])
        )
