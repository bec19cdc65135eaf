"""Materialise partitions from the command line through the Dagster instance, so
the runs show in the UI exactly like scheduled ones."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster import DagsterInstance

from orchestration.partitions import account_day_key, accounts_partitions


@dataclass(frozen=True)
class PartitionRun:
    account: str
    day: date
    success: bool
    run_id: str
    seconds: float


def register_accounts(instance: DagsterInstance, accounts: Sequence[str]) -> None:
    existing = set(instance.get_dynamic_partitions(accounts_partitions.name))
    new = [a for a in accounts if a not in existing]
    if new:
        instance.add_dynamic_partitions(accounts_partitions.name, new)


# Runs started from the command line print warnings only; the full event log is
# in the Dagster UI, and dbt's own output goes to the log file the caller names.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@contextlib.contextmanager
def dbt_output_to(log_path: Path | None) -> Iterator[None]:
    if log_path is None:
        yield
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        yield


def build_views(instance: DagsterInstance, log_path: Path | None = None) -> bool:
    from orchestration.definitions import defs

    job = defs.resolve_job_def("warehouse_views")
    with dbt_output_to(log_path):
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET_RUN_CONFIG
        )
    return result.success


def materialize_account_days(
    account: str,
    days: Sequence[date],
    instance: DagsterInstance | None = None,
    on_done: Callable[[PartitionRun], None] | None = None,
    log_path: Path | None = None,
) -> list[PartitionRun]:
    """Run the account_day job for each day, in order; a failed day does not stop the rest."""
    from orchestration.definitions import defs

    instance = instance or DagsterInstance.get()
    register_accounts(instance, [account])
    job = defs.resolve_job_def("account_day")
    runs = []
    for day in days:
        started = time.monotonic()
        with dbt_output_to(log_path):
            result = job.execute_in_process(
                instance=instance,
                partition_key=account_day_key(account, day),
                raise_on_error=False,
                run_config=QUIET_RUN_CONFIG,
                tags={"touchline/account": account, "touchline/trigger": "cli"},
            )
        run = PartitionRun(account, day, result.success, result.run_id, time.monotonic() - started)
        runs.append(run)
        if on_done:
            on_done(run)
    return runs
