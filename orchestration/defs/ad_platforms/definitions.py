"""The ad-platforms domain: one asset per platform's campaign-day report."""

from dagster import Definitions

from orchestration.defs.ad_platforms.assets import build_ad_platform_assets

ad_platform_assets = build_ad_platform_assets()

defs = Definitions(assets=ad_platform_assets)
