"""The attribution domain: identity map and fitted path credits between dbt models."""

from dagster import Definitions

from orchestration.defs.attribution.assets import build_attribution_assets
from orchestration.defs.resources import target

attribution_assets = build_attribution_assets(target.dialect)

defs = Definitions(assets=attribution_assets)
