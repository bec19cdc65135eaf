"""Every model on journeys whose credits were worked out by hand."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction as F

import numpy as np
import pytest

from touchline.attribution import AttributionError, Path, PathTable, attribute
from touchline.attribution.markov import fit_markov


def totals(paths, model, **kw):
    return {
        c: (v.conversions, v.value) for c, v in attribute(paths, model).channel_totals().items()
    }


def shares(paths, model):
    result = attribute(paths, model)
    return [list(result.shares[i, : len(p.channels)]) for i, p in enumerate(paths)]


JOURNEYS = [
    Path(("Display", "Email", "Direct"), conversions=2, value=100, nulls=1),
    Path(("Direct",), conversions=1, value=30),
    Path(("Email", "Paid Search"), conversions=1, value=50, nulls=3),
    Path(("Paid Search", "Display", "Display", "Email", "Direct"), conversions=1, value=20),
]


def test_first_and_last_touch_give_the_whole_sale_to_one_end():
    assert totals(JOURNEYS, "first_touch") == {
        "Direct": (1, 30),
        "Display": (2, 100),
        "Email": (1, 50),
        "Paid Search": (1, 20),
    }
    assert totals(JOURNEYS, "last_touch") == {
        "Direct": (4, 150),
        "Display": (0, 0),
        "Email": (0, 0),
        "Paid Search": (1, 50),
    }


def test_last_non_direct_skips_direct_unless_the_path_is_all_direct():
    assert totals(JOURNEYS, "last_non_direct") == {
        "Direct": (1, 30),  # the all-direct journey keeps its direct touch
        "Display": (0, 0),
        "Email": (3, 120),
        "Paid Search": (1, 50),
    }
    # "(direct)" and any case count as direct too
    assert shares([Path(("Email", "(direct)", "DIRECT"), 1, 1)], "last_non_direct") == [
        [1.0, 0.0, 0.0]
    ]


def test_linear_splits_every_touch_equally_repeats_included():
    got = totals(JOURNEYS, "linear")
    assert got["Display"] == pytest.approx((2 / 3 + 2 / 5, 100 / 3 + 2 * 20 / 5))
    assert got["Direct"] == pytest.approx((2 / 3 + 1 + 1 / 5, 100 / 3 + 30 + 20 / 5))
    assert got["Paid Search"] == pytest.approx((1 / 2 + 1 / 5, 25 + 4))


def test_position_based_is_40_20_40_with_short_paths_special():
    assert shares(JOURNEYS, "position_based") == [
        pytest.approx([0.4, 0.2, 0.4]),
        pytest.approx([1.0]),
        pytest.approx([0.5, 0.5]),
        pytest.approx([0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4]),
    ]


def test_time_decay_halves_the_weight_every_seven_days():
    paths = [
        Path(("Display", "Email"), 1, 90, 0, (168.0, 0.0)),
        Path(("Display", "Email", "Direct"), 1, 70, 0, (336.0, 168.0, 0.0)),
        Path(("Email",), 1, 10, 0, (5000.0,)),
        # ten thousand hours apart: shares still exact, nothing underflows
        Path(("Display", "Email"), 1, 10, 0, (20000.0, 10000.0)),
    ]
    got = shares(paths, "time_decay")
    assert got[0] == pytest.approx([1 / 3, 2 / 3])
    assert got[1] == pytest.approx([1 / 7, 2 / 7, 4 / 7])
    assert got[2] == pytest.approx([1.0])
    assert got[3][1] == pytest.approx(1.0) and got[3][0] >= 0


def test_time_decay_without_hours_is_a_clear_error():
    with pytest.raises(AttributionError, match="hours_before_end"):
        attribute([Path(("a", "b"), 1, 1)], "time_decay")


# --- Markov: closed form ---------------------------------------------------------
#
# Paths: a (1 conversion, 1 null, value 100), a>b (2 conversions, value 100),
# b (1 conversion, 3 nulls, value 10).
# start→a 4/8, start→b 4/8; a→conv 1/4, a→null 1/4, a→b 2/4; b→conv 3/6, b→null 3/6.
# P(b)=1/2, P(a)=1/4+1/2·1/2=1/2, P=1/2. Without a: P=1/2·1/2=1/4 → RE_a=1/2.
# Without b: P(a)=1/4, P=1/8 → RE_b=3/4. C=4 → a: 4·(1/2)/(5/4)=8/5, b: 12/5.
# Per sale: a's own sale 1 → a, b's own sale 1 → b, the two a>b sales carry the rest:
# a 3/5 of 2 → each a>b sale gives a 3/10 and b 7/10.
# Value: a conversion from a is worth 100, from b (100+10)/3. E(b)=55/3,
# E(a)=25+55/6=205/6, E=315/12. Without a: 55/6 → REv_a=41/63; without b: 25/2 → 33/63.
CHAIN = [
    Path(("a",), conversions=1, value=100, nulls=1),
    Path(("a", "b"), conversions=2, value=100, nulls=0),
    Path(("b",), conversions=1, value=10, nulls=3),
]


def test_markov_equals_the_closed_form_on_a_small_chain():
    fit = fit_markov(PathTable.from_paths(CHAIN))
    assert fit.conversion_probability == pytest.approx(0.5, abs=1e-12)
    assert fit.removal_effects == pytest.approx([0.5, 0.75], abs=1e-12)
    assert fit.value_removal_effects == pytest.approx([41 / 63, 33 / 63], abs=1e-12)
    result = attribute(CHAIN, "markov")
    got = result.channel_totals()
    value_a = float(F(210) * F(41, 74))
    assert abs(got["a"].conversions - 1.6) < 1e-9
    assert abs(got["b"].conversions - 2.4) < 1e-9
    assert abs(got["a"].value - value_a) < 1e-9
    assert abs(got["b"].value - (210 - value_a)) < 1e-9
    assert np.abs(result.shares[1, :2] - [0.3, 0.7]).max() < 1e-9
    assert (
        np.abs(
            result.value_shares[1, :2] - [(value_a - 100) / 100, 1 - (value_a - 100) / 100]
        ).max()
        < 1e-9
    )
    assert abs(result.fit.shortfall).max() < 1e-9


def test_markov_solves_chains_with_loops_and_collapses_repeats():
    # a>b>a converts; b alone does not. a: b 1/2, conv 1/2; b: a 1/2, null 1/2.
    # P(a)=1/2+1/2·P(b), P(b)=1/2·P(a) → P(a)=2/3, P(b)=1/3, P=1/2.
    # Without a: 0 → RE_a=1. Without b: P(a)=1/2, P=1/4 → RE_b=1/2. a: 2/3, b: 1/3.
    # A repeated touch (a>a>b>a) is the same journey for the chain.
    for first in (("a", "b", "a"), ("a", "a", "b", "b", "a")):
        paths = [Path(first, conversions=1, value=9), Path(("b",), nulls=1)]
        result = attribute(paths, "markov")
        assert result.fit.removal_effects == pytest.approx([1.0, 0.5], abs=1e-12)
        got = result.channel_totals()
        assert abs(got["a"].conversions - 2 / 3) < 1e-9
        assert abs(got["b"].conversions - 1 / 3) < 1e-9
        assert abs(got["a"].value - 6) < 1e-9
    # a's two-thirds are split over its touches, b's third over its own
    result = attribute([Path(("a", "b", "a"), 1, 9), Path(("b",), nulls=1)], "markov")
    assert np.abs(result.shares[0, :3] - [1 / 3, 1 / 3, 1 / 3]).max() < 1e-9


def test_markov_reports_a_shortfall_when_no_per_sale_split_reaches_its_totals():
    # k is never on a converting journey but leads to one, so the chain credits it;
    # no sale can carry that credit: the split reports the gap.
    # start→a 2/3, start→k 1/3, k→a 1, a→conv 1/3: P=1/3; without k 2/9 → RE_k=1/3,
    # RE_a=1: the chain's totals are a 3/4, k 1/4.
    paths = [Path(("a",), 1, 10, 1), Path(("k", "a"), 0, 0, 1)]
    result = attribute(paths, "markov")
    assert result.fit.targets == pytest.approx([0.75, 0.25], abs=1e-12)
    got = result.channel_totals()
    assert got["a"].conversions == pytest.approx(1.0)
    assert got["k"].conversions == 0
    assert result.fit.shortfall[1] == pytest.approx(result.fit.targets[1])


# --- Shapley -----------------------------------------------------------------------


def test_shapley_splits_by_marginal_conversion_rates():
    # r(a)=1/4, r(b)=1/2, r(ab)=3/4: φ_a=½(1/4+1/4)=1/4, φ_b=½(1/2+1/2)=1/2 →
    # an a>b sale gives a 1/3 and b 2/3.
    paths = [
        Path(("a",), conversions=1, value=4, nulls=3),
        Path(("b",), conversions=1, value=4, nulls=1),
        Path(("a", "b"), conversions=3, value=30, nulls=1),
    ]
    result = attribute(paths, "shapley")
    assert result.shares[2, :2] == pytest.approx([1 / 3, 2 / 3])
    got = result.channel_totals()
    assert (got["a"].conversions, got["a"].value) == pytest.approx((2, 14))
    assert (got["b"].conversions, got["b"].value) == pytest.approx((3, 24))


def test_shapley_never_gives_negative_credit_when_a_channel_lowers_the_rate():
    # r(ab)=0.1 is below r(b)=1/2; the plain rate game would give a
    # ½(1/4 + (0.1 − 1/2)) < 0. With v(ab)=max(0.1, 1/4, 1/2)=1/2:
    # φ_a=½(1/4+0)=1/8, φ_b=½(1/2+1/4)=3/8 → a 1/4, b 3/4.
    paths = [
        Path(("a",), conversions=1, nulls=3),
        Path(("b",), conversions=1, nulls=1),
        Path(("b", "a"), conversions=1, nulls=9),
    ]
    result = attribute(paths, "shapley")
    assert result.shares[2, :2] == pytest.approx([3 / 4, 1 / 4])


def _brute_force_shapley(worth, players):
    phi = dict.fromkeys(players, 0.0)
    orders = list(itertools.permutations(players))
    for order in orders:
        seen: frozenset = frozenset()
        for p in order:
            phi[p] += worth(seen | {p}) - worth(seen)
            seen = seen | {p}
    return {p: v / len(orders) for p, v in phi.items()}


def test_shapley_matches_the_permutation_definition_on_four_channels():
    rng = np.random.default_rng(5)
    names = ["a", "b", "c", "d"]
    paths = []
    for size in range(1, 5):
        for combo in itertools.combinations(names, size):
            order = list(combo)
            rng.shuffle(order)
            paths.append(
                Path(
                    tuple(order), conversions=int(rng.integers(0, 6)), nulls=int(rng.integers(1, 9))
                )
            )
    rate = {frozenset(p.channels): p.conversions / p.journeys for p in paths}

    def worth(coalition):
        subsets = [s for s in rate if s <= coalition]
        return max((rate[s] for s in subsets), default=0.0)

    result = attribute(paths, "shapley")
    for i, p in enumerate(paths):
        if worth(frozenset(p.channels)) == 0:
            continue
        phi = _brute_force_shapley(worth, list(p.channels))
        total = sum(phi.values())
        for pos, channel in enumerate(p.channels):
            assert result.shares[i, pos] == pytest.approx(phi[channel] / total, abs=1e-12)


def test_unknown_model_is_a_clear_error():
    with pytest.raises(AttributionError, match="unknown model 'u_shaped'"):
        attribute(JOURNEYS, "u_shaped")


def test_every_model_credits_each_sale_once():
    for model in (
        "first_touch",
        "last_touch",
        "last_non_direct",
        "linear",
        "position_based",
        "markov",
        "shapley",
    ):
        got = totals(JOURNEYS, model)
        assert math.isclose(sum(c for c, _ in got.values()), 5, rel_tol=1e-9), model
        assert math.isclose(sum(v for _, v in got.values()), 200, rel_tol=1e-9), model


# --- Markov against an independent exact solver -------------------------------------


def _exact_conversion_probability(paths, removed=None):
    """P(conversion) in rationals: counts by plain loops, Gauss-Jordan on fractions."""
    counts: dict[tuple[str, str], int] = {}
    for p in paths:
        walk = ["(start)"]
        for c in p.channels:
            if c != walk[-1]:
                walk.append(c)
        journeys = int(p.conversions + p.nulls)
        for a, b in zip(walk, walk[1:], strict=False):
            counts[a, b] = counts.get((a, b), 0) + journeys
        counts[walk[-1], "(conversion)"] = counts.get((walk[-1], "(conversion)"), 0) + int(
            p.conversions
        )
        counts[walk[-1], "(null)"] = counts.get((walk[-1], "(null)"), 0) + int(p.nulls)
    states = ["(start)"] + sorted({c for p in paths for c in p.channels} - {removed})
    out = {s: sum(n for (a, _), n in counts.items() if a == s) for s in states}

    def prob(a, b):
        return F(counts.get((a, b), 0), out[a]) if out[a] else F(0)

    # x_s = P(s→conv) + Σ_t P(s→t) x_t   →   (I − Q) x = r
    size = len(states)
    rows = [
        [(F(1) if i == j else F(0)) - prob(s, t) for j, t in enumerate(states)]
        + [prob(s, "(conversion)")]
        for i, s in enumerate(states)
    ]
    for col in range(size):
        pivot = next(r for r in range(col, size) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        rows[col] = [v / rows[col][col] for v in rows[col]]
        for r in range(size):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return rows[0][-1]


def test_markov_removal_effects_equal_exact_rational_arithmetic_on_random_chains():
    rng = np.random.default_rng(42)
    names = ["a", "b", "c", "d"]
    for _ in range(25):
        paths = []
        for _ in range(int(rng.integers(1, 7))):
            length = int(rng.integers(1, 6))
            channels = tuple(str(c) for c in rng.choice(names, length))
            paths.append(Path(channels, int(rng.integers(0, 4)), 0, int(rng.integers(0, 4))))
        if sum(p.conversions for p in paths) == 0:
            paths.append(Path(("a", "b"), 2, 0, 1))
        fit = fit_markov(PathTable.from_paths(paths))
        base = _exact_conversion_probability(paths)
        assert abs(fit.conversion_probability - float(base)) < 1e-12
        res = [1 - _exact_conversion_probability(paths, c) / base for c in fit.channels]
        assert np.abs(fit.removal_effects - np.array([float(r) for r in res])).max() < 1e-9
        total = sum(res)
        conversions = sum(p.conversions for p in paths)
        expected = [float(conversions * r / total) for r in res]
        assert np.abs(fit.targets - expected).max() < 1e-9
