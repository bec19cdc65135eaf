"""What the prepared dbt manifest names: read once when the definitions load."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from orchestration.defs.dbt.project import dbt_project
from touchline.serving import is_mart

MANIFEST: Mapping[str, Any] = json.loads(dbt_project.manifest_path.read_text())
_MODELS = [n for n in MANIFEST["nodes"].values() if n["resource_type"] in ("model", "seed")]
# A partition run only checks that these exist (views and seeds).
VIEW_NAMES = sorted(
    n.get("alias") or n["name"]
    for n in _MODELS
    if n["resource_type"] == "seed" or n["config"].get("materialized") == "view"
)
# What the serving copy holds (touchline.serving publishes them by name).
MART_NAMES = sorted(n["name"] for n in _MODELS if is_mart(n.get("alias") or n["name"]))
