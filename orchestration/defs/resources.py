"""The resource every asset takes, and the warehouse target as the definitions load.

Resources read the settings at run time, so no URL or secret sits in run config.
"""

from __future__ import annotations

from dagster import ConfigurableResource, Definitions

from touchline.control.db import session_scope
from touchline.control.registry import RegistryError, get_account
from touchline.dbt.runner import known_target
from touchline.settings import Settings, get_settings, load_settings
from touchline.warehouse import Warehouse

# The warehouse as loading the definitions sees it, without connecting (the
# adapter the last ``touchline prepare`` detected): its dialect is the assets' kind.
target = known_target(get_settings())


class TouchlineResource(ConfigurableResource):
    """Settings, the warehouse, the landing root and the accounts of this deployment."""

    @property
    def settings(self) -> Settings:
        return load_settings()

    def warehouse(self) -> Warehouse:
        return Warehouse(self.settings.resolved_warehouse_url)

    @property
    def landing_root(self) -> str:
        return self.settings.resolved_landing_root

    def account_timezones(self, accounts: list[str]) -> dict[str, str]:
        """Each account's IANA time zone; an account no longer registered keeps UTC."""
        zones = {}
        with session_scope(self.settings.resolved_control_db_url) as session:
            for slug in accounts:
                try:
                    zones[slug] = get_account(session, slug).timezone
                except RegistryError:
                    zones[slug] = "UTC"
        return zones


touchline_resource = TouchlineResource()

defs = Definitions(resources={"touchline": touchline_resource})
