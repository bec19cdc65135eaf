"""How dagster-dbt names and groups our models, and the dependencies it
cannot see in the manifest (a partitioned model reading raw tables through views)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetDep, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


def group_for(fqn: list[str]) -> str:
    """Dagster group from the model's folder: staging, intermediate or marts."""
    layer = fqn[1] if len(fqn) > 2 else "dbt"
    return {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}.get(
        layer, layer
    )


def tables_behind_views(manifest: Mapping[str, Any], unique_id: str) -> list[str]:
    """Upstream nodes a model reads *through* views.

    A view is rebuilt only on deploy, not per partition, so a partitioned model
    that reads a view really depends on the view's inputs: without that edge
    Dagster could run the model before the partition's raw data is loaded.
    """
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    found: list[str] = []

    def is_view(uid: str) -> bool:
        node = nodes.get(uid, {})
        return node.get("resource_type") == "model" and (
            node.get("config", {}).get("materialized") == "view"
        )

    def walk(uid: str) -> None:
        for parent in nodes.get(uid, {}).get("depends_on", {}).get("nodes", []):
            if is_view(parent):
                walk(parent)
            elif parent not in found:
                found.append(parent)

    for parent in nodes.get(unique_id, {}).get("depends_on", {}).get("nodes", []):
        if is_view(parent):
            walk(parent)
    return found


class TouchlineDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        # Sources are the tables our Python assets write, so they share one plain key.
        return AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_for(dbt_resource_props.get("fqn", []))

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if unique_id not in manifest.get("nodes", {}):
            return spec
        have = {dep.asset_key for dep in spec.deps}
        extra = [
            self.get_asset_key(self.get_resource_props(manifest, uid))
            for uid in tables_behind_views(manifest, unique_id)
        ]
        new = [AssetDep(key) for key in extra if key not in have]
        return spec.merge_attributes(deps=new) if new else spec


translator = TouchlineDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
