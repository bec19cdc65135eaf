"""``touchline attribution``: run the attribution models on a CSV of aggregated paths."""

from __future__ import annotations

import csv
import io
import json
import math

import click

from touchline.attribution import MODELS


def _report(paths_file: str, model: str, transforms: tuple[str, ...]):
    """model → channel → ChannelCredit, plus warnings worth showing a person."""
    from touchline.attribution import AttributionError, attribute, read_paths_csv
    from touchline.attribution.markov import MarkovFit

    names = list(MODELS) if model == "all" else [model]
    try:
        for name in names:
            if name not in MODELS:
                raise AttributionError(
                    f"unknown model {name!r}; choose from {', '.join(MODELS)} or all"
                )
        paths = read_paths_csv(paths_file)
        results = {}
        notes = []
        for name in names:
            if name == "time_decay" and model == "all":
                missing = sum(p.hours_before_end is None for p in paths)
                if missing:
                    notes.append(
                        f"time_decay skipped: {missing} of {len(paths)} paths have no "
                        "hours_before_end"
                    )
                    continue
            result = attribute(paths, name, transforms)
            results[name] = result.channel_totals()
            fit = result.fit
            if isinstance(fit, MarkovFit):
                gap = float(max(abs(fit.shortfall).max(), 0.0))
                total = float(sum(c.conversions for c in results[name].values())) or 1.0
                if gap > 1e-6 * total:
                    notes.append(
                        "markov: no per-sale split reaches the removal-effect totals exactly "
                        f"(largest gap {gap:.4g} conversions); the figures are the per-sale "
                        "credits, closest to them"
                    )
    except AttributionError as exc:
        raise click.ClickException(str(exc)) from None
    return results, notes


def _channels(results) -> list[str]:
    return sorted({c for per_channel in results.values() for c in per_channel})


def _fmt(x: float) -> str:
    if math.isclose(x, round(x), abs_tol=1e-9):
        return f"{round(x):,}"
    return f"{x:,.2f}"


def _table(results) -> str:
    channels = _channels(results)
    models = list(results)
    out = io.StringIO()
    for label, attr in (("conversions", "conversions"), ("value", "value")):
        header = [label.upper(), *models]
        rows = [
            [c, *(_fmt(getattr(results[m].get(c), attr, 0.0) or 0.0) for m in models)]
            for c in channels
        ]
        rows.append(
            ["TOTAL", *(_fmt(sum(getattr(v, attr) for v in results[m].values())) for m in models)]
        )
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        out.write(
            "  ".join(
                h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(header)
            )
            + "\n"
        )
        for r in rows:
            out.write(
                "  ".join(
                    v.ljust(widths[0]) if i == 0 else v.rjust(widths[i]) for i, v in enumerate(r)
                )
                + "\n"
            )
        out.write("\n")
    return out.getvalue().rstrip("\n")


def _json(results) -> str:
    return json.dumps(
        {
            model: {c: {"conversions": v.conversions, "value": v.value} for c, v in per.items()}
            for model, per in results.items()
        },
        indent=2,
    )


def _csv(results) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["model", "channel", "conversions", "value"])
    for model, per in results.items():
        for channel in _channels(results):
            credit = per.get(channel)
            writer.writerow(
                [
                    model,
                    channel,
                    repr(credit.conversions) if credit else 0,
                    repr(credit.value) if credit else 0,
                ]
            )
    return out.getvalue().rstrip("\n")


@click.command("attribution")
@click.option(
    "--paths",
    "paths_file",
    required=True,
    metavar="FILE.csv",
    help="Aggregated paths: path (a > b), total_conversions, total_conversion_value, "
    "total_null, optionally hours_before_end (one value per touch, > between).",
)
@click.option(
    "--model",
    required=True,
    metavar="NAME",
    help=f"One of {', '.join(MODELS)}, or all (side by side).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--transform",
    "transforms",
    multiple=True,
    metavar="NAME",
    help="Path transform applied first (repeatable, in order): exposure, unique "
    "(= first_occurrence), drop_direct.",
)
def attribution(paths_file: str, model: str, fmt: str, transforms: tuple[str, ...]) -> None:
    """Print each channel's attributed conversions and value for aggregated paths."""
    results, notes = _report(paths_file, model, transforms)
    render = {"table": _table, "json": _json, "csv": _csv}[fmt]
    click.echo(render(results))
    for note in notes:
        click.echo(f"note: {note}", err=True)
