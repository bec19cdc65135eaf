"""The ad platforms Touchline pulls cost from: the one list every layer reads.

Importing it costs nothing (no client library): the Dagster definitions, the
control database and the CLI read it without loading google-ads or gRPC. The
connectors map each name to its class (``connectors.platforms.CONNECTORS``), and
the dbt project gets the same list as the ``ad_platforms`` variable, which
a test holds equal to this tuple.
"""

from __future__ import annotations

PLATFORMS: tuple[str, ...] = (
    "google_ads",
    "microsoft_ads",
    "meta",
    "klaviyo",
    "tiktok",
    "pinterest",
)
