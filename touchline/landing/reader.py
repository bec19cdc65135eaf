"""Reading one account's UTC day folder in Python, for inspecting the landing
zone (tests, the loading benchmark's baseline). The loader (:mod:`touchline.loader`)
has the warehouse read the files itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone

from touchline.landing.layout import day_glob, filesystem


@dataclass
class PartitionRead:
    hits: list[dict]
    files: int
    lines: int
    duplicates: int
    unreadable: int


def read_partition(root: str, account: str, day: date) -> PartitionRead:
    """Every hit landed in one account's UTC day folder, each hit id once (the first
    received wins), read in Python: for inspecting the landing zone (tests, the
    loading benchmark's baseline). The loader (touchline.loader) has the warehouse
    read the files itself."""
    fs = filesystem(root)
    files = sorted(fs.glob(day_glob(root, account, day)))
    seen: dict[str, dict] = {}
    lines = duplicates = unreadable = 0
    for path in files:
        with fs.open(path, "rb") as handle:
            for raw in handle:
                if not raw.endswith(b"\n"):
                    continue  # still being written; the next load takes it
                lines += 1
                try:
                    hit = json.loads(raw)
                    hit_id = hit["hit_id"]
                except (ValueError, KeyError, TypeError):
                    unreadable += 1
                    continue
                kept = seen.get(hit_id)
                if kept is None:
                    seen[hit_id] = hit
                else:
                    duplicates += 1
                    if _received(hit) < _received(kept):
                        seen[hit_id] = hit
    return PartitionRead(list(seen.values()), len(files), lines, duplicates, unreadable)


def _received(hit: dict) -> datetime:
    """received_at as a time: as strings, "10:00:00Z" sorts after "10:00:00.5Z"."""
    try:
        value = datetime.fromisoformat(str(hit.get("received_at")).replace("Z", "+00:00"))
    except ValueError:
        return datetime.max.replace(tzinfo=timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
