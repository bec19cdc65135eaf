"""The serving domain: the marts published for the report API, last in every run."""

from dagster import Definitions

from orchestration.defs.resources import target
from orchestration.defs.serving.assets import build_serving_asset

serving_marts = build_serving_asset(target.dialect)

defs = Definitions(assets=[serving_marts])
