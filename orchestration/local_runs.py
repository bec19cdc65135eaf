"""Run the pipeline on this machine: get ready once (:func:`prepare_local`), then
materialise partitions through the Dagster instance, so the runs show in the UI
exactly like scheduled ones. ``touchline prepare | dev | materialize``, the demo,
the benchmarks and the tests' ``pipeline`` fixture all start here."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster import AssetKey, DagsterInstance

from orchestration.defs.partitions import accounts_partitions, run_tags
from orchestration.lib.dagster_home import ensure_dagster_home
from touchline.dbt.invocation import DbtInvocation
from touchline.dbt.runner import ensure_manifest, manifest_is_stale, warehouse_target
from touchline.settings import Settings
from touchline.warehouse import WarehouseTarget


@dataclass(frozen=True)
class RangeRun:
    account: str
    start: date
    end: date
    success: bool
    run_id: str
    seconds: float
    step_seconds: dict[str, float]


@dataclass(frozen=True)
class Prepared:
    target: WarehouseTarget
    manifest_rebuilt: bool
    dagster_home: Path


def prepare_local(settings: Settings) -> Prepared:
    """Ready to run: the warehouse's adapter detected (MariaDB or MySQL asked of the
    server), its dbt environment exported for this process, dbt's manifest parsed
    if the project changed, and DAGSTER_HOME set up in the data directory."""
    target = warehouse_target(settings)
    DbtInvocation(target).export()
    rebuilt = manifest_is_stale(target)
    ensure_manifest(target)
    return Prepared(target, rebuilt, ensure_dagster_home(settings, target.dialect))


@contextlib.contextmanager
def local_instance(settings: Settings) -> Iterator[DagsterInstance]:
    """The prepared pipeline's Dagster instance, closed afterwards."""
    prepare_local(settings)
    with DagsterInstance.get() as instance:
        yield instance


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


def ensure_views(
    instance: DagsterInstance, warehouse_url: str, rebuilt: bool, log_path: Path | None = None
) -> bool:
    """Materialise the staging views when dbt's project changed or the warehouse
    lacks one of them (a fresh warehouse); otherwise nothing to do."""
    from orchestration.defs.dbt.manifest import VIEW_NAMES
    from touchline.warehouse import Warehouse

    warehouse = Warehouse(warehouse_url)
    if not rebuilt and not warehouse.missing_tables(VIEW_NAMES):
        return True
    return build_views(instance, log_path)


def run_step_seconds(instance: DagsterInstance, run_id: str) -> dict[str, float]:
    """Wall time of each step of a run, from its event log."""
    from dagster import DagsterEventType

    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            started[event.step_key] = record.timestamp
        elif (
            event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)
            and event.step_key in started
        ):
            seconds[event.step_key] = record.timestamp - started[event.step_key]
    return seconds


def materialize_range(
    account: str,
    start: date,
    end: date,
    instance: DagsterInstance | None = None,
    log_path: Path | None = None,
    trigger: str = "cli",
) -> RangeRun:
    """One run of the account_day job over ``account``'s days from start to end."""
    from orchestration.definitions import defs

    instance = instance or DagsterInstance.get()
    register_accounts(instance, [account])
    job = defs.resolve_job_def("account_day")
    started = time.monotonic()
    with dbt_output_to(log_path):
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=QUIET_RUN_CONFIG,
            tags=run_tags(account, start, end, trigger),
        )
    return RangeRun(
        account,
        start,
        end,
        result.success,
        result.run_id,
        time.monotonic() - started,
        run_step_seconds(instance, result.run_id),
    )


def row_count(instance: DagsterInstance, asset: str, partition_key: str) -> int | None:
    """The row count the last materialisation of one partition recorded."""
    from dagster import AssetRecordsFilter

    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[partition_key]), limit=1
    ).records
    if not records:
        return None
    value = records[0].asset_materialization.metadata.get("dagster/row_count")
    return None if value is None else int(value.value)
