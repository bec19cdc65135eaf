"""Loading one account-day of landed hits into the warehouse: hits/s and peak RSS.

    .venv/bin/python bench/loading.py                  # 1,000,000 hits, DuckDB and MariaDB
    .venv/bin/python bench/loading.py --hits 100000 --warehouses duckdb

One invocation:

* generates ``--hits`` realistic landed hits (pageviews with campaigns, events,
  sales with items, identifies, impressions, labels, validation failures) for
  one local day of one account, as the collector lands them: UTC hour folders,
  two collector instances per hour. About 1% more lines are retries of those
  hits (a later ``received_at``), half in the day's own folders and half in the
  next day's first hour; and as many hits of the day before have their retry
  landed in this day's folders. The day must load exactly ``--hits`` rows.
* baseline: reading the same files in Python (bytes only, and the old
  ``read_partition`` JSON path on a sample), for a rate every figure is
  compared with;
* loads the day with ``touchline.loader.load_hits`` on each warehouse, each
  load in its own child process, and prints hits/s and that process's peak
  RSS (its own ``VmHWM``), with the loader's own import and connection costs
  included. A second load of the same day (a reload: the
  rows are replaced) is timed as well.

MariaDB: ``TOUCHLINE_TEST_MYSQL_URL`` (the tests' default otherwise); the
script creates its own database and drops it afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MARIADB_ADMIN = os.environ.get(
    "TOUCHLINE_TEST_MYSQL_URL",
    "mysql+pymysql://touchline:tl-test-pw-4d1c@127.0.0.1:3306/touchline_test",
)
ACCOUNT = "bench"
DAY = date(2026, 11, 20)

# ------------------------------------------------------------------ generation

_UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
]
_PAGES = ["/", "/products", "/products/blue-shoe", "/cart", "/checkout", "/blog/how-to", "/about"]
_CAMPAIGNS = [
    {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "brand", "gclid": "Cj0KCQ-x"},
    {"utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "retarget-11"},
    {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "nov-weekly"},
    {},
    {},
    {},
]


def _variants(account: str, rng: random.Random) -> list[dict]:
    """Records as the collector lands them, minus the per-hit ids and times."""
    out = []
    for _ in range(400):
        kind = rng.choices(
            ["pageview", "event", "sale", "identify", "impression", "label", "validation_failure"],
            [80, 9, 2, 3, 3, 2, 1],
        )[0]
        page = rng.choice(_PAGES)
        campaign = rng.choice(_CAMPAIGNS) if kind == "pageview" else {}
        props: dict = {}
        if kind == "event":
            props = {"category": "video", "action": "play", "label": "hero", "value": 3}
        elif kind == "sale":
            props = {
                "order_id": f"o-{rng.randrange(10**9)}",
                "revenue": round(rng.uniform(5, 400), 2),
                "currency": "EUR",
                "items": [
                    {"sku": f"sku-{i}", "name": "Blue shoe", "price": 49.9, "quantity": 1}
                    for i in range(rng.randint(1, 4))
                ],
            }
        elif kind == "identify":
            props = {"traits": {"plan": rng.choice(["free", "pro"]), "seats": rng.randint(1, 9)}}
        elif kind == "impression":
            props = {"campaign": "display-q4", "creative": "banner-a", "placement": "top"}
        elif kind == "label":
            props = {"key": "ab_test", "value": rng.choice(["A", "B"])}
        elif kind == "validation_failure":
            props = {"reason": "revenue: must be a finite number", "failed_level": "full"}
        record = {
            "session_id": None,
            "user_id": f"user-{rng.randrange(10**6)}" if kind == "identify" else None,
            "url": f"https://shop.example.com{page}",
            "referrer": rng.choice([None, "https://www.google.com/", "https://t.co/x"]),
            "title": "Blue shoes — Example shop",
        }
        for name in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"):
            record[name] = campaign.get(name)
        for name in ("gclid", "msclkid", "fbclid", "ttclid", "li_fat_id", "dclid"):
            record[name] = campaign.get(name)
        record.update(wbraid=None, gbraid=None, contract_version=2, type=kind, account=account)
        record.update(
            ip=f"203.0.113.{rng.randrange(256)}",
            user_agent=rng.choice(_UAS),
            is_bot=rng.random() < 0.02,
            dnt=False,
            cookie_mode="first_party",
            schema_level="fallback" if kind == "validation_failure" else "full",
            properties=props,
        )
        out.append(record)
    return out


def _template(record: dict) -> str:
    """One JSON line with %-placeholders for the fields that change per hit."""
    text = json.dumps(
        {
            "visitor_id": "\0V",
            "sent_at": "\0S",
            "client_ts": "\0C",
            **record,
            "hit_id": "\0H",
            "event_at": "\0E",
            "received_at": "\0R",
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    text = text.replace("%", "%%")
    for key in "VSCHER":
        text = text.replace(f'"\\u0000{key}"', '"%s"')
    return text + "\n"


class _Clock:
    """ISO times as the collector writes them, the date-time part cached per second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def iso(self, micros: int) -> str:
        second, fraction = divmod(micros, 1_000_000)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S"
            )
        return f"{self._prefix}.{fraction:06d}Z"


def _micros(at: datetime) -> int:
    return int(at.timestamp()) * 1_000_000 + at.microsecond


@dataclass
class Landed:
    root: str
    hits: int  # hits of the day: the rows a load must give
    lines: int
    bytes: int
    seconds: float


def generate(root: str, hits: int, tz: str, seed: int = 7) -> Landed:
    """``hits`` hits of the account's local day DAY (in ``tz``), plus retries."""
    started = time.perf_counter()
    rng = random.Random(seed)
    templates = [_template(r) for r in _variants(ACCOUNT, rng)]
    zone = ZoneInfo(tz)
    first = _micros(datetime.combine(DAY, datetime.min.time(), zone))
    last = _micros(datetime.combine(DAY + timedelta(days=1), datetime.min.time(), zone))
    step = (last - first) // hits
    retries = max(1, hits // 200)  # 0.5% each way: about 1% more lines
    clock = _Clock()
    buffers: dict[str, list[str]] = {}
    lines = written = 0

    def add(at: int, hit_id: str, received: int, visitor: int, instance: int) -> None:
        nonlocal lines
        event = clock.iso(at)
        line = templates[visitor % len(templates)] % (
            f"v-{visitor}",
            clock.iso(at + 40_000),
            event,
            hit_id,
            event,
            clock.iso(received),
        )
        folder = f"{root}/{ACCOUNT}/{event[:4]}/{event[5:7]}/{event[8:10]}/{event[11:13]}"
        buffers.setdefault(f"{folder}/bench{instance}-1-00001.ndjson", []).append(line)
        lines += 1

    def flush() -> None:
        nonlocal written
        for path, chunk in buffers.items():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = "".join(chunk).encode()
            with open(path, "ab") as handle:
                handle.write(data)
            written += len(data)
        buffers.clear()

    same_day = set(rng.sample(range(hits), retries))
    for n in range(hits):
        at = first + n * step
        hit_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        visitor = rng.randrange(hits // 3 + 1)
        add(at, hit_id, at + 50_000, visitor, n % 2)
        if n in same_day:  # the answer was lost: the same hit again 10 s later
            add(at, hit_id, at + 10_050_000, visitor, 1 - n % 2)
        if n >= hits - retries:  # retried after the day ended, into the next day's folder
            later = last + (n - hits + retries) * 1_000_000
            add(later, hit_id, at + 3_600_000_000, visitor, 0)
        if n % 100_000 == 0:
            flush()
    # Hits of the day before whose retries landed in this day's first hour.
    for n in range(retries):
        at = first - (retries - n) * 1_000_000
        hit_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        add(at, hit_id, at, n, 0)
        add(first + n * 1_000, hit_id, at + 30_000_000, n, 1)
    flush()
    return Landed(root, hits, lines, written, time.perf_counter() - started)


# ------------------------------------------------------------------ baselines


def read_bytes(root: str) -> tuple[int, float]:
    """Lines in every landed file, read in 1 MiB blocks: the disk and page cache's rate."""
    started = time.perf_counter()
    lines = 0
    for path in Path(root).rglob("*.ndjson"):
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                lines += block.count(b"\n")
    return lines, time.perf_counter() - started


def python_read(hits: int, tz: str) -> tuple[int, float]:
    """The temporary loader's path: json.loads of every line of a UTC day folder
    into dicts (read_partition), on a smaller day (it holds the day in memory)."""
    from touchline.landing import read_partition

    with tempfile.TemporaryDirectory(prefix="touchline-bench-") as tmp:
        generate(tmp, hits, tz)
        started = time.perf_counter()
        read = sum(
            len(read_partition(tmp, ACCOUNT, DAY + timedelta(days=d)).hits) for d in (-1, 0, 1)
        )
        return read, time.perf_counter() - started


# ------------------------------------------------------------------ loads


def child(url: str, root: str, tz: str) -> None:
    """One loader process: load the day, then the same day again (a reload)."""
    from touchline.loader import load_hits
    from touchline.warehouse import Warehouse

    warehouse = Warehouse(url)
    out = []
    for _ in range(2):
        started = time.perf_counter()
        [day] = load_hits(warehouse, root, ACCOUNT, tz, DAY, DAY)
        out.append({"seconds": time.perf_counter() - started, **vars(day), "day": str(DAY)})
    print(json.dumps({"loads": out, "peak_rss_kib": peak_rss_kib()}))


def peak_rss_kib() -> int:
    """This process's own peak resident set (VmHWM). Not getrusage's ru_maxrss:
    Linux carries that over from the process that forked this one (the bench,
    holding the generated day: 580 MiB whatever the loader did)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def measure(url: str, root: str, tz: str) -> tuple[list[dict], float, float]:
    """(loads, peak RSS in MiB, CPU seconds) of a loader in its own process."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", url, "--root", root, "--tz", tz],
        stdout=subprocess.PIPE,
        text=True,
    )
    output = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"the loader failed on {url.split(':', 1)[0]}")
    result = json.loads(output)
    return result["loads"], result["peak_rss_kib"] / 1024, usage.ru_utime + usage.ru_stime


def mariadb_database() -> tuple[str, object]:
    import pymysql

    from touchline.warehouse import parse_warehouse_url

    admin = parse_warehouse_url(MARIADB_ADMIN)
    name = f"{admin.database}_bench_{uuid.uuid4().hex[:8]}"
    conn = pymysql.connect(
        host=admin.host, port=admin.port, user=admin.user, password=admin.password or ""
    )
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    url = f"mysql+pymysql://{admin.user}:{admin.password}@{admin.host}:{admin.port}/{name}"

    def drop() -> None:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()

    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=1_000_000)
    parser.add_argument("--warehouses", default="duckdb,mariadb")
    parser.add_argument("--tz", default="Europe/Paris", help="the account's time zone")
    parser.add_argument("--baseline-hits", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.root, args.tz)
        return

    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="touchline-bench-") as tmp:
        landed = generate(f"{tmp}/landing", args.hits, args.tz)
        print(
            f"landed {landed.hits:,} hits of {DAY} ({args.tz}) as {landed.lines:,} lines, "
            f"{landed.bytes / 2**20:,.0f} MiB, in {landed.seconds:.1f} s"
        )
        lines, seconds = read_bytes(landed.root)
        raw_rate = lines / seconds
        print(f"baseline: reading the files' bytes in Python: {raw_rate:,.0f} lines/s")
        small = min(args.baseline_hits, args.hits)
        read, seconds = python_read(small, args.tz)
        json_rate = read / seconds
        print(
            f"baseline: json.loads into dicts (the old read_partition), a day of {small:,} "
            f"hits: {json_rate:,.0f} lines/s"
        )
        print()
        print(
            "| warehouse | load | hits | seconds | hits/s | vs json.loads "
            "| loader peak RSS | loader CPU s |"
        )
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name in args.warehouses.split(","):
            drop = None
            if name == "duckdb":
                url = f"duckdb:///{tmp}/warehouse.duckdb"
            else:
                url, drop = mariadb_database()
            try:
                loads, rss, cpu = measure(url, landed.root, args.tz)
            finally:
                if drop:
                    drop()
            for label, load in zip(("first", "reload"), loads, strict=True):
                if load["rows"] != landed.hits:
                    raise SystemExit(f"{name}: loaded {load['rows']:,} rows, not {landed.hits:,}")
                rate = load["rows"] / load["seconds"]
                print(
                    f"| {name} | {label} | {load['rows']:,} | {load['seconds']:.1f} | {rate:,.0f} "
                    f"| {rate / json_rate:.1f}x | {rss:,.0f} MiB | {cpu:.1f} |"
                )
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
