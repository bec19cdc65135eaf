"""Materialise partitions from the command line through the Dagster instance, so
the runs show in the UI exactly like scheduled ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

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


def build_views(instance: DagsterInstance) -> bool:
    from orchestration.definitions import defs

    job = defs.resolve_job_def("warehouse_views")
    return job.execute_in_process(instance=instance, raise_on_error=False).success


def materialize_account_days(
    account: str,
    days: Sequence[date],
    instance: DagsterInstance | None = None,
    on_done: Callable[[PartitionRun], None] | None = None,
) -> list[PartitionRun]:
    """Run the account_day job for each day, in order; a failed day does not stop the rest."""
    import time

    from orchestration.definitions import defs

    instance = instance or DagsterInstance.get()
    register_accounts(instance, [account])
    job = defs.resolve_job_def("account_day")
    runs = []
    for day in days:
        started = time.monotonic()
        result = job.execute_in_process(
            instance=instance,
            partition_key=account_day_key(account, day),
            raise_on_error=False,
            tags={"touchline/account": account, "touchline/trigger": "cli"},
        )
        run = PartitionRun(account, day, result.success, result.run_id, time.monotonic() - started)
        runs.append(run)
        if on_done:
            on_done(run)
    return runs
