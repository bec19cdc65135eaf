"""Paths encoded as padded integer arrays, the shape every model works on.

Channel names become codes (their index in the sorted channel list); a path of
length ``n`` fills the first ``n`` columns of its row, the rest is ``-1``. Models
vectorise over rows, so their cost grows with the number of distinct paths, not
with the number of journeys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from touchline.attribution.paths import AttributionError, Path

PAD = -1


@dataclass(frozen=True, eq=False)
class PathTable:
    channels: tuple[str, ...]
    codes: np.ndarray  # (paths, max length) int64, PAD after each path's end
    lengths: np.ndarray  # (paths,) int64
    conversions: np.ndarray  # (paths,) float64
    value: np.ndarray  # (paths,) float64
    nulls: np.ndarray  # (paths,) float64
    hours: np.ndarray | None = None  # (paths, max length) float64, NaN where unknown

    @property
    def n_paths(self) -> int:
        return int(self.codes.shape[0])

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def valid(self) -> np.ndarray:
        """Boolean (paths, max length): which cells hold a touch."""
        return self.codes != PAD

    @classmethod
    def from_paths(cls, paths: Sequence[Path]) -> PathTable:
        if not paths:
            raise AttributionError("no paths to attribute")
        channels = tuple(sorted({c for p in paths for c in p.channels}))
        index = {c: i for i, c in enumerate(channels)}
        width = max(len(p.channels) for p in paths)
        codes = np.full((len(paths), width), PAD, dtype=np.int64)
        has_hours = any(p.hours_before_end is not None for p in paths)
        hours = np.full((len(paths), width), np.nan) if has_hours else None
        for row, p in enumerate(paths):
            codes[row, : len(p.channels)] = [index[c] for c in p.channels]
            if hours is not None and p.hours_before_end is not None:
                hours[row, : len(p.channels)] = p.hours_before_end
        return cls(
            channels=channels,
            codes=codes,
            lengths=np.array([len(p.channels) for p in paths], dtype=np.int64),
            conversions=np.array([p.conversions for p in paths], dtype=np.float64),
            value=np.array([p.value for p in paths], dtype=np.float64),
            nulls=np.array([p.nulls for p in paths], dtype=np.float64),
            hours=hours,
        )

    def to_paths(self) -> list[Path]:
        out = []
        for row in range(self.n_paths):
            n = int(self.lengths[row])
            hours = None
            if self.hours is not None and not np.isnan(self.hours[row, :n]).any():
                hours = tuple(float(h) for h in self.hours[row, :n])
            out.append(
                Path(
                    channels=tuple(self.channels[c] for c in self.codes[row, :n]),
                    conversions=float(self.conversions[row]),
                    value=float(self.value[row]),
                    nulls=float(self.nulls[row]),
                    hours_before_end=hours,
                )
            )
        return out

    def incidence(self) -> np.ndarray:
        """Boolean (paths, channels): which channels each path touches at least once."""
        out = np.zeros((self.n_paths, self.n_channels), dtype=bool)
        rows, cols = np.nonzero(self.valid)
        out[rows, self.codes[rows, cols]] = True
        return out


def aggregate_journeys(
    channels: Sequence[str],
    codes: np.ndarray,
    converted: np.ndarray,
    value: np.ndarray | None = None,
) -> PathTable:
    """Aggregate journey-level rows (one per journey, padded codes) to distinct paths.

    ``codes`` is (journeys, max length) with :data:`PAD` after each journey's last
    touch; ``converted`` is 0/1 per journey and ``value`` its revenue. Journey times
    are not kept: aggregated paths serve the models that do not read them.
    """
    codes = np.asarray(codes, dtype=np.int64)
    converted = np.asarray(converted, dtype=np.float64)
    value = np.zeros(len(codes)) if value is None else np.asarray(value, dtype=np.float64)
    if codes.ndim != 2 or len(codes) != len(converted) or len(codes) != len(value):
        raise AttributionError("codes must be (journeys, length) and match converted/value")
    if len(codes) == 0:
        raise AttributionError("no journeys to aggregate")
    if (codes[:, 0] == PAD).any():
        raise AttributionError("every journey needs at least one touch")
    base = int(max(codes.max(), 0)) + 2
    if codes.shape[1] * np.log2(base) < 62:
        # One integer per path: sorting int64 keys is far faster than unique rows.
        keys = ((codes + 1) * base ** np.arange(codes.shape[1], dtype=np.int64)).sum(axis=1)
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        unique = codes[first]
    else:
        unique, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    n = len(unique)
    conversions = np.bincount(inverse, weights=converted, minlength=n)
    journeys = np.bincount(inverse, minlength=n).astype(np.float64)
    return PathTable(
        channels=tuple(channels),
        codes=unique,
        lengths=(unique != PAD).sum(axis=1).astype(np.int64),
        conversions=conversions,
        value=np.bincount(inverse, weights=value * converted, minlength=n),
        nulls=journeys - conversions,
    )
