"""dbt run inside the Dagster step's own process, on a manifest parsed once.

dagster-dbt starts a dbt subprocess for every step. A range run has three dbt
steps (Python assets, identity and attribution, sit between models), and each
subprocess spent seconds before any work: importing dbt-core, which the step
has already imported through dagster-dbt, and loading the project. Here dbt's
own programmatic runner (``dbtRunner``) builds in-process with a manifest
parsed once per process, and dagster-dbt still turns dbt's result events into
the assets' outputs and check results, exactly as it does for its subprocess.

An adaptation of dbt's and dagster-dbt's internals (``BaseAdapter.load_macro_manifest``,
``dagster_dbt.asset_utils``, ``DbtCoreCliEventMessage``), written for dagster
1.13.27, dagster-dbt 0.29.27 and dbt-core 1.7.20: check it when upgrading them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, Failure

from touchline.dbt.invocation import INDIRECT_SELECTION, DbtInvocation
from touchline.dbt.project import DBT_PROJECT_DIR, QUIET_FLAGS, project_changed_at, target_path
from touchline.warehouse import WarehouseTarget

# dbt's events for one finished node; dagster-dbt makes assets' events of these.
RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})
FAILED = frozenset({"error", "fail", "runtime error"})

# dbt keeps global state (flags, adapters): one invocation at a time per process.
_LOCK = threading.RLock()
_PARSED: dict[tuple[str, float], Any] = {}


def common_args(target: WarehouseTarget, work: Path) -> list[str]:
    return [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work),
        "--target",
        target.dialect,
    ]


def _scratch(target: WarehouseTarget) -> Path:
    """A folder of its own per invocation: concurrent runs never share compiled SQL."""
    work = target_path(target) / "runs" / uuid.uuid4().hex[:12]
    work.mkdir(parents=True)
    return work


def parsed_manifest(target: WarehouseTarget) -> Any:
    """dbt's Manifest object for ``target``, parsed at most once per process and
    project change (partial parsing from the prepared ``partial_parse.msgpack``)."""
    from dbt.cli.main import dbtRunner

    key = (target.redacted(), project_changed_at())
    with _LOCK:
        if key in _PARSED:
            return _PARSED[key]
        work = _scratch(target)
        try:
            prepared = target_path(target) / "partial_parse.msgpack"
            if prepared.exists():
                shutil.copy2(prepared, work / prepared.name)
            result = dbtRunner().invoke(
                [*QUIET_FLAGS, "--quiet", "parse", *common_args(target, work)]
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if not result.success or result.result is None:
            raise Failure(f"dbt could not parse the project: {result.exception or 'see dbt log'}")
        _PARSED.clear()
        _PARSED[key] = result.result
        return result.result


@contextlib.contextmanager
def _macros_from(manifest: Any) -> Iterator[None]:
    """dbt resets its adapter at every invocation and the new adapter parses every
    macro file of the project again (0.4-0.6 s here) although the manifest passed
    in holds them all: for this invocation the adapter takes them from it."""
    from dbt.adapters.base.impl import BaseAdapter
    from dbt.contracts.graph.manifest import MacroManifest

    macros = MacroManifest(manifest.macros)
    original = BaseAdapter.load_macro_manifest

    def load_macro_manifest(self: Any, base_macros_only: bool = False) -> Any:
        if base_macros_only:
            return original(self, base_macros_only)
        if self._macro_manifest_lazy is None:
            self._macro_manifest_lazy = macros
            self.connections.set_query_header(macros)
        return self._macro_manifest_lazy

    BaseAdapter.load_macro_manifest = load_macro_manifest
    try:
        yield
    finally:
        BaseAdapter.load_macro_manifest = original


def _selection(context: AssetExecutionContext, args: Sequence[str]) -> tuple[list[str], list[str]]:
    """The dbt selection for the step's subset of the multi-asset, and the
    environment it needs (dagster-dbt's own rules, as ``dbt.cli`` applies them)."""
    from dagster_dbt.asset_utils import (
        DAGSTER_DBT_EXCLUDE_METADATA_KEY,
        DAGSTER_DBT_SELECT_METADATA_KEY,
        DAGSTER_DBT_SELECTOR_METADATA_KEY,
        get_manifest_and_translator_from_dbt_assets,
        get_subset_selection_for_context,
    )

    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    tags = context.op_execution_context.op.tags
    selection, indirect = get_subset_selection_for_context(
        context=context,
        manifest=manifest,
        select=tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=tags.get(DAGSTER_DBT_SELECTOR_METADATA_KEY),
        dagster_dbt_translator=translator,
        current_dbt_indirect_selection_env=os.getenv(INDIRECT_SELECTION),
    )
    return selection, [indirect] if indirect else []


def failure_summary(raw_events: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per node that failed, in dbt's own words."""
    lines = []
    for event in raw_events:
        data = event["data"]
        status = str(data.get("status", "")).lower()
        node = data.get("node_info", {})
        if status in FAILED or node.get("node_status") in FAILED:
            message = event["info"].get("msg", "").strip()
            lines.append(f"{node.get('unique_id', '?')}: {message}")
    return lines


@dataclass
class DbtResult:
    """What one in-process dbt invocation gave: Dagster events for every node that
    finished, and the failure to raise once they are recorded (None when dbt passed)."""

    events: list[Any] = field(default_factory=list)
    failure: Failure | None = None


def build(
    context: AssetExecutionContext,
    invocation: DbtInvocation,
    args: Sequence[str] = ("build",),
) -> DbtResult:
    """Run ``dbt <args>`` for the step's selected assets in this process, in the
    invocation's environment; the events are those dagster-dbt makes of dbt's
    results (outputs, check results). A failure names each failed model or test
    in dbt's own words."""
    from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets
    from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
    from dbt.cli.main import dbtRunner
    from dbt.events.functions import msg_to_dict

    manifest_json, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    raw_events: list[dict[str, Any]] = []

    def keep(message: Any) -> None:
        # dbt calls back from its worker threads; list.append is atomic.
        if message.info.name in RESULT_EVENTS:
            raw_events.append(msg_to_dict(message))

    target = invocation.target
    with _LOCK:
        manifest = parsed_manifest(target)
        selection, indirect = _selection(context, args)
        if indirect:
            # dagster-dbt's rule for the step's subset wins over the caller's choice
            invocation = dataclasses.replace(invocation, indirect_selection=indirect[0])
        work = _scratch(target)
        try:
            with invocation.applied(), _macros_from(manifest):
                outcome = dbtRunner(manifest=manifest, callbacks=[keep]).invoke(
                    [*QUIET_FLAGS, "--no-write-json", *args, *selection, *common_args(target, work)]
                )
        finally:
            shutil.rmtree(work, ignore_errors=True)

    result = DbtResult()
    for raw in raw_events:
        event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
        result.events.extend(
            event.to_default_asset_events(
                manifest=manifest_json, dagster_dbt_translator=translator, context=context
            )
        )
    if not outcome.success:
        failed = failure_summary(raw_events)
        reason = "; ".join(failed[:10]) if failed else str(outcome.exception or "see dbt's log")
        result.failure = Failure(
            description=f"dbt {' '.join(args)} failed: {reason}",
            metadata={"failed nodes": "\n".join(failed) or reason},
        )
    return result
