"""`touchline demo --site`: the demo shop sends what a real shop would, and the
command shows the hits as they land."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext
from werkzeug.serving import make_server

from demo.site import create_site_app
from tests.support.processes import REPO, free_port
from tests.tag.conftest import Collector, at, watch


@pytest.fixture
def shop(collector: Collector) -> Iterator[str]:
    app = create_site_app(collector.url, collector.token)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://shop.localhost:{server.server_port}"
    collector.origin = url
    yield url
    server.shutdown()
    server.server_close()


def test_clicking_through_the_demo_shop_lands_a_whole_visit(
    context: BrowserContext, shop: str, collector: Collector
) -> None:
    page = context.new_page()
    log = watch(page)
    page.goto(f"{shop}/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn-sale")
    page.click("text=Trail boots")
    page.click("#add")
    page.click("#cart-link")
    page.click("#buy")
    page.wait_for_selector("text=Thank you!")

    hits = collector.wait_for(
        lambda hs: (
            any(h["type"] == "sale" for h in hs) and sum(h["type"] == "pageview" for h in hs) == 4
        )
    )
    pageviews = sorted((h for h in hits if h["type"] == "pageview"), key=at)
    assert [h["url"].removeprefix(shop) for h in pageviews] == [
        "/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn-sale",
        "/products/BOOT-42",
        "/cart",
        "/thanks",
    ]
    (event,) = [h for h in hits if h["type"] == "event"]
    assert event["properties"] == {
        "category": "cart",
        "action": "add",
        "label": "BOOT-42",
        "value": 79,
    }
    (sale,) = [h for h in hits if h["type"] == "sale"]
    assert sale["properties"]["revenue"] == 79
    assert sale["properties"]["items"] == [
        {"sku": "BOOT-42", "name": "Trail boots", "price": 79, "quantity": 1}
    ]
    impressions = [h for h in hits if h["type"] == "impression"]
    assert impressions and impressions[0]["properties"]["campaign"] == "autumn-sale"
    assert {h["utm_campaign"] for h in hits} == {"autumn-sale"}
    assert len({h["visitor_id"] for h in hits}) == 1
    assert log.page_errors == [] and log.console_errors == []


def test_demo_site_command_serves_the_shop_and_prints_hits(
    context: BrowserContext, data_dir, settings, tag_bundle
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "demo", "--site"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # As a background job of a non-interactive shell starts it (CI's, say):
        # SIGINT ignored, so Python never raises KeyboardInterrupt on its own.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()

    def next_line_with(text: str, timeout: float = 45) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if text in line:
                return line
        pytest.fail(f"`touchline demo --site` printed no line with {text!r}")

    try:
        url = next_line_with("Demo shop: ").split("Demo shop: ", 1)[1].split()[0]
        page = context.new_page()
        page.goto(url + "?utm_source=demo-test")
        line = next_line_with("pageview")
        assert "utm_source=demo-test" in line
        page.click("text=Wool scarf")
        assert "/products/SCARF-7" in next_line_with("pageview")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("`touchline demo --site` did not stop within 15 s of Ctrl-C")
    assert process.returncode == 0
