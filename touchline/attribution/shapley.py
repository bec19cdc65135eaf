"""Shapley values over channel sets, computed exactly.

The game: the players are the channels; a coalition ``S``'s worth is

    v(S) = max over non-empty T ⊆ S of r(T),     v(∅) = 0,

where ``r(T)`` is the conversion rate of the journeys whose set of channels is
exactly ``T`` (conversions / journeys, non-converting journeys included; 0 for a set
never seen). ``v`` is the monotone envelope of the observed rates: a coalition can
always ignore a member, so adding a channel never lowers its worth. A monotone
game's marginal contributions are all >= 0, so no channel gets negative credit.

A sale whose path touches the channel set ``S`` is split among ``S``'s channels in
proportion to their Shapley values in the game restricted to subsets of ``S``
(these sum to ``v(S)``). All of them come from the Harsanyi dividends
``d = Möbius(v)``: ``φ_k(S) = Σ_{T ⊆ S, k ∈ T} d(T) / |T|``, i.e. one zeta transform
per channel, O(n² 2ⁿ) for ``n`` channels: exact and fast up to about 16 channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from touchline.attribution.paths import AttributionError
from touchline.attribution.result import Attribution, spread_over_touches
from touchline.attribution.table import PathTable

MAX_CHANNELS = 18


@dataclass(frozen=True, eq=False)
class ShapleyFit:
    channels: tuple[str, ...]
    rate: np.ndarray  # r(T) per subset bitmask (2ⁿ)
    worth: np.ndarray  # v(S) per subset bitmask
    phi: np.ndarray  # (2ⁿ, n): φ_k(S), channel k's value in the game restricted to S

    def channel_values(self) -> dict[str, float]:
        """Each channel's Shapley value in the game over every channel."""
        return {c: float(v) for c, v in zip(self.channels, self.phi[-1], strict=True)}


def _subset_max(values: np.ndarray, n: int) -> np.ndarray:
    out = values.copy()
    for bit in range(n):
        view = out.reshape(-1, 2, 1 << bit)
        np.maximum(view[:, 1, :], view[:, 0, :], out=view[:, 1, :])
    return out


def _mobius(values: np.ndarray, n: int) -> np.ndarray:
    out = values.copy()
    for bit in range(n):
        view = out.reshape(-1, 2, 1 << bit, *values.shape[1:])
        view[:, 1] -= view[:, 0]
    return out


def _zeta(values: np.ndarray, n: int) -> np.ndarray:
    out = values.copy()
    for bit in range(n):
        view = out.reshape(-1, 2, 1 << bit, *values.shape[1:])
        view[:, 1] += view[:, 0]
    return out


def path_masks(table: PathTable) -> np.ndarray:
    """Each path's channel set as a bitmask (bit k = channel code k)."""
    weights = np.left_shift(np.int64(1), np.arange(table.n_channels, dtype=np.int64))
    return (table.incidence() * weights[None, :]).sum(axis=1).astype(np.int64)


def fit_shapley(table: PathTable) -> ShapleyFit:
    n = table.n_channels
    if n > MAX_CHANNELS:
        raise AttributionError(
            f"the Shapley model is exact over at most {MAX_CHANNELS} channels; these paths "
            f"have {n} (group rare channels, or use another model)"
        )
    size = 1 << n
    masks = path_masks(table)
    conv = np.bincount(masks, weights=table.conversions, minlength=size)
    journeys = np.bincount(masks, weights=table.conversions + table.nulls, minlength=size)
    rate = np.divide(conv, journeys, out=np.zeros(size), where=journeys > 0)
    worth = _subset_max(rate, n)
    worth[0] = 0.0
    dividends = _mobius(worth, n)
    bits = ((np.arange(size)[:, None] >> np.arange(n)[None, :]) & 1).astype(np.float64)
    sizes = bits.sum(axis=1)
    per_member = np.divide(dividends, sizes, out=np.zeros(size), where=sizes > 0)
    phi = _zeta(per_member[:, None] * bits, n)
    # Exact arithmetic gives φ >= 0 (monotone game); the transforms' rounding may not.
    phi = np.where(bits > 0, np.maximum(phi, 0.0), 0.0)
    return ShapleyFit(channels=table.channels, rate=rate, worth=worth, phi=phi)


def shapley(table: PathTable) -> Attribution:
    fit = fit_shapley(table)
    masks = path_masks(table)
    phi = fit.phi[masks]
    total = phi.sum(axis=1, keepdims=True)
    members = table.incidence()
    # A set worth nothing (no converting journey on it or any of its subsets) has no
    # sales to split; its paths get an equal split so that every path's shares sum to 1.
    channel_share = np.where(
        total > 0,
        np.divide(phi, total, out=np.zeros_like(phi), where=total > 0),
        members / members.sum(axis=1, keepdims=True),
    )
    shares = spread_over_touches(table, channel_share)
    return Attribution(model="shapley", table=table, shares=shares, value_shares=shares, fit=fit)
