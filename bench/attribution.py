"""Exact Markov and Shapley against ChannelAttribution's simulated Markov model.

    .venv/bin/python bench/attribution.py                      # 1,000,000 journeys
    .venv/bin/python bench/attribution.py --journeys 20000     # quick check

Simulates journeys over 8 channels (demo.groundtruth), aggregates
them to distinct paths, then times, on the same paths and in the same run: our
Markov model (exact removal effects plus the per-sale split), our Shapley model,
and ChannelAttribution's ``markov_model`` at its defaults (a dev-only, GPL test
oracle: this script is not shipped). Prints the times, the ratio, and how far
apart the two Markov answers are. Results go in docs/attribution.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from demo.groundtruth import simulate_journeys
    from touchline.attribution.markov import markov
    from touchline.attribution.shapley import shapley

    journeys, t_sim = _timed(simulate_journeys, args.journeys, seed=args.seed)
    table, t_agg = _timed(journeys.to_table)
    ours, t_markov = _timed(markov, table)
    _, t_shapley = _timed(shapley, table)
    print(
        f"{args.journeys:,} journeys over {table.n_channels} channels, "
        f"{int(table.conversions.sum()):,} conversions, {table.n_paths:,} distinct paths "
        f"(simulated in {t_sim:.1f} s)"
    )
    rows = [
        ("aggregate journeys to distinct paths", t_agg),
        ("touchline markov (exact)", t_markov),
        ("touchline shapley (exact)", t_shapley),
    ]

    try:
        import pandas as pd

        with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner on import
            from ChannelAttribution import markov_model
    except ImportError as exc:
        print(f"ChannelAttribution is not installed ({exc}); pip install -e '.[dev]'")
        markov_model = None

    ratio_line = ""
    if markov_model is not None:
        frame = pd.DataFrame(
            {
                "path": [" > ".join(p.channels) for p in table.to_paths()],
                "total_conversions": table.conversions,
                "total_conversion_value": table.value,
                "total_null": table.nulls,
            }
        )
        with contextlib.redirect_stdout(io.StringIO()):
            theirs, t_ca = _timed(
                markov_model,
                frame,
                "path",
                "total_conversions",
                var_value="total_conversion_value",
                var_null="total_null",
                verbose=False,
                flg_pro=False,
            )
        rows.append(("ChannelAttribution markov_model (defaults)", t_ca))
        ratio_line = f"ChannelAttribution / touchline markov: {t_ca / t_markov:.1f}x"
        exact = dict(zip(table.channels, ours.fit.targets, strict=True))
        result = theirs["result"] if isinstance(theirs, dict) else theirs
        their_conv = dict(zip(result["channel_name"], result["total_conversions"], strict=True))
        diffs = [abs(their_conv[c] - exact[c]) / exact[c] for c in table.channels if exact[c] > 0]
        ratio_line += (
            f"\nlargest per-channel difference in conversions, ChannelAttribution vs exact: "
            f"{100 * max(diffs):.2f}% (mean {100 * float(np.mean(diffs)):.2f}%)"
        )

    width = max(len(r[0]) for r in rows)
    for name, seconds in rows:
        print(f"  {name:<{width}}  {seconds:8.3f} s")
    if ratio_line:
        print(ratio_line)


if __name__ == "__main__":
    main()
