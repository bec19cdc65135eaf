"""The tag in Debian's headless Chromium against a real collector process: what a
site owner's visitors send must land once, with the right fields, without
cookies when the visitor opts out, and without ever breaking the page."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

import requests
from playwright.sync_api import BrowserContext, Page

from tests.tag.conftest import Collector, Site, at, watch

CAMPAIGN = {
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "autumn-sale",
    "utm_term": "boots",
    "utm_content": "hero",
    "gclid": "G-123",
    "gbraid": "GB-1",
    "wbraid": "WB-1",
    "msclkid": "MS-1",
    "fbclid": "FB-1",
    "ttclid": "TT-1",
    "li_fat_id": "LI-1",
}


def of_type(hits: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [h for h in hits if h["type"] == kind]


def open_page(context: BrowserContext, url: str, **goto: Any) -> Page:
    page = context.new_page()
    page.goto(url, **goto)
    page.wait_for_function("() => window.tl && window.tl.loaded === true")
    return page


def cookies_named(context: BrowserContext) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies()}


def assert_nothing_stored(page: Page) -> None:
    """Once the queue has drained, the tag has left nothing in the browser's storage."""
    page.wait_for_function("() => localStorage.getItem('_tl_q') === null")
    assert page.evaluate("() => Object.keys(localStorage)") == []


def test_pageviews_spa_navigation_event_and_sale_land_with_campaign(
    context: BrowserContext, site: Site, collector: Collector
) -> None:
    landing = f"{site.url}/landing?{urlencode(CAMPAIGN)}"
    page = context.new_page()
    log = watch(page)
    page.goto(landing, referer="https://www.google.com/")
    page.wait_for_function("() => window.tl && window.tl.loaded === true")
    # A router: the URL changes first, the title right after.
    page.evaluate("() => { history.pushState({}, '', '/products/boots'); document.title = 'Boots'}")
    page.evaluate("() => history.replaceState({}, '', '/products/boots?color=red')")
    # Only the fragment changes: the same page, no new pageview.
    page.evaluate("() => history.pushState({}, '', '/products/boots?color=red#reviews')")
    page.evaluate(
        """() => {
          tl('event', {category: 'video', action: 'play', label: 'intro', value: '3'});
          tl('sale', {order_id: 'A-1001', revenue: 59.8, currency: 'EUR',
                      items: [{sku: 'BOOT-42', name: 'Boot', price: 29.9, quantity: 2}]});
          tl('label', 'plan', 'pro');
          tl('identify', 'user-42', {tier: 'gold'});
        }"""
    )
    page.evaluate("() => history.pushState({}, '', '/cart')")
    page.evaluate("() => history.back()")  # popstate: back on the product page
    page.wait_for_timeout(100)
    page.click("#next")  # a full page load: the campaign comes from storage now
    page.wait_for_function("() => window.tl && window.tl.loaded === true")

    hits = collector.wait_for(
        lambda hs: (
            len(of_type(hs, "pageview")) == 6
            and len(of_type(hs, "sale")) == 1
            and len(of_type(hs, "event")) == 1
            and len(of_type(hs, "identify")) == 1
        )
    )
    pageviews = sorted(of_type(hits, "pageview"), key=at)
    urls = [h["url"] for h in pageviews]
    assert urls == [
        landing,
        f"{site.url}/products/boots",
        f"{site.url}/products/boots?color=red",
        f"{site.url}/cart",
        f"{site.url}/products/boots?color=red#reviews",
        f"{site.url}/next",
    ]
    assert [h["referrer"] for h in pageviews] == [
        "https://www.google.com/",
        landing,
        f"{site.url}/products/boots",
        f"{site.url}/products/boots?color=red",
        f"{site.url}/cart",
        f"{site.url}/products/boots?color=red",  # browsers send no fragment
    ]
    assert pageviews[0]["title"] == "Shop: /landing"
    assert pageviews[1]["title"] == "Boots"

    (event,) = of_type(hits, "event")
    assert event["properties"] == {
        "category": "video",
        "action": "play",
        "label": "intro",
        "value": 3,
    }
    (sale,) = of_type(hits, "sale")
    assert sale["properties"]["order_id"] == "A-1001"
    assert sale["properties"]["revenue"] == 59.8
    assert sale["properties"]["currency"] == "EUR"
    assert sale["properties"]["items"] == [
        {"sku": "BOOT-42", "name": "Boot", "price": 29.9, "quantity": 2}
    ]
    (label,) = of_type(hits, "label")
    assert label["properties"] == {"key": "plan", "value": "pro"}
    (identify,) = of_type(hits, "identify")
    assert identify["user_id"] == "user-42"
    assert identify["properties"]["traits"] == {"tier": "gold"}
    # Known for the rest of the page's life; a new page load needs identify again.
    assert [h.get("user_id") for h in pageviews] == [None, None, None, "user-42", "user-42", None]
    # Sent together: one batch, one sent_at.
    assert event["sent_at"] == sale["sent_at"] == label["sent_at"]

    cookies = cookies_named(context)
    assert len(hits) == 10
    for hit in hits:
        assert {k: hit[k] for k in CAMPAIGN} == CAMPAIGN, hit["type"]  # kept for the session
        assert hit["account"] == "shop"
        # The collector names its own cookie's mode (third-party here: the
        # account has no collection domain); the ids are the tag's own cookies.
        assert hit["cookie_mode"] != "none"
        assert hit["visitor_id"] == cookies["_tl_v"]
        assert hit["session_id"] == cookies["_tl_s"]
        assert hit["client_ts"] and hit["sent_at"]
        assert at(hit) <= at(hit, "sent_at")
        uuid.UUID(hit["hit_id"])
    assert len({h["hit_id"] for h in hits}) == len(hits)
    assert log.page_errors == [] and log.console_errors == []


def test_hits_queue_while_the_collector_is_down_and_arrive_exactly_once(
    context: BrowserContext, site: Site, collector: Collector
) -> None:
    page = open_page(context, f"{site.url}/start")
    collector.wait_for(lambda hs: len(of_type(hs, "pageview")) == 1)

    collector.stop()
    with page.expect_event("requestfailed", timeout=5000):
        page.evaluate(
            "() => { for (let i = 0; i < 3; i++) "
            "tl('event', {category: 'outage', action: 'tap', value: i}) }"
        )
    queued = page.evaluate("() => JSON.parse(localStorage.getItem('_tl_q') || '[]').length")
    assert queued == 3
    assert of_type(collector.hits(), "event") == []

    collector.start()  # the tag retries by itself (backoff 1 s, 2 s, 4 s …)
    hits = collector.wait_for(lambda hs: len(of_type(hs, "event")) >= 3, timeout=25)
    # Another page of the site afterwards must not send them again.
    page.click("#next")
    hits = collector.wait_for(lambda hs: len(of_type(hs, "pageview")) == 2)
    page.wait_for_timeout(1500)
    hits = collector.hits()

    events = of_type(hits, "event")
    assert sorted(e["properties"]["value"] for e in events) == [0, 1, 2]
    assert len({e["hit_id"] for e in events}) == 3
    assert page.evaluate("() => localStorage.getItem('_tl_q')") is None
    for event in events:
        # The client clock says when it happened, not when it finally got through.
        assert at(event) < at(event, "sent_at")


def test_a_tab_closed_during_an_outage_leaves_its_hits_to_the_next_page(
    context: BrowserContext, site: Site, collector: Collector
) -> None:
    page = open_page(context, f"{site.url}/start")
    collector.wait_for(lambda hs: len(of_type(hs, "pageview")) == 1)
    collector.stop()
    with page.expect_event("requestfailed", timeout=5000):
        page.evaluate("() => tl('event', {category: 'outage', action: 'closed-tab'})")
    page.close(run_before_unload=True)
    assert of_type(collector.hits(), "event") == []

    collector.start()
    later = open_page(context, f"{site.url}/later")
    hits = collector.wait_for(lambda hs: len(of_type(hs, "pageview")) == 2 and of_type(hs, "event"))
    later.wait_for_timeout(1500)
    hits = collector.hits()
    assert [e["properties"]["action"] for e in of_type(hits, "event")] == ["closed-tab"]
    assert later.evaluate("() => localStorage.getItem('_tl_q')") is None


def test_collector_cookie_mode_leaves_identity_to_the_collector(
    context: BrowserContext, site: Site, collector: Collector
) -> None:
    site.init = {"cookies": "collector"}
    sent: list[dict[str, Any]] = []
    context.on(
        "request",
        lambda r: sent.extend(r.post_data_json["hits"]) if r.url.endswith("/collect") else None,
    )
    page = open_page(context, f"{site.url}/landing?utm_source=ads")
    collector.wait_for(lambda hs: len(hs) == 1)
    page.evaluate("() => history.pushState({}, '', '/second')")
    hits = collector.wait_for(lambda hs: len(hs) == 2)
    page.wait_for_timeout(200)  # lets Playwright deliver the request events

    assert len(sent) == 2
    assert not any("visitor_id" in h or "session_id" in h for h in sent)
    assert not any(c["name"] in ("_tl_v", "_tl_s") for c in context.cookies())
    # The collector assigned the ids (its cookie is SameSite=None; Secure, which
    # Chromium keeps only over https, so it cannot round-trip on this loopback).
    assert all(h["visitor_id"] for h in hits)
    assert {h["cookie_mode"] for h in hits} == {"third_party"}


def test_do_not_track_sets_no_cookie_and_lands_cookieless(
    dnt_context: BrowserContext, site: Site, collector: Collector
) -> None:
    page = open_page(dnt_context, f"{site.url}/landing?{urlencode(CAMPAIGN)}")
    assert page.evaluate("() => navigator.doNotTrack") == "1"
    page.evaluate("() => history.pushState({}, '', '/second')")
    page.evaluate("() => tl('event', {category: 'video', action: 'play'})")
    hits = collector.wait_for(lambda hs: len(hs) >= 3)

    assert dnt_context.cookies() == []
    for hit in hits:
        assert hit["cookie_mode"] == "none"
        assert hit["dnt"] is True
        assert {k: hit[k] for k in CAMPAIGN} == CAMPAIGN  # kept in memory, not stored
    assert_nothing_stored(page)
    assert page.evaluate("() => Object.keys(sessionStorage)") == []


def test_global_privacy_control_sets_no_cookie(browser, site: Site, collector: Collector) -> None:
    context = browser.new_context()
    context.set_default_timeout(15000)
    # Chromium has no GPC switch; browsers that do expose it like this.
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    try:
        page = open_page(context, f"{site.url}/landing?utm_source=ads")
        page.evaluate("() => tl('identify', 'user-7', {plan: 'pro'})")
        hits = collector.wait_for(lambda hs: len(hs) >= 2)
        assert context.cookies() == []
        assert {h["cookie_mode"] for h in hits} == {"none"}
        assert_nothing_stored(page)
    finally:
        context.close()


def test_denied_consent_removes_the_cookies_and_stops_identifying(
    context: BrowserContext, site: Site, collector: Collector
) -> None:
    page = open_page(context, f"{site.url}/landing?utm_source=ads")
    first = collector.wait_for(lambda hs: len(hs) == 1)[0]
    assert first["visitor_id"] == cookies_named(context)["_tl_v"]

    page.evaluate(
        "() => { tl('consent', 'denied'); tl('event', {category: 'after', action: 'deny'}) }"
    )
    hits = collector.wait_for(lambda hs: len(of_type(hs, "event")) == 1)
    (event,) = of_type(hits, "event")
    assert not any(name.startswith("_tl_") for name in cookies_named(context))
    assert event["cookie_mode"] == "none"
    assert event["visitor_id"] != first["visitor_id"]
    assert page.evaluate("() => localStorage.getItem('_tl_c')") is None


def test_the_impression_helper_waits_until_the_ad_is_seen(
    context: BrowserContext, site: Site, collector: Collector
) -> None:
    page = open_page(context, f"{site.url}/article")
    page.evaluate(
        """() => {
          const spacer = document.createElement('div');
          spacer.style.height = '3000px';
          const ad = document.createElement('div');
          ad.id = 'ad';
          ad.style.height = '200px';
          ad.textContent = 'Autumn sale';
          document.body.append(spacer, ad);
          tl('impression', ad, {campaign: 'autumn', creative: 'banner-a', placement: 'footer'});
          tl('impression', {campaign: 'autumn', creative: 'text-b', placement: 'newsletter'});
        }"""
    )
    hits = collector.wait_for(lambda hs: len(of_type(hs, "impression")) == 1)
    assert of_type(hits, "impression")[0]["properties"]["creative"] == "text-b"
    page.wait_for_timeout(1200)
    assert len(of_type(collector.hits(), "impression")) == 1  # the ad is still out of sight

    page.evaluate("() => document.getElementById('ad').scrollIntoView()")
    hits = collector.wait_for(lambda hs: len(of_type(hs, "impression")) == 2)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.evaluate("() => document.getElementById('ad').scrollIntoView()")
    page.wait_for_timeout(1200)
    seen = [h["properties"] for h in of_type(collector.hits(), "impression")]
    assert seen[1:] == [{"campaign": "autumn", "creative": "banner-a", "placement": "footer"}]


def test_an_error_inside_a_command_never_reaches_the_page(
    context: BrowserContext, site: Site, collector: Collector
) -> None:
    page = context.new_page()
    log = watch(page)
    page.goto(f"{site.url}/checkout")
    page.wait_for_function("() => window.tl && window.tl.loaded === true")
    thrown = page.evaluate(
        """() => {
          const boom = () => { throw new Error('thrown inside a command'); };
          try {
            tl('sale', {get order_id() { boom(); }});
            tl('event', {category: 'c', action: 'a', get value() { boom(); }});
            tl('identify', {user_id: 'u', traits: {get plan() { boom(); }}});
            tl('label', {get key() { boom(); }});
            tl('impression', {get campaign() { boom(); }});
            tl('no-such-command', 1);
            tl('identify');
            tl();
            tl('event', {category: 'still', action: 'working'});
            return null;
          } catch (e) {
            return String(e);
          }
        }"""
    )
    assert thrown is None
    hits = collector.wait_for(lambda hs: len(of_type(hs, "event")) == 1 and len(hs) == 2)
    assert of_type(hits, "event")[0]["properties"]["category"] == "still"
    page.wait_for_timeout(300)
    assert log.page_errors == [] and log.console_errors == []


def test_a_hostile_page_still_gets_correct_hits(
    context: BrowserContext, site: Site, collector: Collector
) -> None:
    page = context.new_page()
    log = watch(page)
    page.goto(f"{site.url}/hostile/cart?utm_source=news&gclid=G-9")
    collector.wait_for(lambda hs: len(of_type(hs, "pageview")) == 1)
    page.click("#buy")
    page.click("#thanks")  # an SPA navigation through the page's own history.pushState
    hits = collector.wait_for(lambda hs: len(of_type(hs, "pageview")) == 2 and of_type(hs, "sale"))

    (sale,) = of_type(hits, "sale")
    assert sale["properties"] == {
        "order_id": "H-1",
        "revenue": 19.9,
        "currency": "EUR",
        "items": [{"sku": "A", "name": 'Mug "Owl"', "price": 9.95, "quantity": 2}],
    }
    assert [h["url"] for h in of_type(hits, "pageview")][-1] == f"{site.url}/hostile/thanks"
    assert {h["utm_source"] for h in hits} == {"news"}
    assert {h["gclid"] for h in hits} == {"G-9"}
    assert len({h["visitor_id"] for h in hits}) == 1
    # The page's own errors, and only those.
    assert len(log.page_errors) == 2, log.page_errors
    assert all(re.search(r"site bug|undefinedSiteFunction", e) for e in log.page_errors)


def test_the_collector_serves_the_tag_with_cache_headers(collector: Collector) -> None:
    latest = requests.get(f"{collector.url}/tag.js", timeout=5)
    assert latest.status_code == 200
    assert latest.headers["Content-Type"].startswith("text/javascript")
    assert latest.headers["Content-Encoding"] == "gzip"
    assert "max-age=86400" in latest.headers["Cache-Control"]
    version = latest.headers["X-Touchline-Tag-Version"]

    again = requests.get(
        f"{collector.url}/tag.js", headers={"If-None-Match": latest.headers["ETag"]}, timeout=5
    )
    assert again.status_code == 304

    pinned = requests.get(f"{collector.url}/tag/{version}.js", timeout=5)
    assert pinned.status_code == 200
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert pinned.content == latest.content

    plain = requests.get(
        f"{collector.url}/tag.js", headers={"Accept-Encoding": "identity"}, timeout=5
    )
    assert "Content-Encoding" not in plain.headers
    assert plain.content == latest.content

    old = requests.get(f"{collector.url}/tag/0.0.1-deadbeef00.js", timeout=5)
    assert old.status_code == 404
    assert version in old.json()["error"]
