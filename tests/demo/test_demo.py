"""`touchline demo`, smaller: the newcomer's first command keeps working."""

from __future__ import annotations

import os
import re

import pytest

from tests.support.processes import run_touchline


@pytest.mark.slow
def test_demo_reports_exactly_the_sessions_it_simulated(data_dir) -> None:
    env = {**os.environ, "TOUCHLINE_DATA_DIR": str(data_dir)}
    result = run_touchline(env, "demo", "--hits", "1500", "--days", "2")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    simulated = int(re.search(r"in ([\d,]+) sessions", out).group(1).replace(",", ""))
    total = int(re.search(r"^\s+total\s+([\d,]+)", out, re.M).group(1).replace(",", ""))
    assert simulated > 100 and total == simulated
    assert "equal." in out and "Sessions by channel" in out and "█" in out
    assert "touchline dev" in out
    # Spend from the ad platforms' fakes, and the sales under several models side by
    # side with the simulator's true contribution; every model attributes every sale.
    assert "Ad spend per platform and campaign" in out and "google_ads" in out
    header = re.search(
        r"^\s+channel\s+true\s+last\s+first\s+linear\s+decay\s+markov\s+shapley", out, re.M
    )
    assert header, out[-3000:]
    made = re.search(
        r"The simulator made ([\d,]+) sales; every model attributes ([\d,]+): equal", out
    )
    assert made and made.group(1) == made.group(2) and int(made.group(1).replace(",", "")) > 0
    assert "ROAS per campaign" in out and "misattributed" in out
    # Idempotent: a second run reports the same totals, not double.
    again = run_touchline(env, "demo", "--hits", "1500", "--days", "2")
    assert again.returncode == 0, again.stderr[-3000:]
    assert re.search(r"^\s+total\s+([\d,]+)", again.stdout, re.M).group(1).replace(",", "") == str(
        simulated
    )
    # ... and the same attribution, to the digit
    assert _attribution_table(again.stdout) == _attribution_table(out)


def _attribution_table(out: str) -> str:
    start = out.index("Attributed sales by channel")
    return out[start : out.index("The simulator made", start)]
