"""The instance touchline writes keeps its event log in Dagster's own files: a run
stored through our storage reads back whole through Dagster's default one."""

from __future__ import annotations

from pathlib import Path

from dagster import (
    AssetKey,
    DagsterInstance,
    MaterializeResult,
    asset,
    materialize,
)
from dagster._core.storage.event_log import SqliteEventLogStorage

from orchestration.lib.dagster_home import ensure_dagster_home
from orchestration.lib.event_log import OPEN_SHARDS, TouchlineSqliteEventLogStorage
from touchline.settings import Settings


@asset
def counted() -> MaterializeResult:
    return MaterializeResult(metadata={"dagster/row_count": 7})


def test_runs_stored_by_touchline_read_back_through_dagsters_own_storage(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # restored after the test
    home = ensure_dagster_home(Settings(data_dir=tmp_path), "duckdb")
    run_ids = []
    with DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, TouchlineSqliteEventLogStorage)
        # more runs than engines kept open: evicted ones are reopened on demand
        for _ in range(OPEN_SHARDS + 2):
            result = materialize([counted], instance=instance)
            assert result.success
            run_ids.append(result.run_id)
        first = instance.all_logs(run_ids[0])
        assert any(r.dagster_event and r.dagster_event.is_step_success for r in first)

    plain = SqliteEventLogStorage(str(home / "history" / "runs"))
    try:
        for run_id in run_ids:
            types = [r.dagster_event.event_type_value for r in plain.get_logs_for_run(run_id)
                     if r.dagster_event]  # fmt: skip
            assert "ASSET_MATERIALIZATION" in types and types[-1] == "PIPELINE_SUCCESS"
        latest = plain.get_latest_materialization_events([AssetKey("counted")])
        mat = latest[AssetKey("counted")].asset_materialization
        assert mat.metadata["dagster/row_count"].value == 7
    finally:
        plain.dispose()
