"""Everything Dagster loads: ``dagster dev -w workspace.yaml`` points here. It only
merges the domains' definitions (``orchestration/defs/<domain>/definitions.py``).

Loading is cheap and offline: no warehouse connection and no dbt command run
here (the manifest is prepared by ``touchline prepare``)."""

from __future__ import annotations

from dagster import Definitions

from orchestration.defs import account_day, resources
from orchestration.defs.accounts import definitions as accounts
from orchestration.defs.ad_platforms import definitions as ad_platforms
from orchestration.defs.attribution import definitions as attribution
from orchestration.defs.dbt import definitions as dbt
from orchestration.defs.hits import definitions as hits
from orchestration.defs.serving import definitions as serving

defs = Definitions.merge(
    hits.defs,
    ad_platforms.defs,
    attribution.defs,
    dbt.defs,
    serving.defs,
    accounts.defs,
    account_day.defs,
    resources.defs,
)
