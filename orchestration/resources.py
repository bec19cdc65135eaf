"""Resources read the settings at run time, so no URL or secret sits in run config."""

from __future__ import annotations

from dagster import ConfigurableResource

from touchline.settings import Settings, load_settings
from touchline.warehouse import Warehouse


class TouchlineResource(ConfigurableResource):
    """Settings, the warehouse and the landing root of this deployment."""

    @property
    def settings(self) -> Settings:
        return load_settings()

    def warehouse(self) -> Warehouse:
        return Warehouse(self.settings.resolved_warehouse_url)

    @property
    def landing_root(self) -> str:
        return self.settings.resolved_landing_root
