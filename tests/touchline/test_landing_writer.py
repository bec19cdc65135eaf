"""The landing writer: rotation by size and age, names that cannot collide, and
version-1 lines still loading next to version-2 ones."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from touchline.contract import LandedHit
from touchline.landing import LandingWriter, read_partition
from touchline.loader import load_hits
from touchline.warehouse import Warehouse

WHEN = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)


def hit(n: int) -> LandedHit:
    return LandedHit(
        hit_id=f"00000000-0000-4000-8000-{n:012d}",
        type="pageview",
        account="acme",
        event_at=WHEN,
        received_at=WHEN,
        visitor_id=f"v-{n}",
        url="https://shop.example.com/",
    )


def test_files_rotate_by_size_and_age(tmp_path: Path) -> None:
    now = [0.0]
    writer = LandingWriter(
        str(tmp_path), "host-a", fsync="never", max_bytes=2000, max_age=60, clock=lambda: now[0]
    )
    for n in range(12):  # ~600 bytes a line: a new file every 3 lines
        writer.write([hit(n)])
    folder = tmp_path / "acme/2026/11/20/10"
    sizes = sorted(p.stat().st_size for p in folder.iterdir())
    assert len(sizes) == 4 and max(sizes) <= 2000
    now[0] = 61.0  # older than max_age: the next write starts a new file
    writer.write([hit(99)])
    assert len(list(folder.iterdir())) == 5
    writer.close()
    assert len(read_partition(str(tmp_path), "acme", WHEN.date()).hits) == 13


def test_names_cannot_collide_between_hosts_containers_and_processes(tmp_path: Path) -> None:
    # Two containers with the same host name, both pid 1 in their own namespace,
    # are simulated by two writers in one process with the same instance name.
    first = LandingWriter(str(tmp_path), "web", fsync="never")
    second = LandingWriter(str(tmp_path), "web", fsync="never")
    first.write([hit(1)])
    second.write([hit(2)])
    names = sorted(p.name for p in (tmp_path / "acme/2026/11/20/10").iterdir())
    assert len(names) == 2
    assert all(n.startswith(f"web-{os.getpid()}-") and n.endswith("-00001.ndjson") for n in names)
    assert names[0] != names[1]


def test_always_syncs_the_new_file_and_the_folders_that_name_it(
    tmp_path: Path, monkeypatch
) -> None:
    """A power loss after the answer must not take the hit: its bytes, the file's
    name in the hour folder and each new folder's name in its parent are synced
    before ``write`` returns. Spied at the OS boundary (os.fsync), then synced for real."""
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    root = tmp_path / "landing"
    writer = LandingWriter(str(root), "host-a", fsync="always")
    writer.write([hit(1)])
    [path] = (root / "acme/2026/11/20/10").iterdir()
    folders = [root / "acme/2026/11/20/10", root / "acme/2026/11/20", root / "acme/2026/11",
               root / "acme/2026", root / "acme", root]  # fmt: skip
    assert synced == [str(path)] + [str(f) for f in folders]
    # The next hit goes to the same file: only its bytes need syncing now.
    synced.clear()
    writer.write([hit(2)])
    assert synced == [str(path)]
    writer.close()


def test_version_1_lines_still_load(tmp_path: Path) -> None:
    folder = tmp_path / "landing/acme/2026/11/20/10"
    folder.mkdir(parents=True)
    v1 = {  # as the version-1 collector wrote it (no properties of any type)
        "contract_version": 1, "hit_id": "11111111-1111-4111-8111-111111111111",
        "type": "pageview", "account": "acme", "event_at": "2026-11-20T10:00:00Z",
        "received_at": "2026-11-20T10:00:01Z", "visitor_id": "v-old",
        "url": "https://shop.example.com/", "cookie_mode": "first_party",
        "schema_level": "full", "properties": {}, "is_bot": False, "dnt": False,
    }  # fmt: skip
    (folder / "old-host-1-00000.ndjson").write_text(json.dumps(v1) + "\n")
    LandingWriter(str(tmp_path / "landing"), "new", fsync="never").write([hit(7)])
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    [day] = load_hits(warehouse, str(tmp_path / "landing"), "acme", "UTC", WHEN.date(), WHEN.date())
    assert day.rows == 2
    rows = warehouse.query("select contract_version, visitor_id from raw_hits order by 1")
    assert [(r["contract_version"], r["visitor_id"]) for r in rows] == [(1, "v-old"), (2, "v-7")]
