"""Prometheus counters per account and request latency, at ``GET /metrics``.

Under ``touchline collector serve`` every worker process counts into
``PROMETHEUS_MULTIPROC_DIR`` (set before prometheus_client is imported) and
``/metrics`` adds them up; without it (tests, one process) the default
in-memory registry is used.
"""

from __future__ import annotations

import collections
import os
from typing import Any

from flask import Blueprint, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

bp = Blueprint("metrics", __name__)

ACCEPTED = Counter(
    "touchline_hits_accepted", "Hits landed, by validation level", ["account", "schema_level"]
)
REFUSED = Counter("touchline_hits_refused", "Hits refused, by reason", ["account", "reason"])
BLACKLISTED = Counter(
    "touchline_hits_blacklisted", "Hits dropped by a blacklist", ["account", "kind"]
)
BOTS = Counter("touchline_bot_hits", "Hits from bots, flagged or dropped", ["account", "action"])
NO_COOKIE = Counter(
    "touchline_hits_without_cookie",
    "Browser hits landed without a cookie (DNT, GPC, consent denied, simulated)",
    ["account"],
)
VALIDATION_FAILURES = Counter(
    "touchline_validation_failures", "validation_failure records landed", ["account", "level"]
)
LATENCY = Histogram(
    "touchline_collector_request_seconds",
    "Time to answer a collector request, landing included",
    ["endpoint"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)


_METRICS = {
    "accepted": ACCEPTED,
    "refused": REFUSED,
    "blacklisted": BLACKLISTED,
    "bot": BOTS,
    "validation_failure": VALIDATION_FAILURES,
}
# Children by label set: ``labels()`` takes a lock and builds a key on every call.
_children: dict[tuple[str, str, str], Any] = {}


def _child(kind: str, account: str, detail: str) -> Any:
    key = (kind, account, detail)
    child = _children.get(key)
    if child is None:
        if kind == "no_cookie":
            child = NO_COOKIE.labels(account)
        else:
            child = _METRICS[kind].labels(account, detail)
        if len(_children) < 100_000:  # accounts x reasons is small; stay bounded anyway
            _children[key] = child
    return child


def count(events: list[tuple[str, str, str]]) -> None:
    # One increment per distinct label set: a batch of 25 costs a few, not 25.
    for event, n in collections.Counter(events).items():
        _child(*event).inc(n)


@bp.get("/metrics")
def metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
