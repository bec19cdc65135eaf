"""One module per ad platform; :data:`CONNECTORS` maps a platform name to its class."""

from __future__ import annotations

from connectors.base import Connector
from connectors.platforms.google_ads import GoogleAdsConnector
from connectors.platforms.klaviyo import KlaviyoConnector
from connectors.platforms.meta import MetaConnector
from connectors.platforms.microsoft_ads import MicrosoftAdsConnector
from connectors.platforms.pinterest import PinterestConnector
from connectors.platforms.tiktok import TikTokConnector

CONNECTORS: dict[str, type[Connector]] = {
    c.platform: c
    for c in (
        GoogleAdsConnector,
        MicrosoftAdsConnector,
        MetaConnector,
        KlaviyoConnector,
        TikTokConnector,
        PinterestConnector,
    )
}
