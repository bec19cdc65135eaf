"""The rule-based models: each sale's credit follows from its own path alone."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from touchline.attribution.paths import AttributionError
from touchline.attribution.result import Attribution
from touchline.attribution.table import PathTable

DIRECT_CHANNELS = frozenset({"direct", "(direct)"})
HALF_LIFE_HOURS = 7 * 24.0


def _rows(table: PathTable) -> np.ndarray:
    return np.arange(table.n_paths)


def _result(model: str, table: PathTable, shares: np.ndarray) -> Attribution:
    return Attribution(model=model, table=table, shares=shares, value_shares=shares)


def first_touch(table: PathTable) -> Attribution:
    shares = np.zeros(table.codes.shape)
    shares[:, 0] = 1.0
    return _result("first_touch", table, shares)


def last_touch(table: PathTable) -> Attribution:
    shares = np.zeros(table.codes.shape)
    shares[_rows(table), table.lengths - 1] = 1.0
    return _result("last_touch", table, shares)


def is_direct(table: PathTable, direct_channels: Collection[str] = DIRECT_CHANNELS) -> np.ndarray:
    """Boolean per channel code: is this channel 'direct' (case-insensitive)?"""
    names = {d.casefold() for d in direct_channels}
    return np.array([c.casefold() in names for c in table.channels], dtype=bool)


def last_non_direct(
    table: PathTable, direct_channels: Collection[str] = DIRECT_CHANNELS
) -> Attribution:
    """The last touch that is not direct; the last touch when every touch is direct."""
    direct = is_direct(table, direct_channels)
    valid = table.valid
    candidate = valid & ~direct[np.where(valid, table.codes, 0)]
    width = table.codes.shape[1]
    # argmax over the reversed row finds the last True; rows without one fall back.
    last_candidate = width - 1 - np.argmax(candidate[:, ::-1], axis=1)
    position = np.where(candidate.any(axis=1), last_candidate, table.lengths - 1)
    shares = np.zeros(table.codes.shape)
    shares[_rows(table), position] = 1.0
    return _result("last_non_direct", table, shares)


def linear(table: PathTable) -> Attribution:
    shares = table.valid / table.lengths[:, None]
    return _result("linear", table, shares.astype(np.float64))


def position_based(table: PathTable, first: float = 0.4, last: float = 0.4) -> Attribution:
    """40/20/40: first and last touch 40% each, the middle ones share 20%; a path of one
    touch gives it 100%, a path of two gives 50/50."""
    n = table.lengths
    middle = np.divide(1.0 - first - last, n - 2, out=np.zeros(len(n)), where=n > 2)
    shares = np.where(table.valid, middle[:, None], 0.0)
    rows = _rows(table)
    long = n > 2
    shares[rows[long], 0] = first
    shares[rows[long], n[long] - 1] = last
    two = n == 2
    if two.any():  # a table of one-touch paths has no second column
        shares[rows[two], 0] = 0.5
        shares[rows[two], 1] = 0.5
    one = n == 1
    shares[rows[one], 0] = 1.0
    return _result("position_based", table, shares)


def time_decay(table: PathTable, half_life_hours: float = HALF_LIFE_HOURS) -> Attribution:
    """Weight 2^(−Δt/half-life) per touch, Δt its hours before the journey's end,
    normalised per path."""
    if half_life_hours <= 0:
        raise AttributionError("the time-decay half-life must be positive")
    valid = table.valid
    if table.hours is None or np.isnan(table.hours[valid]).any():
        raise AttributionError(
            "time_decay needs hours_before_end for every touch of every path "
            "(a hours_before_end column with one value per touch)"
        )
    hours = np.where(valid, table.hours, 0.0)
    # Shift by the path's most recent touch so the largest weight is 1: the shares are
    # unchanged and paths months long do not underflow to 0/0.
    nearest = np.min(np.where(valid, hours, np.inf), axis=1)
    weights = np.where(valid, np.exp2(-(hours - nearest[:, None]) / half_life_hours), 0.0)
    shares = weights / weights.sum(axis=1, keepdims=True)
    return _result("time_decay", table, shares)
