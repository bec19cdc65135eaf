"""Realistic simulated traffic with known answers: every session the simulator
makes is one the pipeline must find, in the channel it was made for.

Sessions are built so the sessionisation rule recovers them exactly: pageviews
inside a session are under 30 minutes apart, a visitor's sessions are more than
30 minutes apart, and no session crosses midnight UTC.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

SITE = "https://shop.example.com"
PAGES = ["/", "/products", "/products/boots", "/products/jackets", "/sale", "/about", "/cart"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
]


@dataclass(frozen=True)
class Source:
    channel: str
    weight: float
    referrer: str | None = None
    utm: dict[str, str] = field(default_factory=dict)
    click_id: str | None = None


SOURCES = [
    Source(
        "Paid Search",
        0.22,
        "https://www.google.com/",
        {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "brand_search"},
        "gclid",
    ),
    Source("Organic Search", 0.24, "https://www.google.com/"),
    Source("Organic Search", 0.04, "https://www.bing.com/"),
    Source(
        "Paid Social",
        0.10,
        "https://m.facebook.com/",
        {"utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "autumn_sale"},
        "fbclid",
    ),
    Source("Organic Social", 0.06, "https://t.co/"),
    Source(
        "Email",
        0.08,
        None,
        {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "weekly"},
    ),
    Source(
        "Display",
        0.04,
        "https://ads.publisher.example/",
        {"utm_source": "dv360", "utm_medium": "display", "utm_campaign": "retargeting"},
    ),
    Source("Referral", 0.07, "https://blog.partner.example/best-boots"),
    Source("Direct", 0.15),
]


@dataclass
class Simulation:
    hits: list[dict]
    sessions: int
    sessions_by_day_channel: Counter
    pageviews_by_day_channel: Counter
    days: list[date]

    @property
    def sessions_by_channel(self) -> Counter:
        total: Counter = Counter()
        for (_, channel), n in self.sessions_by_day_channel.items():
            total[channel] += n
        return total


def _pick(rng: random.Random) -> Source:
    return rng.choices(SOURCES, weights=[s.weight for s in SOURCES])[0]


def simulate(
    token: str,
    end_day: date,
    days: int = 14,
    target_hits: int = 50_000,
    seed: int = 7,
    sent_at: datetime | None = None,
) -> Simulation:
    """About ``target_hits`` pageviews over the ``days`` days ending with ``end_day``."""
    rng = random.Random(seed)
    sent = (sent_at or datetime.now(timezone.utc)).isoformat()
    day_list = [end_day - timedelta(days=days - 1 - i) for i in range(days)]
    hits: list[dict] = []
    sessions_dc: Counter = Counter()
    pageviews_dc: Counter = Counter()
    visitors = [f"v-{uuid.UUID(int=rng.getrandbits(128))}" for _ in range(max(1, target_hits // 9))]
    used: set[tuple[str, date, int]] = set()
    sessions = 0
    while len(hits) < target_hits:
        visitor = rng.choice(visitors)
        day = rng.choice(day_list)
        # A visitor comes back at most a few times a day, in 3-hour slots: a session
        # starts in the slot's first 30 minutes and lasts at most 96 minutes, so two
        # sessions are always more than 30 minutes apart and none crosses midnight.
        visits = rng.choice([1, 1, 1, 2, 2, 3])
        slots = sorted(rng.sample(range(0, 7), visits))
        ua = rng.choice(USER_AGENTS)
        for slot in slots:
            if (visitor, day, slot) in used:
                continue
            used.add((visitor, day, slot))
            source = _pick(rng)
            start = datetime.combine(day, time(slot * 3, 0), tzinfo=timezone.utc) + timedelta(
                seconds=rng.randint(0, 1800)
            )
            pages = min(1 + int(rng.expovariate(1 / 3.2)), 25)
            at = start
            previous_url: str | None = None
            session_id = uuid.UUID(int=rng.getrandbits(128)).hex
            for n in range(pages):
                path = rng.choice(PAGES)
                url = SITE + path
                hit = {
                    "token": token,
                    "type": "pageview",
                    "hit_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "visitor_id": visitor,
                    "session_id": session_id,
                    "client_ts": at.isoformat(),
                    "sent_at": sent,
                    "title": path.strip("/").title() or "Home",
                    "_user_agent": ua,
                }
                if n == 0:
                    if source.utm:
                        query = "&".join(f"{k}={v}" for k, v in source.utm.items())
                        if source.click_id:
                            hit[source.click_id] = uuid.UUID(int=rng.getrandbits(128)).hex
                            query += f"&{source.click_id}={hit[source.click_id]}"
                        url = f"{url}?{query}"
                        hit.update(source.utm)
                    if source.referrer:
                        hit["referrer"] = source.referrer
                else:
                    hit["referrer"] = previous_url
                hit["url"] = url
                hits.append(hit)
                previous_url = url
                at += timedelta(seconds=rng.randint(5, 240))
            sessions += 1
            sessions_dc[(day, source.channel)] += 1
            pageviews_dc[(day, source.channel)] += pages
    return Simulation(hits, sessions, sessions_dc, pageviews_dc, day_list)
