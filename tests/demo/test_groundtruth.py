"""The ground-truth simulator and the model comparison."""

from __future__ import annotations

import numpy as np

from demo.groundtruth import (
    BASE_RATE,
    DEFAULT_CHANNELS,
    compare_models,
    simulate_journeys,
)


def test_simulated_conversions_follow_the_causal_effects():
    journeys = simulate_journeys(60_000, seed=11)
    effects = np.array([c.effect for c in DEFAULT_CHANNELS])
    valid = journeys.codes >= 0
    touched = np.zeros((len(journeys.codes), len(effects)), dtype=bool)
    rows, cols = np.nonzero(valid)
    touched[rows, journeys.codes[rows, cols]] = True
    expected = BASE_RATE + touched @ effects
    # realised conversions within 4 standard deviations of the expectation
    sd = np.sqrt((expected * (1 - expected)).sum())
    assert abs(journeys.converted.sum() - expected.sum()) < 4 * sd
    # journeys with Display convert more by about Display's effect
    with_display = touched[:, 0]
    lift = journeys.converted[with_display].mean() - journeys.converted[~with_display].mean()
    assert 0.03 < lift < 0.08
    # the last touch is 0–4 h before the end; earlier touches are earlier
    last = journeys.hours[np.arange(len(journeys.codes)), journeys.lengths - 1]
    assert (last >= 0).all() and (last <= 4).all()
    assert (np.nan_to_num(np.diff(journeys.hours, axis=1), nan=-1) <= 0).all()
    assert (journeys.value[journeys.converted == 0] == 0).all()
    assert (journeys.value[journeys.converted == 1] > 0).all()


def test_comparison_shows_last_click_misses_the_causal_channels():
    journeys = simulate_journeys(60_000, seed=2)
    comparison = compare_models(journeys)
    direct = journeys.channels.index("Direct")
    assert comparison.true_share[direct] == 0
    assert comparison.model_share["last_touch"][direct] > 0.4
    # the data-driven models are closer to the truth than last click
    assert comparison.error["shapley"] < comparison.error["last_touch"] - 0.3
    assert comparison.error["markov"] < comparison.error["last_touch"] - 0.1
    for shares in comparison.model_share.values():
        assert abs(shares.sum() - 1) < 1e-9
    table = comparison.markdown()
    assert table.splitlines()[0].startswith("| channel | true | first_touch")
    assert "| misattributed |" in table
