"""Simulated journeys whose channels have a known causal effect on converting.

Each journey is a sequence of touches. Whether it converts depends only on which
channels it touched: ``P(convert) = base + Σ_{k touched} effect_k`` (additive, so
every channel's causal contribution is well defined: a journey that touched ``k``
converts with probability ``effect_k`` higher than the same journey without it).
Where a channel tends to sit in a journey is a separate property (``slope``: > 0
late, < 0 early), so a channel can be last often without causing anything (Direct,
navigational brand search) or cause a lot from the start of journeys (Display).

``true_contribution`` gives each channel's expected caused conversions,
``Σ_journeys effect_k · [k touched]``; :func:`compare_models` sets every model's
attributed share of conversions against the true share of caused conversions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from touchline.attribution.models import MODELS
from touchline.attribution.table import PAD, PathTable, aggregate_journeys


@dataclass(frozen=True)
class ChannelEffect:
    name: str
    reach: float  # relative frequency of touches
    slope: float  # position preference: > 0 late in the journey, < 0 early
    effect: float  # added probability of converting when touched at least once


DEFAULT_CHANNELS: tuple[ChannelEffect, ...] = (
    ChannelEffect("Display", 1.2, -2.0, 0.050),
    ChannelEffect("Paid Social", 1.0, -1.5, 0.035),
    ChannelEffect("Organic Social", 0.6, -0.5, 0.010),
    ChannelEffect("Email", 0.8, 0.5, 0.030),
    ChannelEffect("Referral", 0.4, 0.0, 0.015),
    ChannelEffect("Organic Search", 1.0, 0.5, 0.010),
    ChannelEffect("Paid Search", 1.0, 1.5, 0.008),
    ChannelEffect("Direct", 1.2, 2.5, 0.0),
)
BASE_RATE = 0.005


@dataclass(frozen=True, eq=False)
class Journeys:
    channels: tuple[str, ...]
    codes: np.ndarray  # (journeys, max length), PAD after the end
    lengths: np.ndarray
    hours: np.ndarray  # hours before the journey's end per touch, NaN after the end
    converted: np.ndarray  # 0/1
    value: np.ndarray  # revenue of converting journeys, 0 otherwise
    true_contribution: np.ndarray  # per channel: expected conversions it caused
    base_conversions: float  # expected conversions no channel caused

    def to_table(self, with_hours: bool = False) -> PathTable:
        """Distinct paths with counts; with hours, one row per journey (every journey's
        timing is its own)."""
        if not with_hours:
            return aggregate_journeys(self.channels, self.codes, self.converted, self.value)
        return PathTable(
            channels=self.channels,
            codes=self.codes,
            lengths=self.lengths,
            conversions=self.converted.astype(np.float64),
            value=self.value,
            nulls=1.0 - self.converted,
            hours=self.hours,
        )


def simulate_journeys(
    n: int,
    seed: int = 0,
    channels: Sequence[ChannelEffect] = DEFAULT_CHANNELS,
    base_rate: float = BASE_RATE,
    mean_extra_touches: float = 2.0,
    max_length: int = 12,
) -> Journeys:
    rng = np.random.default_rng(seed)
    k = len(channels)
    reach = np.array([c.reach for c in channels])
    slope = np.array([c.slope for c in channels])
    effect = np.array([c.effect for c in channels])
    if base_rate + effect.sum() > 1:
        raise ValueError("base rate plus every effect must stay a probability")

    lengths = np.minimum(1 + rng.poisson(mean_extra_touches, n), max_length)
    width = int(lengths.max())
    position = np.arange(width)[None, :]
    valid = position < lengths[:, None]
    codes = np.full((n, width), PAD, dtype=np.int64)
    # Channel probabilities per touch: reach × exp(slope × relative position); they
    # depend only on (length, position), so draw each such group in one call.
    for length in np.unique(lengths):
        members = np.nonzero(lengths == length)[0]
        for pos in range(length):
            relative = pos / (length - 1) if length > 1 else 1.0
            weights = reach * np.exp(slope * relative)
            codes[members, pos] = rng.choice(k, size=len(members), p=weights / weights.sum())

    touched = np.zeros((n, k), dtype=bool)
    rows, cols = np.nonzero(valid)
    touched[rows, codes[rows, cols]] = True
    p_convert = base_rate + touched @ effect
    converted = (rng.random(n) < p_convert).astype(np.float64)
    value = np.where(converted > 0, np.round(rng.lognormal(4.0, 0.6, n), 2), 0.0)

    # Hours before the end: the last touch 0–4 h before the sale, each earlier one an
    # exponential gap (mean two days) before the next.
    gaps = np.where(position < lengths[:, None] - 1, rng.exponential(48.0, (n, width)), 0.0)
    until_last = np.cumsum(gaps[:, ::-1], axis=1)[:, ::-1]
    hours = np.where(valid, rng.uniform(0.0, 4.0, n)[:, None] + until_last, np.nan)

    return Journeys(
        channels=tuple(c.name for c in channels),
        codes=codes,
        lengths=lengths.astype(np.int64),
        hours=hours,
        converted=converted,
        value=value,
        true_contribution=touched.sum(axis=0) * effect,
        base_conversions=float(n * base_rate),
    )


@dataclass(frozen=True)
class Comparison:
    channels: tuple[str, ...]
    true_share: np.ndarray  # per channel, of caused conversions
    model_share: dict[str, np.ndarray]  # model → per channel share of conversions
    error: dict[str, float]  # model → share of conversions misattributed (½ L1)

    def markdown(self) -> str:
        models = list(self.model_share)
        lines = [
            "| channel | true | " + " | ".join(models) + " |",
            "| --- | ---: | " + " | ".join("---:" for _ in models) + " |",
        ]
        for i, c in enumerate(self.channels):
            cells = " | ".join(f"{100 * self.model_share[m][i]:.1f}%" for m in models)
            lines.append(f"| {c} | {100 * self.true_share[i]:.1f}% | {cells} |")
        errors = " | ".join(f"**{100 * self.error[m]:.1f}%**" for m in models)
        lines.append(f"| misattributed | — | {errors} |")
        return "\n".join(lines)


def compare_models(journeys: Journeys, models: Sequence[str] = tuple(MODELS)) -> Comparison:
    """Each model's share of the simulated conversions per channel against the true
    share of caused conversions."""
    aggregated = journeys.to_table()
    with_hours = None
    true_share = journeys.true_contribution / journeys.true_contribution.sum()
    shares: dict[str, np.ndarray] = {}
    errors: dict[str, float] = {}
    for name in models:
        if name == "time_decay":
            with_hours = with_hours or journeys.to_table(with_hours=True)
            table = with_hours
        else:
            table = aggregated
        totals = MODELS[name](table).channel_totals()
        credit = np.array([totals[c].conversions for c in journeys.channels])
        shares[name] = credit / credit.sum()
        errors[name] = float(0.5 * np.abs(shares[name] - true_share).sum())
    return Comparison(journeys.channels, true_share, shares, errors)


if __name__ == "__main__":  # python -m demo.groundtruth [journeys] [seed]
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    simulated = simulate_journeys(n, seed=seed)
    print(
        f"{n:,} journeys, {int(simulated.converted.sum()):,} conversions "
        f"(of which about {simulated.base_conversions:,.0f} caused by no channel)\n"
    )
    print(compare_models(simulated).markdown())
