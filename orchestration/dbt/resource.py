"""dagster-dbt's CLI resource without the work it does before every command."""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version as package_version
from typing import Any

from dagster_dbt import DbtCliResource
from packaging.version import Version


class TouchlineDbtCliResource(DbtCliResource):
    """Two costs of each ``dbt.cli()`` call are skipped:

    * dagster-dbt runs ``dbt --version`` in a subprocess (about 3 s, and it tries
      to reach the package index) to learn a version the installed dbt-core
      package already tells;
    * it builds a dbt adapter in-process to look relations up for column and
      row-count metadata, which Touchline computes itself per partition.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(package_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> None:
        return None
