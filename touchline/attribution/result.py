"""What every model returns: per path and touch, the share of the sale it earned."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from touchline.attribution.table import PAD, PathTable


@dataclass(frozen=True)
class ChannelCredit:
    conversions: float
    value: float


@dataclass(frozen=True)
class TouchCredit:
    """One touch of one distinct path: the share of each of that path's sales it earns."""

    path_index: int
    position: int
    channel: str
    conversion_share: float
    value_share: float
    conversions: float  # conversion_share × the path's conversions
    value: float  # value_share × the path's value


@dataclass(frozen=True, eq=False)
class Attribution:
    """A model's credits.

    ``shares[p, i]`` is the share of each sale on path ``p`` that its touch ``i``
    earns; a path's shares are >= 0 and sum to 1 (on every path, converting or not,
    so that a journey can be looked up before its sale). ``value_shares`` is the same
    for revenue; it differs from ``shares`` only for the Markov model, whose revenue
    credits follow value-weighted removal effects. Padding cells hold 0.
    """

    model: str
    table: PathTable
    shares: np.ndarray
    value_shares: np.ndarray
    fit: object | None = None  # model-specific diagnostics (MarkovFit, ShapleyFit)

    def channel_totals(self) -> dict[str, ChannelCredit]:
        t = self.table
        valid = t.valid
        cols = t.codes[valid]
        conv = np.bincount(
            cols, weights=(self.shares * t.conversions[:, None])[valid], minlength=t.n_channels
        )
        val = np.bincount(
            cols, weights=(self.value_shares * t.value[:, None])[valid], minlength=t.n_channels
        )
        return {
            name: ChannelCredit(float(conv[i]), float(val[i])) for i, name in enumerate(t.channels)
        }

    def touch_arrays(self) -> dict[str, np.ndarray]:
        """Every touch of every path as flat arrays, for bulk writes to the warehouse:
        ``path_index``, ``position``, ``channel`` (code into ``table.channels``),
        ``conversion_share``, ``value_share``."""
        rows, cols = np.nonzero(self.table.valid)
        return {
            "path_index": rows,
            "position": cols,
            "channel": self.table.codes[rows, cols],
            "conversion_share": self.shares[rows, cols],
            "value_share": self.value_shares[rows, cols],
        }

    def touch_credits(self) -> Iterator[TouchCredit]:
        t = self.table
        for p in range(t.n_paths):
            for i in range(int(t.lengths[p])):
                code = int(t.codes[p, i])
                if code == PAD:
                    break
                s, vs = float(self.shares[p, i]), float(self.value_shares[p, i])
                yield TouchCredit(
                    path_index=p,
                    position=i,
                    channel=t.channels[code],
                    conversion_share=s,
                    value_share=vs,
                    conversions=s * float(t.conversions[p]),
                    value=vs * float(t.value[p]),
                )


def spread_over_touches(table: PathTable, channel_share: np.ndarray) -> np.ndarray:
    """Turn per-path, per-channel shares (paths × channels) into per-touch shares,
    splitting a channel's share equally over its touches on that path."""
    valid = table.valid
    rows, cols = np.nonzero(valid)
    codes = table.codes[rows, cols]
    counts = np.zeros((table.n_paths, table.n_channels))
    np.add.at(counts, (rows, codes), 1.0)
    out = np.zeros(table.codes.shape)
    out[rows, cols] = channel_share[rows, codes] / counts[rows, codes]
    return out
