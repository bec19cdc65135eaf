"""The model registry: one name per model, each a function of a :class:`PathTable`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from touchline.attribution.heuristics import (
    first_touch,
    last_non_direct,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from touchline.attribution.markov import markov
from touchline.attribution.paths import AttributionError, Path
from touchline.attribution.result import Attribution
from touchline.attribution.shapley import shapley
from touchline.attribution.table import PathTable
from touchline.attribution.transforms import apply_transforms

Model = Callable[[PathTable], Attribution]

MODELS: dict[str, Model] = {
    "first_touch": first_touch,
    "last_touch": last_touch,
    "last_non_direct": last_non_direct,
    "linear": linear,
    "position_based": position_based,
    "time_decay": time_decay,
    "markov": markov,
    "shapley": shapley,
}


def get_model(name: str) -> Model:
    try:
        return MODELS[name]
    except KeyError:
        raise AttributionError(
            f"unknown model {name!r}; choose from {', '.join(MODELS)} or all"
        ) from None


def attribute(
    paths: Sequence[Path] | PathTable, model: str, transforms: Sequence[str] = ()
) -> Attribution:
    """Run one model on paths (after the named transforms, if any)."""
    fn = get_model(model)
    if isinstance(paths, PathTable):
        if transforms:
            paths = paths.to_paths()
        else:
            return fn(paths)
    return fn(PathTable.from_paths(apply_transforms(paths, transforms)))
