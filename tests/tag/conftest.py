"""Fixtures for the tag's end-to-end tests: the bundle built from tag/src, Debian's
Chromium driven by Playwright, a real collector process and a site on loopback.

The site is served as ``shop.localhost`` (Chromium resolves every
``*.localhost`` to loopback) and the collector as ``127.0.0.1``: two
different sites, as in production, so CORS and cookie rules apply for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import make_server

from demo.walkthrough import Service
from tests.support.processes import REPO, free_port
from touchline.control import registry
from touchline.control.db import migrate, session_scope
from touchline.settings import load_settings

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TAG_DIR = REPO / "tag"
PAGE_TIMEOUT_MS = 15000  # a page that needs longer is a failure, not a slow pass

# What real sites do to the globals a tag relies on: Prototype.js-style
# Array.prototype.toJSON, "polyfills" that replace array methods with wrong
# ones, JSON.stringify and JSON.parse that return something else, an enumerable property on
# Object.prototype, and their own uncaught errors.
HOSTILE_PRELUDE = """
<script>
  Array.prototype.toJSON = function () { return 'hijacked array'; };
  Array.prototype.push = function () { return 0; };
  Array.prototype.map = function () { return []; };
  Array.prototype.filter = function () { return []; };
  Array.prototype.forEach = function () {};
  Array.prototype.indexOf = function () { return -1; };
  Array.prototype.join = function () { return 'hijacked'; };
  Array.prototype.slice = function () { return []; };
  Object.prototype.siteHelper = function () { return 'enumerable on every object'; };
  JSON.stringify = function () { return '{"hijacked":true}'; };
  JSON.parse = function () { return {hijacked: true}; };
  setTimeout(function () { throw new Error('site bug in a timer'); }, 0);
</script>
<script>undefinedSiteFunction();</script>
"""

HOSTILE_BUTTONS = """
<button id="buy" onclick="buy()">Buy</button>
<button id="thanks" onclick="history.pushState({}, '', '/hostile/thanks')">Thanks</button>
<script>
  function buy() {
    tl('sale', {order_id: 'H-1', revenue: '19.90', currency: 'EUR',
                items: [{sku: 'A', name: 'Mug "Owl"', price: 9.95, quantity: 2}]});
  }
</script>
"""


def at(hit: dict[str, Any], name: str = "client_ts") -> datetime:
    """A landed timestamp as a datetime: the JSON text drops a zero fraction
    (``...:05Z`` vs ``...:05.120Z``), so the strings do not sort by time."""
    return datetime.fromisoformat(hit[name])


def snippet(collector_url: str, token: str, init: dict[str, Any] | None = None) -> str:
    """The copy-paste snippet exactly as tag/README.md documents it, pointed at this
    test's collector with its token (and any further init options)."""
    readme = (TAG_DIR / "README.md").read_text(encoding="utf-8")
    documented = readme.split("```html\n", 1)[1].split("```", 1)[0]
    placeholders = ("https://collect.example.com", "{ token: 'YOUR_TRACKING_TOKEN' }")
    assert all(p in documented for p in placeholders), "tag/README.md's snippet changed shape"
    options = json.dumps({"token": token, **(init or {})})
    return documented.replace(placeholders[0], collector_url).replace(placeholders[1], options)


@pytest.fixture(scope="session")
def tag_bundle() -> Path:
    """Build tag/dist from the current source, as scripts/ensure_browser.sh does."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed: run scripts/ensure_browser.sh")
    if not (TAG_DIR / "node_modules" / "esbuild").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=TAG_DIR, check=True)
    run = subprocess.run(
        ["node", "build.mjs"], cwd=TAG_DIR, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return TAG_DIR / "dist" / "tag.js"


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure_browser.sh (installs chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    yield browser
    browser.close()


@dataclass
class PageLog:
    """What the page reported: uncaught errors and console errors."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


def watch(page: Page) -> PageLog:
    log = PageLog()
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    return log


class Collector:
    """`touchline collector serve` in its own process; can be stopped and started again
    on the same port, as an outage would. One serves a whole test module (starting
    one takes seconds); each test sees only the hits from its own site's origin."""

    def __init__(self, env: dict[str, str], landing_root: Path, token: str) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        self.landing_root = landing_root
        self.origin = ""  # set by the test's site: only its hits count
        self.service: Service | None = None

    def start(self) -> None:
        self.service = Service(
            "collector", ["collector", "serve", "--workers", "1"], self.port, env=self.env
        )
        self.service.wait_ready()

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None

    def landed(self) -> list[dict[str, Any]]:
        lines = []
        for path in sorted(self.landing_root.rglob("*.ndjson")):
            for line in path.read_text().splitlines():
                if line.strip():
                    lines.append(json.loads(line))
        return lines

    def hits(self) -> list[dict[str, Any]]:
        return [
            h
            for h in self.landed()
            if h.get("type") != "validation_failure"
            and str(h.get("url") or "").startswith(self.origin)
        ]

    def validation_failures(self) -> list[dict[str, Any]]:
        """The collector's records of this test's hits that failed its full schema."""
        ours = {h["hit_id"] for h in self.hits()}
        return [
            h["properties"]
            for h in self.landed()
            if h.get("type") == "validation_failure"
            and (
                h["properties"].get("failed_hit_id") in ours
                or (self.origin and str(h.get("url") or "").startswith(self.origin))
            )
        ]

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 15.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            hits = self.hits()
            if predicate(hits):
                return hits
            if time.monotonic() > deadline:
                summary = [(h.get("type"), h.get("url")) for h in hits]
                pytest.fail(f"the expected hits did not land in {timeout:.0f} s; landed: {summary}")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def collector_service(tmp_path_factory: pytest.TempPathFactory, tag_bundle: Path):
    """A collector with its own data directory and the account "shop" (domain
    shop.localhost), for every test of a module."""
    directory = tmp_path_factory.mktemp("tag-collector")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("TOUCHLINE_") and not name.startswith("TOUCHLINE_TEST_"):
                mp.delenv(name)
        mp.setenv("TOUCHLINE_DATA_DIR", str(directory))
        mp.setenv("TOUCHLINE_SETTINGS_FILE", str(directory / "none.env"))
        mp.setenv("TOUCHLINE_SECRET_KEY", "tag-tests-" + uuid.uuid4().hex)
        settings = load_settings()
        migrate(settings.resolved_control_db_url)
        with session_scope(settings.resolved_control_db_url) as session:
            account = registry.create_account(session, "shop", "Shop", domains=["shop.localhost"])
        env = dict(os.environ)
    target = Collector(env, Path(settings.resolved_landing_root), account.tracking_token)
    target.start()
    yield target
    target.stop()


@pytest.fixture
def collector(collector_service: Collector) -> Iterator[Collector]:
    target = collector_service
    if target.service is None:  # a test before stopped it and failed
        target.start()
    target.origin = "no-site://"  # no hits count until the test's site sets its origin
    yield target
    try:
        # Everything the tag sends must pass the collector's full schema: a hit
        # that lands only through the fallback level is a tag/collector mismatch.
        failures = target.validation_failures()
        assert failures == [], f"the collector found {len(failures)} tag hit(s) invalid: {failures}"
        fallback = [h["type"] for h in target.hits() if h.get("schema_level") != "full"]
        assert fallback == [], f"hits landed with schema_level=fallback: {fallback}"
    finally:
        target.origin = ""


class Site:
    """A shop's pages on http://localhost:<port>, each with the snippet."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.init: dict[str, Any] = {}
        app = Flask("tag-test-site")
        app.add_url_rule("/", "page", self._page, defaults={"path": ""})
        app.add_url_rule("/<path:path>", "page", self._page)
        self.server = make_server("127.0.0.1", free_port(), app, threaded=True)
        self.url = f"http://shop.localhost:{self.server.server_port}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def _page(self, path: str) -> Response:
        title = f"Shop: /{path}"
        hostile = path.startswith("hostile")
        prelude = HOSTILE_PRELUDE if hostile else ""
        # Playwright's own evaluate needs the array methods the hostile page
        # breaks, so there the page itself calls the tag, from buttons.
        buttons = HOSTILE_BUTTONS if hostile else ""
        tag = snippet(self.collector.url, self.collector.token, self.init)
        body = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{escape(title)}</title>
<link rel="icon" href="data:,">{prelude}{tag}
</head><body><h1>{escape(title)}</h1><a id="next" href="/next">next page</a>{buttons}
</body></html>"""
        return Response(body, mimetype="text/html")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site(collector: Collector) -> Iterator[Site]:
    s = Site(collector)
    collector.origin = s.url
    yield s
    s.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context()
    ctx.set_default_timeout(PAGE_TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def dnt_context(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """Chromium with its own "Send a Do Not Track request" setting switched on, so that
    navigator.doNotTrack is "1" and every request carries `DNT: 1`, as for a real user."""
    profile = tmp_path / "chromium-profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps({"enable_do_not_track": True}))
    ctx = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), args=LAUNCH_ARGS
    )
    ctx.set_default_timeout(PAGE_TIMEOUT_MS)
    yield ctx
    ctx.close()
