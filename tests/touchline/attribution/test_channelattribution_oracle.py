"""ChannelAttribution (GPL, dev-only) as an oracle: its simulated Markov model agrees
with our exact one within its simulation error, its heuristics agree exactly."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from demo.groundtruth import simulate_journeys
from touchline.attribution import attribute

with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner on import
    from ChannelAttribution import heuristic_models, markov_model


@pytest.fixture(scope="module")
def dataset():
    table = simulate_journeys(30_000, seed=3).to_table()
    frame = pd.DataFrame(
        {
            "path": [" > ".join(p.channels) for p in table.to_paths()],
            "total_conversions": table.conversions,
            "total_conversion_value": table.value,
            "total_null": table.nulls,
        }
    )
    return table, frame


def test_markov_agrees_with_channelattribution_within_its_simulation_error(dataset):
    table, frame = dataset
    ours = attribute(table, "markov")
    assert np.abs(ours.fit.shortfall).max() < 1e-6  # the per-sale split reaches the totals
    mine = ours.channel_totals()
    # 10^7 simulated walks: ChannelAttribution's own error is under about 1% per channel
    # (measured over seeds); a wrong chain (no nulls, no collapsing, wrong removal) is
    # off by far more than the 2.5% allowed here.
    with contextlib.redirect_stdout(io.StringIO()):
        out = markov_model(
            frame,
            "path",
            "total_conversions",
            var_value="total_conversion_value",
            var_null="total_null",
            nsim_start=1e7,
            out_more=True,
            verbose=False,
            flg_pro=False,
        )
    theirs = out["result"].set_index("channel_name")
    removal = out["removal_effects"].set_index("channel_name")
    for i, channel in enumerate(table.channels):
        assert theirs.loc[channel, "total_conversions"] == pytest.approx(
            mine[channel].conversions, rel=0.025
        ), channel
        assert theirs.loc[channel, "total_conversion_value"] == pytest.approx(
            mine[channel].value, rel=0.025
        ), channel
        assert removal.loc[channel, "removal_effects_conversion"] == pytest.approx(
            ours.fit.removal_effects[i], rel=0.025
        ), channel


def test_first_last_and_linear_agree_exactly_with_channelattribution(dataset):
    table, frame = dataset
    with contextlib.redirect_stdout(io.StringIO()):
        theirs = heuristic_models(
            frame, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
        ).set_index("channel_name")
    for model, prefix in (
        ("first_touch", "first_touch"),
        ("last_touch", "last_touch"),
        ("linear", "linear_touch"),
    ):
        mine = attribute(table, model).channel_totals()
        for channel in table.channels:
            assert theirs.loc[channel, f"{prefix}_conversions"] == pytest.approx(
                mine[channel].conversions, rel=1e-9, abs=1e-9
            ), (model, channel)
            assert theirs.loc[channel, f"{prefix}_value"] == pytest.approx(
                mine[channel].value, rel=1e-9, abs=1e-6
            ), (model, channel)
