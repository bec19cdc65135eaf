"""Fit the data-driven models once per account and restated month, on the
distinct paths dbt aggregated (int_journey_paths), and write each converting
path's per-touch credits (attribution_path_credits) for dbt to join back to
the sales.

Only distinct paths with their counts come to Python, never journeys or hits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from orchestration.defs.attribution.plan import Restatement, as_date
from orchestration.defs.attribution.tables import replace_rows
from touchline.attribution import Path, attribute
from touchline.attribution.markov import MarkovFit
from touchline.tables import ATTRIBUTION_PATH_CREDITS

DATA_DRIVEN_MODELS = ("markov", "shapley")
PATH_SEPARATOR = " > "
# Exact Shapley costs O(n² 2ⁿ) in the channels: above this many, the rarest are
# fitted as one "(other channels)" player (each touch keeps its own row).
SHAPLEY_MAX_CHANNELS = 15
OTHER_CHANNELS = "(other channels)"


@dataclass
class MonthFit:
    month: date
    paths: int
    converting_paths: int
    conversions: float
    nulls: float
    grouped_channels: tuple[str, ...] = ()
    markov_shortfall: float = 0.0


@dataclass
class AccountFit:
    account: str
    restatement: Restatement
    months: list[MonthFit] = field(default_factory=list)
    credit_rows: int = 0


def read_paths(warehouse, restatement: Restatement) -> dict[date, list[dict]]:
    rows = warehouse.query(
        "SELECT period_start, path_key, path, conversions, conversion_value, nulls "
        "FROM int_journey_paths WHERE account = ? AND period_start BETWEEN ? AND ? "
        "ORDER BY period_start, path_key",
        [restatement.account, restatement.start, restatement.end],
    )
    by_month: dict[date, list[dict]] = defaultdict(list)
    for row in rows:
        by_month[as_date(row["period_start"])].append(row)
    return by_month


def _grouped(paths: list[Path]) -> tuple[list[Path], tuple[str, ...]]:
    touches = Counter(c for p in paths for c in p.channels)
    if len(touches) <= SHAPLEY_MAX_CHANNELS:
        return paths, ()
    keep = {c for c, _ in touches.most_common(SHAPLEY_MAX_CHANNELS - 1)}
    rare = tuple(sorted(set(touches) - keep))
    mapped = [
        Path(
            tuple(c if c in keep else OTHER_CHANNELS for c in p.channels),
            p.conversions,
            p.value,
            p.nulls,
        )
        for p in paths
    ]
    return mapped, rare


def fit_month(account: str, month: date, rows: list[dict]) -> tuple[MonthFit, list[tuple]]:
    """Both data-driven models on one month's distinct paths → credit rows for
    its converting paths."""
    paths = [
        Path(
            tuple(row["path"].split(PATH_SEPARATOR)),
            float(row["conversions"]),
            float(row["conversion_value"] or 0),
            float(row["nulls"]),
        )
        for row in rows
    ]
    summary = MonthFit(
        month=month,
        paths=len(paths),
        converting_paths=sum(p.conversions > 0 for p in paths),
        conversions=sum(p.conversions for p in paths),
        nulls=sum(p.nulls for p in paths),
    )
    if not summary.converting_paths:
        return summary, []
    out: list[tuple] = []
    for model in DATA_DRIVEN_MODELS:
        model_paths = paths
        if model == "shapley":
            model_paths, summary.grouped_channels = _grouped(paths)
        result = attribute(model_paths, model)
        if isinstance(result.fit, MarkovFit):
            summary.markov_shortfall = float(abs(result.fit.shortfall).sum())
        for index, row in enumerate(rows):
            if paths[index].conversions <= 0:
                continue
            for position, channel in enumerate(paths[index].channels):
                out.append(
                    (
                        account,
                        month,
                        model,
                        row["path_key"],
                        position + 1,
                        channel,
                        float(result.shares[index, position]),
                        float(result.value_shares[index, position]),
                    )
                )
    return summary, out


def fit_account(warehouse, restatement: Restatement) -> AccountFit:
    """Fit every restated month of one account and replace its credits."""
    fitted = AccountFit(restatement.account, restatement)
    rows: list[tuple] = []
    for month, month_rows in sorted(read_paths(warehouse, restatement).items()):
        summary, credits = fit_month(restatement.account, month, month_rows)
        fitted.months.append(summary)
        rows.extend(credits)
    fitted.credit_rows = replace_rows(
        warehouse,
        ATTRIBUTION_PATH_CREDITS,
        rows,
        "account = ? AND period_start BETWEEN ? AND ?",
        [restatement.account, restatement.start, restatement.end],
    )
    return fitted
