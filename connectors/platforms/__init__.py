"""One module per ad platform, named after it, each exposing its class as
``CONNECTOR``. :data:`CONNECTORS` maps every name of
:data:`touchline.platforms.PLATFORMS` to its class, so a new platform is its
module plus one line in that list."""

from __future__ import annotations

from importlib import import_module

from connectors.base import Connector
from touchline.platforms import PLATFORMS


def _connector(platform: str) -> type[Connector]:
    found = import_module(f"connectors.platforms.{platform}").CONNECTOR
    if not (issubclass(found, Connector) and found.platform == platform):
        raise TypeError(f"connectors.platforms.{platform}.CONNECTOR is not the {platform} class")
    return found


# A listed platform without a module fails here, at import, rather than in a run.
CONNECTORS: dict[str, type[Connector]] = {name: _connector(name) for name in PLATFORMS}
