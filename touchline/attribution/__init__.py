"""Attribution: which channels earned each sale, under eight models.

A pure library (numpy only; no Dagster, no warehouse). Feed it distinct paths with
counts (:class:`Path`, :func:`read_paths_csv`, or :func:`aggregate_journeys` for
journey-level arrays), run a model by name with :func:`attribute`, and read per-path,
per-touch shares (:attr:`Attribution.shares`, :meth:`Attribution.touch_credits`) or
per-channel totals (:meth:`Attribution.channel_totals`). See docs/attribution.md.
"""

from touchline.attribution.identity import IdentityGraph, person_id, resolve_identities
from touchline.attribution.models import MODELS, attribute, get_model
from touchline.attribution.paths import AttributionError, Path, read_paths_csv, write_paths_csv
from touchline.attribution.result import Attribution, ChannelCredit, TouchCredit
from touchline.attribution.table import PathTable, aggregate_journeys
from touchline.attribution.transforms import TRANSFORMS, apply_transforms

__all__ = [
    "MODELS",
    "TRANSFORMS",
    "Attribution",
    "AttributionError",
    "ChannelCredit",
    "IdentityGraph",
    "Path",
    "PathTable",
    "TouchCredit",
    "aggregate_journeys",
    "apply_transforms",
    "attribute",
    "get_model",
    "person_id",
    "read_paths_csv",
    "resolve_identities",
    "write_paths_csv",
]
