"""Hits in the landing zone for tests, loaded by the real loader.

Tests that need rows in raw_hits land them as the collector does (NDJSON in
the UTC hour folder of their ``event_at``) and run :func:`touchline.loader.load_hits`,
so what they test is what production loads.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from touchline.landing import hour_folder
from touchline.loader import load_hits
from touchline.warehouse import Warehouse


def land(root: str | Path, hits: Iterable[dict[str, Any]], instance: str = "test") -> None:
    """Append each hit (a landed record, JSON-ready) to its hour folder's file."""
    for hit in hits:
        when = datetime.fromisoformat(str(hit["event_at"]).replace("Z", "+00:00"))
        folder = Path(hour_folder(str(root), hit["account"], when))
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{instance}-00001.ndjson", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(hit) + "\n")


def replace_day(
    warehouse: Warehouse,
    root: str | Path,
    account: str,
    day: date,
    hits: Iterable[dict[str, Any]],
) -> int:
    """Make the account's (UTC) day folder hold exactly ``hits`` and load that day;
    returns the rows loaded."""
    shutil.rmtree(Path(root) / account / f"{day:%Y/%m/%d}", ignore_errors=True)
    land(root, hits)
    [loaded] = load_hits(warehouse, str(root), account, "UTC", day, day)
    return loaded.rows
