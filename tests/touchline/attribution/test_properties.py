"""Property-based: for every model and random journeys, credits are non-negative and
each sale's credits add up to one conversion and to its revenue."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from touchline.attribution import MODELS, Path, PathTable, attribute

CHANNELS = ["Direct", "Email", "Display", "Paid Search", "Referral"]


@st.composite
def path_lists(draw):
    n = draw(st.integers(1, 12))
    paths = []
    for _ in range(n):
        length = draw(st.integers(1, 7))
        channels = tuple(
            draw(st.lists(st.sampled_from(CHANNELS), min_size=length, max_size=length))
        )
        conversions = draw(st.integers(0, 5))
        value = draw(st.floats(0, 1e5, allow_nan=False)) if conversions else 0.0
        hours = tuple(
            sorted(
                draw(st.lists(st.floats(0, 2000), min_size=length, max_size=length)), reverse=True
            )
        )
        paths.append(Path(channels, conversions, value, draw(st.integers(0, 5)), hours))
    if all(p.conversions == 0 for p in paths):
        first = paths[0]
        paths[0] = Path(first.channels, 1, 10.0, first.nulls, first.hours_before_end)
    return paths


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path_lists())
def test_every_model_splits_each_sale_exactly_once_without_negative_credit(paths):
    table = PathTable.from_paths(paths)
    conversions = sum(p.conversions for p in paths)
    value = sum(p.value for p in paths)
    for model in MODELS:
        result = attribute(table, model)
        valid = table.valid
        for shares in (result.shares, result.value_shares):
            assert (shares >= 0).all(), model
            assert (shares[~valid] == 0).all(), model
            # each path's touches share exactly one sale
            assert np.allclose(shares.sum(axis=1), 1.0, rtol=0, atol=1e-9), model
        per_touch = list(result.touch_credits())
        assert all(t.conversions >= 0 and t.value >= 0 for t in per_touch)
        for i, p in enumerate(paths):
            mine = [t for t in per_touch if t.path_index == i]
            assert [t.channel for t in mine] == list(p.channels)
            assert math.isclose(sum(t.conversions for t in mine), p.conversions, abs_tol=1e-9)
            assert math.isclose(sum(t.value for t in mine), p.value, rel_tol=1e-9, abs_tol=1e-6)
        flat = result.touch_arrays()
        assert len(flat["position"]) == len(per_touch)
        assert np.array_equal(flat["conversion_share"], [t.conversion_share for t in per_touch])
        assert [table.channels[c] for c in flat["channel"]] == [t.channel for t in per_touch]
        totals = result.channel_totals()
        assert math.isclose(sum(c.conversions for c in totals.values()), conversions, rel_tol=1e-9)
        assert math.isclose(
            sum(c.value for c in totals.values()), value, rel_tol=1e-9, abs_tol=1e-6
        )
