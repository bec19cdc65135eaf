"""The first-order Markov model with removal effects computed exactly.

States are ``(start)``, one per channel, and the absorbing ``(conversion)`` and
``(null)``. Transition probabilities are the observed transition counts over all
journeys, converting and not, with consecutive repeats of a channel collapsed (a
self-loop would not change where a walk ends anyway). The probability of reaching
``(conversion)`` from ``(start)`` is the solution of ``(I − Q) x = r`` for the
transient block ``Q``; removing channel ``k`` sends every transition into ``k`` to
``(null)``, which is the same system with ``k``'s row and column dropped.

    RE_k = 1 − P(conversion | k removed) / P(conversion)
    channel k's conversions = C × RE_k / Σ_j RE_j

Revenue uses the same chain with each conversion worth the mean value of the
conversions that ended on the state it came from (what ChannelAttribution's value
removal effects estimate); a channel's revenue is V × REv_k / Σ_j REv_j. Each sale
is then split among its path's channels by :mod:`touchline.attribution.split` so that
the sales' credits add up to those channel totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from touchline.attribution.result import Attribution, spread_over_touches
from touchline.attribution.split import fit_luce_weights, luce_shares
from touchline.attribution.table import PAD, PathTable


@dataclass(frozen=True, eq=False)
class MarkovFit:
    channels: tuple[str, ...]
    states: tuple[str, ...]  # (start), channels..., (conversion), (null)
    transition: np.ndarray  # row-stochastic where a state was left at least once
    conversion_probability: float
    removal_effects: np.ndarray  # per channel
    value_removal_effects: np.ndarray
    targets: np.ndarray  # C × RE_k / ΣRE
    value_targets: np.ndarray  # V × REv_k / ΣREv
    shortfall: np.ndarray  # targets − what the per-sale split reaches (0 when it can)
    value_shortfall: np.ndarray
    iterations: int


def transition_counts(table: PathTable) -> np.ndarray:
    """Counts between the states (start, channels, conversion, null)."""
    n = table.n_channels
    size = n + 3
    start, conv, null = 0, n + 1, n + 2
    codes = table.codes
    journeys = table.conversions + table.nulls
    valid = codes != PAD
    src = codes[:, :-1] + 1
    dst = codes[:, 1:] + 1
    step = valid[:, 1:] & (codes[:, 1:] != codes[:, :-1])
    weights = np.broadcast_to(journeys[:, None], step.shape)
    last = codes[np.arange(table.n_paths), table.lengths - 1] + 1
    flat = np.concatenate(
        [
            start * size + codes[:, 0] + 1,
            (src * size + dst)[step],
            last * size + conv,
            last * size + null,
        ]
    )
    w = np.concatenate([journeys, weights[step], table.conversions, table.nulls])
    return np.bincount(flat, weights=w, minlength=size * size).reshape(size, size)


def _absorption(q: np.ndarray, reward: np.ndarray, n_channels: int) -> tuple[float, np.ndarray]:
    """Expected reward from (start), with all channels and with each one removed."""
    size = q.shape[0]
    eye = np.eye(size)
    full = np.linalg.solve(eye - q, reward)[0]
    systems = np.repeat((eye - q)[None, :, :], n_channels, axis=0)
    rhs = np.repeat(reward[None, :], n_channels, axis=0)
    k = np.arange(n_channels)
    state = k + 1
    systems[k, state, :] = 0.0
    systems[k, :, state] = 0.0
    systems[k, state, state] = 1.0
    rhs[k, state] = 0.0
    removed = np.linalg.solve(systems, rhs[:, :, None])[:, 0, 0]
    return float(full), removed


def _removal_effects(full: float, removed: np.ndarray) -> np.ndarray:
    if full <= 0:
        return np.zeros_like(removed)
    # Rounding can leave a hair below zero for a channel that changes nothing.
    return np.clip(1.0 - removed / full, 0.0, 1.0)


def fit_markov(table: PathTable) -> MarkovFit:
    n = table.n_channels
    counts = transition_counts(table)
    out = counts.sum(axis=1, keepdims=True)
    prob = np.divide(counts, out, out=np.zeros_like(counts), where=out > 0)
    transient = slice(0, n + 1)
    q = prob[transient, transient]
    to_conv = prob[transient, n + 1]

    ending = counts[transient, n + 1]
    last = table.codes[np.arange(table.n_paths), table.lengths - 1] + 1
    value_ending = np.bincount(last, weights=table.value, minlength=n + 1)[: n + 1]
    mean_value = np.divide(value_ending, ending, out=np.zeros(n + 1), where=ending > 0)

    p_conv, removed = _absorption(q, to_conv, n)
    v_conv, v_removed = _absorption(q, to_conv * mean_value, n)
    re = _removal_effects(p_conv, removed)
    re_value = _removal_effects(v_conv, v_removed)

    total_conv = float(table.conversions.sum())
    total_value = float(table.value.sum())
    targets = total_conv * re / re.sum() if re.sum() > 0 else np.zeros(n)
    value_targets = total_value * re_value / re_value.sum() if re_value.sum() > 0 else np.zeros(n)
    states = ("(start)", *table.channels, "(conversion)", "(null)")
    return MarkovFit(
        channels=table.channels,
        states=states,
        transition=prob,
        conversion_probability=p_conv,
        removal_effects=re,
        value_removal_effects=re_value,
        targets=targets,
        value_targets=value_targets,
        shortfall=np.zeros(n),
        value_shortfall=np.zeros(n),
        iterations=0,
    )


def channel_sets(incidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a (paths × channels) bool matrix, and each path's row index."""
    n = incidence.shape[1]
    if n <= 62:
        # One integer per row: sorting int64 keys is far faster than unique rows.
        keys = incidence.astype(np.int64) @ np.left_shift(np.int64(1), np.arange(n, dtype=np.int64))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        return incidence[first], inverse.reshape(-1)
    sets, inverse = np.unique(incidence, axis=0, return_inverse=True)
    return sets, inverse.reshape(-1)


def _split(
    sets: np.ndarray,
    inverse: np.ndarray,
    amounts: np.ndarray,
    targets: np.ndarray,
    fallback: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    set_amounts = np.bincount(inverse, weights=amounts, minlength=len(sets))
    logw, iterations = fit_luce_weights(sets, set_amounts, targets)
    # Channels no sale can carry still need a weight for paths without sales: take
    # their removal effect on the fitted channels' scale.
    fitted = np.isfinite(logw) & (fallback > 0)
    unfitted = ~np.isfinite(logw) & (fallback > 0)
    if unfitted.any():
        offset = np.median(logw[fitted] - np.log(fallback[fitted])) if fitted.any() else 0.0
        logw[unfitted] = np.log(fallback[unfitted]) + offset
    set_shares = luce_shares(logw, sets)
    achieved = (set_shares * set_amounts[:, None]).sum(axis=0)
    return set_shares[inverse], targets - achieved, iterations


def markov(table: PathTable) -> Attribution:
    fit = fit_markov(table)
    sets, inverse = channel_sets(table.incidence())
    shares, shortfall, it1 = _split(
        sets, inverse, table.conversions, fit.targets, fit.removal_effects
    )
    value_shares, value_shortfall, it2 = _split(
        sets, inverse, table.value, fit.value_targets, fit.value_removal_effects
    )
    fit = MarkovFit(
        **{
            **fit.__dict__,
            "shortfall": shortfall,
            "value_shortfall": value_shortfall,
            "iterations": max(it1, it2),
        }
    )
    return Attribution(
        model="markov",
        table=table,
        shares=spread_over_touches(table, shares),
        value_shares=spread_over_touches(table, value_shares),
        fit=fit,
    )
