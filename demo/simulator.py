"""Realistic simulated traffic with known answers: every session the simulator
makes is one the pipeline must find, in the channel it was made for, and every
channel has a known causal effect on the chance that a journey ends in a sale.

People make journeys: a few sessions over the days, on one device or two (two
visitor ids), with channels drawn as in demo.groundtruth (each
channel has its place in a journey: Display and Paid Social open journeys,
Paid Search and Direct close them). A person buys with probability
``base + Σ effect_k`` over the channels the journey touched, so a channel's true
contribution is ``Σ_people effect_k · [k touched]`` conversions. A buyer
identifies at checkout (user id and email) and the sale follows on the same
device; a second device identifies in one of its sessions most of the time,
which is how the pipeline can join the two devices' touches into one journey.

Sessions are built so the sessionisation rule recovers them exactly: pageviews
inside a session are under 30 minutes apart and a person's sessions are more
than 30 minutes apart. Some sessions start late in the evening and cross local
midnight (they count once, on the day they started), and some bring a second
campaign mid-visit (a new ad click), which the rule counts as a new session
from that pageview on.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from demo.groundtruth import BASE_RATE, DEFAULT_CHANNELS, ChannelEffect

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


# The demo's causal effects: groundtruth's, four times stronger, so that a
# two-week demo has enough sales for the models to be told apart.
EFFECT_SCALE = 4.0
MULTI_DEVICE_SHARE = 0.35  # people who visit on two devices
SECOND_DEVICE_IDENTIFIES = 0.85  # ... and log in on the second one too
BROWSER_IDENTIFIES = 0.15  # people who log in without buying
MEAN_EXTRA_TOUCHES = 1.6
SLOTS = 8  # three-hour slots a day; a session starts in a slot's first 30 minutes


@dataclass(frozen=True)
class Sale:
    person: str
    visitor_id: str
    day: date  # local
    order_id: str
    revenue: float
    path: tuple[str, ...]  # the channels of the person's sessions, in order


@dataclass
class Simulation:
    hits: list[dict]
    sessions: int
    sessions_by_day_channel: Counter
    pageviews_by_day_channel: Counter
    days: list[date]
    pageviews: int = 0
    people: int = 0
    multi_device_people: int = 0
    sales: list[Sale] = field(default_factory=list)
    # every person's whole journey (all devices): channels, bought, revenue
    journeys: list[tuple[tuple[str, ...], bool, float]] = field(default_factory=list)
    true_contribution: dict[str, float] = field(default_factory=dict)
    base_conversions: float = 0.0

    @property
    def sessions_by_channel(self) -> Counter:
        total: Counter = Counter()
        for (_, channel), n in self.sessions_by_day_channel.items():
            total[channel] += n
        return total

    @property
    def revenue(self) -> float:
        return round(sum(s.revenue for s in self.sales), 2)

    def true_shares(self) -> dict[str, float]:
        """Each channel's share of the conversions the channels caused."""
        total = sum(self.true_contribution.values()) or 1.0
        return {c: v / total for c, v in self.true_contribution.items()}


def _source_for(channel: str, rng: random.Random) -> Source:
    options = [s for s in SOURCES if s.channel == channel]
    return rng.choices(options, weights=[s.weight for s in options])[0]


def _journey_channels(
    rng: random.Random, effects: tuple[ChannelEffect, ...], length: int
) -> list[str]:
    """Each touch's channel: reach × exp(slope × relative position), as in
    groundtruth.simulate_journeys."""
    out = []
    for position in range(length):
        relative = position / (length - 1) if length > 1 else 1.0
        weights = [c.reach * math.exp(c.slope * relative) for c in effects]
        out.append(rng.choices(effects, weights=weights)[0].name)
    return out


def _touch_slots(rng: random.Random, days: int, wanted: int) -> list[tuple[int, int]]:
    """Up to ``wanted`` (day index, slot), in time order, a few days apart at
    most; a slot-7 session runs past midnight, so the next day's slot 0 is skipped."""
    day = rng.randrange(days)
    slot = rng.randrange(SLOTS)
    out = [(day, slot)]
    while len(out) < wanted:
        gap = 0 if rng.random() < 0.35 else 1 + int(rng.expovariate(1 / 1.5))
        if gap == 0 and slot < SLOTS - 1:
            slot = rng.randint(slot + 1, SLOTS - 1)
        else:
            day += max(gap, 1)
            slot = rng.randrange(1 if out[-1][1] == SLOTS - 1 else 0, SLOTS)
        if day >= days:
            break
        out.append((day, slot))
    return out


def simulate(
    token: str,
    end_day: date,
    days: int = 14,
    target_hits: int = 50_000,
    seed: int = 7,
    sent_at: datetime | None = None,
    tz: str = "UTC",
    currency: str = "EUR",
    effects: tuple[ChannelEffect, ...] = DEFAULT_CHANNELS,
    effect_scale: float = EFFECT_SCALE,
) -> Simulation:
    """About ``target_hits`` pageviews over the ``days`` local days (in ``tz``)
    ending with ``end_day``, from people whose journeys end in sales with known
    causal effects; the expected sessions are counted per local day."""
    rng = random.Random(seed)
    zone = ZoneInfo(tz)
    sent = (sent_at or datetime.now(timezone.utc)).isoformat()
    day_list = [end_day - timedelta(days=days - 1 - i) for i in range(days)]
    effect = {c.name: c.effect * effect_scale for c in effects}
    base_rate = BASE_RATE * effect_scale
    if base_rate + sum(effect.values()) > 1:
        raise ValueError("base rate plus every effect must stay a probability")
    sim = Simulation([], 0, Counter(), Counter(), day_list)
    contribution: Counter = Counter()

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    while sim.pageviews < target_hits:
        sim.people += 1
        person = f"p{sim.people:06d}"
        devices = [f"v-{uid()}"]
        if rng.random() < MULTI_DEVICE_SHARE:
            devices.append(f"v-{uid()}")
            sim.multi_device_people += 1
        agents = {d: rng.choice(USER_AGENTS) for d in devices}
        length = min(1 + int(rng.expovariate(1 / MEAN_EXTRA_TOUCHES)), 10)
        slots = _touch_slots(rng, days, length)
        channels = _journey_channels(rng, effects, len(slots))
        path: list[str] = []
        # (device, last pageview time, session id) of each session, for identifies and the sale
        visits: list[tuple[str, datetime, str]] = []
        for index, ((day_index, slot), channel) in enumerate(zip(slots, channels, strict=True)):
            device = devices[0] if index == 0 else rng.choice(devices)
            day = day_list[day_index]
            local_start = datetime.combine(day, time(slot * 3, 0), tzinfo=zone)
            start = local_start.astimezone(timezone.utc) + timedelta(seconds=rng.randint(0, 1800))
            end_at, session_id = _session(
                sim, rng, token, sent, zone, device, agents[device], day, start,
                _source_for(channel, rng), slot == SLOTS - 1 and day == end_day, path,
            )  # fmt: skip
            visits.append((device, end_at, session_id))
        touched = set(path)
        for channel in touched:
            contribution[channel] += effect.get(channel, 0.0)
        sim.base_conversions += base_rate
        converts = rng.random() < base_rate + sum(effect.get(c, 0.0) for c in touched)
        user = f"u-{person}"
        email = f"{person}@example.com"
        identified = set()
        if converts:
            device, at, session_id = visits[-1]
            at += timedelta(seconds=rng.randint(5, 60))
            sim.hits.append(
                _identify(token, sent, device, session_id, at, agents, user, email, uid)
            )
            identified.add(device)
            at += timedelta(seconds=rng.randint(5, 60))
            order = f"o-{uid()[:13]}"
            revenue = round(rng.lognormvariate(4.0, 0.6), 2)
            sim.hits.append(
                {
                    "token": token,
                    "type": "sale",
                    "hit_id": uid(),
                    "visitor_id": device,
                    "session_id": session_id,
                    "client_ts": at.isoformat(),
                    "sent_at": sent,
                    "url": f"{SITE}/checkout/thanks",
                    "order_id": order,
                    "revenue": revenue,
                    "currency": currency,
                    "simulated": True,
                    "_user_agent": agents[device],
                }
            )
            sim.sales.append(
                Sale(person, device, at.astimezone(zone).date(), order, revenue, tuple(path))
            )
        sim.journeys.append((tuple(path), converts, sim.sales[-1].revenue if converts else 0.0))
        for device in devices:
            if device in identified:
                continue
            chance = SECOND_DEVICE_IDENTIFIES if converts else BROWSER_IDENTIFIES
            own = [v for v in visits if v[0] == device]
            if own and rng.random() < chance:
                _, at, session_id = rng.choice(own)
                # an address typed differently on each device: the same hashed email
                typed = f"  {email.title()} " if rng.random() < 0.5 else email
                sim.hits.append(
                    _identify(
                        token,
                        sent,
                        device,
                        session_id,
                        at + timedelta(seconds=3),
                        agents,
                        user,
                        typed,
                        uid,
                    )  # fmt: skip
                )
    sim.true_contribution = {c.name: contribution.get(c.name, 0.0) for c in effects}
    return sim


def _identify(token, sent, device, session_id, at, agents, user, email, uid) -> dict:
    return {
        "token": token,
        "type": "identify",
        "hit_id": uid(),
        "visitor_id": device,
        "session_id": session_id,
        "client_ts": at.isoformat(),
        "sent_at": sent,
        "url": f"{SITE}/account",
        "user_id": user,
        "traits": {"email": email},
        "simulated": True,
        "_user_agent": agents[device],
    }


def _session(
    sim: Simulation,
    rng: random.Random,
    token: str,
    sent: str,
    zone: ZoneInfo,
    visitor: str,
    ua: str,
    day: date,
    start: datetime,
    source: Source,
    last_evening: bool,
    path: list[str],
) -> tuple[datetime, str]:
    """One visit's pageviews (two sessions if an ad click comes mid-visit);
    counts them and appends their channels to ``path``. Returns the time of the
    last pageview and the client session id."""
    pages = min(1 + int(rng.expovariate(1 / 3.2)), 25)
    # Now and then a second ad click arrives mid-visit: a new session from there
    # (not in the last evening, whose second session could start after the last day).
    can_switch = pages > 2 and not last_evening
    switch_at = rng.randint(1, pages - 1) if can_switch and rng.random() < 0.04 else None
    at = start
    session_day = day
    previous_url: str | None = None
    session_id = uuid.UUID(int=rng.getrandbits(128)).hex
    pages_before = 0
    path.append(source.channel)
    last = at
    for n in range(pages):
        page = rng.choice(PAGES)
        url = SITE + page
        hit = {
            "token": token,
            "type": "pageview",
            "hit_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "visitor_id": visitor,
            "session_id": session_id,
            "client_ts": at.isoformat(),
            "sent_at": sent,
            "title": page.strip("/").title() or "Home",
            # tells the collector this is nobody: no cookie is set
            "simulated": True,
            "_user_agent": ua,
        }
        if n == switch_at:
            # the visitor clicks a search ad mid-visit
            sim.sessions += 1
            sim.sessions_by_day_channel[(session_day, source.channel)] += 1
            sim.pageviews_by_day_channel[(session_day, source.channel)] += n
            source = SOURCES[0]
            path.append(source.channel)
            pages_before = n
            session_day = at.astimezone(zone).date()  # it may be after midnight
            query = "&".join(f"{k}={v}" for k, v in source.utm.items())
            hit["gclid"] = uuid.UUID(int=rng.getrandbits(128)).hex
            url = f"{url}?{query}&gclid={hit['gclid']}"
            hit.update(source.utm)
            hit["referrer"] = source.referrer
        elif n == 0:
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
        sim.hits.append(hit)
        sim.pageviews += 1
        previous_url = url
        last = at
        at += timedelta(seconds=rng.randint(5, 240))
    sim.sessions += 1
    sim.sessions_by_day_channel[(session_day, source.channel)] += 1
    sim.pageviews_by_day_channel[(session_day, source.channel)] += pages - (
        pages_before if switch_at else 0
    )
    return last, session_id
