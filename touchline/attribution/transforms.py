"""Opt-in path transforms, applied before a model (never implied by one).

* ``exposure``: collapse consecutive repeats (a > a > b > a → a > b > a).
* ``unique`` (also ``first_occurrence``): keep each channel once, at its first touch
  (a > b > a > c → a > b > c).
* ``drop_direct``: remove direct touches unless the path is all direct.

A transform keeps each kept touch's ``hours_before_end`` and never merges rows, so
the counts are untouched; paths that become equal are simply counted side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from touchline.attribution.heuristics import DIRECT_CHANNELS
from touchline.attribution.paths import AttributionError, Path

Transform = Callable[[Path], Path]


def _keep(path: Path, keep: Sequence[int]) -> Path:
    hours = path.hours_before_end
    return Path(
        channels=tuple(path.channels[i] for i in keep),
        conversions=path.conversions,
        value=path.value,
        nulls=path.nulls,
        hours_before_end=None if hours is None else tuple(hours[i] for i in keep),
    )


def exposure(path: Path) -> Path:
    c = path.channels
    return _keep(path, [i for i in range(len(c)) if i == 0 or c[i] != c[i - 1]])


def unique(path: Path) -> Path:
    seen: set[str] = set()
    keep = []
    for i, channel in enumerate(path.channels):
        if channel not in seen:
            seen.add(channel)
            keep.append(i)
    return _keep(path, keep)


def drop_direct(path: Path, direct_channels: Collection[str] = DIRECT_CHANNELS) -> Path:
    direct = {d.casefold() for d in direct_channels}
    keep = [i for i, c in enumerate(path.channels) if c.casefold() not in direct]
    return _keep(path, keep) if keep else path


TRANSFORMS: dict[str, Transform] = {
    "exposure": exposure,
    "unique": unique,
    "first_occurrence": unique,
    "drop_direct": drop_direct,
}


def apply_transforms(paths: Sequence[Path], names: Sequence[str]) -> list[Path]:
    """Apply the named transforms, in order, to every path."""
    chosen = []
    for name in names:
        if name not in TRANSFORMS:
            raise AttributionError(
                f"unknown transform {name!r}; choose from {', '.join(TRANSFORMS)}"
            )
        chosen.append(TRANSFORMS[name])
    out = list(paths)
    for transform in chosen:
        out = [transform(p) for p in out]
    return out
