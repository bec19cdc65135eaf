"""One module per ad platform; :data:`CONNECTORS` maps each name of
:data:`touchline.platforms.PLATFORMS` to its class."""

from __future__ import annotations

from connectors.base import Connector
from connectors.platforms.google_ads import GoogleAdsConnector
from connectors.platforms.klaviyo import KlaviyoConnector
from connectors.platforms.meta import MetaConnector
from connectors.platforms.microsoft_ads import MicrosoftAdsConnector
from connectors.platforms.pinterest import PinterestConnector
from connectors.platforms.tiktok import TikTokConnector
from touchline.platforms import PLATFORMS

_BY_NAME: dict[str, type[Connector]] = {
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

# In the platform list's order; a platform listed without a connector fails here,
# at import, rather than in a run.
CONNECTORS: dict[str, type[Connector]] = {name: _BY_NAME[name] for name in PLATFORMS}
