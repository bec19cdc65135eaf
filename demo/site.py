"""``touchline demo --site``: a small shop with the tag on it, a collector, and the
hits printed as they land, so a newcomer can click around and watch.

The shop is served as ``shop.localhost`` (browsers resolve every ``*.localhost``
to this machine), a domain the demo account accepts, and the collector on
127.0.0.1: two different sites, as in production.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, Response
from werkzeug.serving import make_server

from demo.walkthrough import DEMO_ACCOUNT, Service, demo_account, free_port
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SITE_HOST = "shop.localhost"
TAG_DIR = REPO_ROOT / "tag"
PRODUCTS = [
    {"sku": "BOOT-42", "name": "Trail boots", "price": 79.0},
    {"sku": "SCARF-7", "name": "Wool scarf", "price": 25.0},
    {"sku": "MUG-1", "name": "Owl mug", "price": 12.5},
]

# One page for every path: a tiny single-page app whose router uses
# history.pushState, so the tag's SPA pageviews show up too.
SHOP_PAGE = TAG_DIR / "demo" / "shop.html"


def _js_string(value: str) -> str:
    """The inside of a quoted JavaScript string in an inline <script>."""
    return json.dumps(value)[1:-1].replace("'", "\\u0027").replace("<", "\\u003c")


def site_page(collector_url: str, token: str) -> str:
    return (
        SHOP_PAGE.read_text(encoding="utf-8")
        .replace("__COLLECTOR__", _js_string(collector_url))
        .replace("__TOKEN__", _js_string(token))
        .replace("__PRODUCTS__", json.dumps(PRODUCTS))
    )


def create_site_app(collector_url: str, token: str) -> Flask:
    """The shop: the same single-page app for every path (the router draws the rest)."""
    app = Flask("touchline-demo-site")
    body = site_page(collector_url, token)

    def page(path: str = "") -> Response:
        return Response(body, mimetype="text/html")

    app.add_url_rule("/", "page", page)
    app.add_url_rule("/<path:path>", "page", page)
    return app


def ensure_tag_built() -> Path:
    """tag/dist/tag.js, built first when missing (needs Node.js)."""
    bundle = TAG_DIR / "dist" / "tag.js"
    if bundle.exists():
        return bundle
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError(
            "the tag is not built and Node.js is missing: run scripts/ensure_browser.sh"
        )
    click.echo("building the tag (tag/dist/tag.js) ...")
    steps = [["node", "build.mjs"]]
    if not (TAG_DIR / "node_modules" / "esbuild").exists():
        steps.insert(0, ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"])
    for step in steps:
        run = subprocess.run(step, cwd=TAG_DIR, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"building the tag failed ({' '.join(step)}): {run.stderr[-500:]}")
    return bundle


def site_account(settings: Settings) -> registry.AccountInfo:
    """The demo account, accepting hits from the shop's domain."""
    account = demo_account(settings)
    if SITE_HOST not in account.domains:
        with session_scope(settings.resolved_control_db_url) as session:
            registry.update_account(
                session, DEMO_ACCOUNT, registry.AccountUpdate(add_domains=(SITE_HOST,))
            )
    return account


def port_or_free(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            return free_port()
    return preferred


class HitTail:
    """New lines of the landing zone's NDJSON files, as they are appended."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.offsets: dict[Path, int] = {}
        for path in root.rglob("*.ndjson"):  # what landed before the demo started
            self.offsets[path] = path.stat().st_size

    def new_hits(self) -> list[dict[str, Any]]:
        hits = []
        for path in sorted(self.root.rglob("*.ndjson")):
            start = self.offsets.get(path, 0)
            with path.open("rb") as handle:
                handle.seek(start)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits
            self.offsets[path] = start + len(complete)
            for line in complete.splitlines():
                try:
                    hits.append(json.loads(line))
                except ValueError:
                    continue
        return sorted(hits, key=lambda h: str(h.get("received_at")))


def describe(hit: dict[str, Any]) -> str:
    """One terminal line per hit: time, type, path and what is special about it."""
    url = str(hit.get("url") or "")
    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else url
    props = hit.get("properties") or {}
    detail = {
        "event": lambda: f"{props.get('category')}/{props.get('action')} {props.get('label', '')}",
        "sale": lambda: (
            f"order {props.get('order_id')} {props.get('revenue')} "
            f"{props.get('currency')}, {len(props.get('items') or [])} item(s)"
        ),
        "identify": lambda: f"user {hit.get('user_id')}",
        "impression": lambda: f"{props.get('campaign')} / {props.get('creative')}",
        "label": lambda: f"{props.get('key')}={props.get('value')}",
    }.get(str(hit.get("type")), lambda: str(hit.get("title") or ""))()
    campaign = " ".join(
        f"{k}={hit[k]}"
        for k in ("utm_source", "utm_medium", "utm_campaign", "gclid", "fbclid")
        if hit.get(k)
    )
    stamp = str(hit.get("received_at", ""))[11:19]
    visitor = str(hit.get("visitor_id") or "")[:8]
    return (
        f"  {stamp}  {hit.get('type', '?'):<10} {path[:40]:<40} {detail.strip()}"
        f"  [{hit.get('cookie_mode')} {visitor}] {campaign}"
    ).rstrip()


def _stop_on_signals(stop: threading.Event) -> None:
    """Ctrl-C and SIGTERM end the demo, even when the shell that started it
    ignores SIGINT (a background job of a non-interactive shell inherits that,
    and Python then never raises KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())


def serve_demo_site(
    settings: Settings,
    site_port: int = 8000,
    collector_port: int = 8081,
    stop: threading.Event | None = None,
    echo: Callable[[str], None] = click.echo,
) -> None:
    """Serve the shop and a collector until Ctrl-C, SIGTERM (or ``stop``), printing each hit."""
    ensure_tag_built()
    account = site_account(settings)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the hits are the log here
    stop = stop or threading.Event()
    with Service("collector", ["collector", "serve"], port_or_free(collector_port)) as collector:
        app = create_site_app(collector.base_url, account.tracking_token)
        server = make_server("127.0.0.1", port_or_free(site_port), app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        landing = Path(settings.resolved_landing_root) / DEMO_ACCOUNT
        landing.mkdir(parents=True, exist_ok=True)
        tail = HitTail(landing)
        echo(f"Demo shop: http://{SITE_HOST}:{server.server_port}/  (open it and click around)")
        echo(f"Collector: {collector.base_url}  landing zone: {landing}")
        echo("Hits as they land (Ctrl-C to stop):")
        _stop_on_signals(stop)
        try:
            while not stop.is_set():
                for hit in tail.new_hits():
                    echo(describe(hit))
                stop.wait(0.5)
        finally:
            server.shutdown()
            server.server_close()
    echo("stopped; the hits are in the landing zone: touchline materialize demo --start <day>")
