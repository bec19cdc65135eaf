"""Helpers shared by the collector's tests: hits on the wire, landed lines, and
loading what landed into a real warehouse through the existing loader path."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from touchline.loader import load_hits
from touchline.warehouse import Warehouse

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SITE = "https://shop.example.com"


def wire_hit(hit_type: str = "pageview", **fields: Any) -> dict[str, Any]:
    hit: dict[str, Any] = {
        "type": hit_type,
        "hit_id": str(uuid.uuid4()),
        "visitor_id": "v-1",
        "session_id": "s-1",
        "url": f"{SITE}/products",
    }
    hit.update(fields)
    return hit


def landed_lines(root: str | Path) -> list[dict[str, Any]]:
    lines = []
    for path in sorted(Path(root).rglob("*.ndjson")):
        # NDJSON lines end at "\n" only: U+2028 or NEL inside a string is no line end.
        lines.extend(json.loads(line) for line in path.read_bytes().split(b"\n") if line)
    return lines


def load_landed(root: str, account: str, warehouse: Warehouse) -> int:
    """Every landed (UTC) day of the account into raw_hits with the loader;
    returns how many hits were loaded."""
    days = days_of(landed_lines(Path(root) / account))
    if not days:
        return 0
    loads = load_hits(warehouse, root, account, "UTC", min(days), max(days))
    return sum(load.rows for load in loads)


def days_of(lines: list[dict[str, Any]]) -> set[date]:
    return {datetime.fromisoformat(h["event_at"]).date() for h in lines}
