"""Every attribution model against the ground truth, through the whole pipeline.

    .venv/bin/python bench/ground_truth.py                       # 100,000 page views, 28 days
    .venv/bin/python bench/ground_truth.py --hits 20000 --days 14 --seed 3

The simulator (demo/simulator.py) makes people whose journeys' channels have
a known causal effect on buying (demo.groundtruth's effects):
a channel's true contribution is the conversions it caused,
``Σ_people effect_k · [k touched]``. Their hits (page views, identifies on one or
two devices, sales) are landed as the collector lands them (touchline.contract.land),
one Dagster range run loads and builds everything on a fresh DuckDB warehouse
(sessions, channel rules, identity graph, journeys, the fits, the marts), and
each model's share of the sales per channel (fct_attribution_channel_daily) is
set against each channel's true share of the caused sales. "misattributed" is
half the L1 distance: the share of sales a model puts on the wrong channel.
Prints a markdown table for docs/attribution.md and the run's timings.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=100_000, help="page views to simulate")
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="touchline-truth-"))
    # Before anything reads the settings (the Dagster definitions do at import).
    os.environ["TOUCHLINE_DATA_DIR"] = str(data_dir)
    os.environ["TOUCHLINE_SETTINGS_FILE"] = str(data_dir / "none.env")
    os.environ.pop("TOUCHLINE_WAREHOUSE_URL", None)
    sys.path.insert(0, str(REPO))

    from demo.simulator import simulate
    from demo.walkthrough import attribution_report
    from touchline.contract import IncomingHit, land
    from touchline.control import registry
    from touchline.control.db import migrate, session_scope
    from touchline.landing import LandingWriter
    from touchline.settings import load_settings
    from touchline.warehouse import Warehouse

    settings = load_settings()
    migrate(settings.resolved_control_db_url)
    with session_scope(settings.resolved_control_db_url) as session:
        account = registry.create_account(session, "truth", "Truth", "UTC", "EUR", [])
    end = datetime.now(timezone.utc).date() - timedelta(days=1)
    started = time.perf_counter()
    sim = simulate(
        account.tracking_token, end, days=args.days, target_hits=args.hits, seed=args.seed
    )
    t_sim = time.perf_counter() - started

    started = time.perf_counter()
    landed = []
    for hit in sim.hits:
        wire = {k: v for k, v in hit.items() if not k.startswith("_")}
        incoming = IncomingHit(**wire)
        at = incoming.client_ts
        landed.append(
            land(
                incoming,
                account="truth",
                received_at=at,
                ip=None,
                user_agent=hit.get("_user_agent"),
                is_bot=False,
                dnt=False,
                event_at=at,
            )
        )
    LandingWriter(settings.resolved_landing_root, instance="bench").write(landed)
    t_land = time.perf_counter() - started

    from orchestration.local_runs import ensure_views, local_instance, materialize_range

    log = data_dir / "dbt.log"
    with local_instance(settings) as instance:
        if not ensure_views(instance, settings.resolved_warehouse_url, True, log):
            raise SystemExit(f"building the views failed; see {log}")
        run = materialize_range("truth", sim.days[0], sim.days[-1], instance, log)
    if not run.success:
        raise SystemExit(f"the run failed; see {data_dir}")

    report = attribution_report(
        Warehouse(settings.resolved_warehouse_url), "truth", sim.days[0], sim.days[-1]
    )
    true = sim.true_shares()
    channels = sorted(true, key=lambda c: -true[c])
    from touchline.attribution import MODELS

    models = [m for m in MODELS if m in report.conversions]

    def share(model: str, channel: str) -> float:
        values = report.conversions[model]
        total = sum(values.values())
        return values.get(channel, 0.0) / total if total else 0.0

    print(
        f"{sim.pageviews:,} page views, {sim.sessions:,} sessions, {sim.people:,} people "
        f"({sim.multi_device_people:,} on two devices) over {args.days} days, "
        f"{len(sim.sales):,} sales (about {sim.base_conversions:,.0f} caused by no channel); "
        f"the pipeline attributes {report.sales:,.0f} sales\n"
    )
    print("| channel | true | " + " | ".join(models) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in models) + " |")
    for channel in channels:
        cells = " | ".join(f"{100 * share(m, channel):.1f}%" for m in models)
        print(f"| {channel} | {100 * true[channel]:.1f}% | {cells} |")
    errors = {m: 0.5 * sum(abs(share(m, c) - true.get(c, 0.0)) for c in channels) for m in models}
    print(
        "| misattributed | — | " + " | ".join(f"**{100 * errors[m]:.1f}%**" for m in models) + " |"
    )
    # The same models on the simulator's own journeys (every device of a person
    # joined, exactly as simulated): what is left is the models' own error.
    from collections import Counter

    from touchline.attribution import Path as AttributionPath
    from touchline.attribution import attribute

    counts: Counter = Counter()
    value: Counter = Counter()
    for journey, bought, revenue in sim.journeys:
        counts[(journey, bought)] += 1
        value[journey] += revenue
    paths = [
        AttributionPath(j, counts[(j, True)], value[j], counts[(j, False)])
        for j in sorted({j for j, _ in counts})
    ]
    own = []
    for m in models:
        if m == "time_decay":
            own.append("—")
            continue
        totals = attribute(paths, m).channel_totals()
        all_sales = sum(t.conversions for t in totals.values())
        error = 0.5 * sum(
            abs(totals.get(c).conversions / all_sales - true.get(c, 0.0))
            if c in totals
            else true[c]
            for c in channels
        )
        own.append(f"{100 * error:.1f}%")
    print("| same models, simulated journeys | — | " + " | ".join(own) + " |")
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(run.step_seconds.items()))
    print(
        f"\nsimulated in {t_sim:.1f} s, landed in {t_land:.1f} s, the range run took "
        f"{run.seconds:.1f} s ({steps}); on {date.today()}, data in {data_dir}"
    )


if __name__ == "__main__":
    main()
