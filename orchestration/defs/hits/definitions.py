"""The hits domain: landed hits into the warehouse, the landing sensor that keeps
today fresh, and the nightly schedule that loads yesterday and late hits."""

from dagster import Definitions

from orchestration.defs.hits.assets import build_raw_hits_asset
from orchestration.defs.hits.schedules import nightly_accounts
from orchestration.defs.hits.sensors import build_landing_sensor
from orchestration.defs.resources import target

raw_hits = build_raw_hits_asset(target.dialect)

defs = Definitions(
    assets=[raw_hits], schedules=[nightly_accounts], sensors=[build_landing_sensor()]
)
