"""Turning channel totals into per-sale credits.

A model that is defined on channel totals (Markov's removal effects) still has to
say how each sale is split. We split every sale among the channels on its path in
proportion to one weight per channel, the same weight on every path (a Luce split),
and choose the weights so that the sales' credits add up to the model's channel
totals. Those weights are unique (up to scale) when such a split exists, and are
found by the minorise-maximise iteration for the Bradley-Terry/Luce likelihood
(Hunter 2004), here in log space. When no split can reach a channel's total (the
model credits a channel more than the conversions of the paths it appears on, for
instance a channel seen only on journeys that never converted), the iteration gives
the closest split it can and the shortfall is reported.
"""

from __future__ import annotations

import numpy as np

MAX_ITERATIONS = 5_000
TOLERANCE = 1e-12
STALL_WINDOW = 100
STALL_PROGRESS = 1e-4  # less than this relative progress over a window: stalled


def _logsumexp_rows(logw: np.ndarray, members: np.ndarray) -> np.ndarray:
    masked = np.where(members, logw[None, :], -np.inf)
    top = masked.max(axis=1)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(masked - safe[:, None]).sum(axis=1))


def luce_shares(log_weights: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Per row of ``members`` (rows × channels, bool), each member's share; rows whose
    members all have zero weight split equally."""
    norm = _logsumexp_rows(log_weights, members)
    with np.errstate(invalid="ignore"):  # rows with no weight at all: fixed below
        relative = np.minimum(log_weights[None, :] - norm[:, None], 0.0)
    shares = np.where(members, np.exp(relative), 0.0)
    stuck = ~np.isfinite(norm) | (shares.sum(axis=1) == 0)
    if stuck.any():
        shares[stuck] = members[stuck] / members[stuck].sum(axis=1, keepdims=True)
    return shares


def fit_luce_weights(
    members: np.ndarray, amounts: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, int]:
    """Log weights such that Σ_rows amount × share reproduces ``targets``.

    ``members`` is (sets × channels) bool, ``amounts`` what each set has to split
    (its conversions or value), ``targets`` each channel's due total (summing to
    Σ amounts). Returns the log weights (−inf for a channel due nothing) and the
    number of iterations used.
    """
    n_channels = members.shape[1]
    logw = np.full(n_channels, -np.inf)
    keep = amounts > 0
    members, amounts = members[keep], amounts[keep]
    total = amounts.sum()
    if total <= 0:
        return logw, 0
    reachable = members.any(axis=0) & (targets > 0)
    if not reachable.any():
        return logw, 0
    log_targets = np.log(np.where(reachable, targets, 1.0))
    logw[reachable] = log_targets[reachable]
    m = members & reachable[None, :]
    log_amounts = np.log(amounts)
    iterations = 0
    last_gap = np.inf
    for iterations in range(1, MAX_ITERATIONS + 1):  # noqa: B007
        norm = _logsumexp_rows(logw, m)
        # achieved_k = Σ_s amount_s w_k / Σ_{j∈s} w_j ; MM: w_k ← T_k / Σ_s amount_s/Σ_{j∈s} w_j
        per_set = np.where(m, (log_amounts - norm)[:, None], -np.inf)
        top = per_set.max(axis=0)
        safe = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            log_denominator = safe + np.log(np.exp(per_set - safe[None, :]).sum(axis=0))
        achieved = np.where(reachable, np.exp(logw + log_denominator), 0.0)
        gap = float(np.max(np.abs(achieved - np.where(reachable, targets, 0.0))))
        if gap <= TOLERANCE * total:
            break
        # Without an exact split the gap settles at the shortfall; stop once it has.
        if iterations % STALL_WINDOW == 0:
            if gap > (1.0 - STALL_PROGRESS) * last_gap:
                break
            last_gap = gap
        logw = np.where(reachable, log_targets - log_denominator, -np.inf)
        logw = logw - logw[reachable].max()
    return logw, iterations
