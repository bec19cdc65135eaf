"""The report catalogue, read from the dbt manifest: every mart whose yml has a
``meta.report`` block is a report, its columns' ``meta`` say what is a dimension
and what is a metric, and the model's ``meta.metrics`` adds ratios.

So a metric is declared once, next to its model (the way Lightdash reads dbt),
and a new mart column with ``meta`` needs no Python. The syntax is documented
in ``dbt_project/README.md``. Only names found here ever reach SQL.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from touchline.dbt.project import DBT_PROJECT_DIR, project_changed_at, target_path
from touchline.dbt.runner import known_target
from touchline.settings import Settings
from touchline.warehouse import WarehouseError, WarehouseTarget

DimensionType = Literal["string", "date", "timestamp", "number", "boolean"]
Aggregation = Literal["sum", "count", "count_distinct", "min", "max", "average"]
MetricType = Literal["number", "date", "timestamp"]

DIMENSION_TYPES: tuple[str, ...] = ("string", "date", "timestamp", "number", "boolean")
AGGREGATIONS: tuple[str, ...] = ("sum", "count", "count_distinct", "min", "max", "average")

# Operators in Tastypie's spelling, per dimension type. Ordering comparisons on
# strings are left out: DuckDB compares bytes, MySQL by its collation.
OPERATORS: dict[str, tuple[str, ...]] = {
    "string": ("exact", "in", "contains", "icontains", "startswith", "isnull"),
    "date": ("exact", "in", "gt", "gte", "lt", "lte", "range", "isnull"),
    "timestamp": ("exact", "in", "gt", "gte", "lt", "lte", "range", "isnull"),
    "number": ("exact", "in", "gt", "gte", "lt", "lte", "range", "isnull"),
    "boolean": ("exact", "isnull"),
}

# Query parameters of every report: no field may take one of these names.
RESERVED = frozenset(
    {"metrics", "group_by", "grain", "order_by", "limit", "offset", "compare", "format", "account"}
)
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class CatalogueError(Exception):
    """The manifest is missing or a mart's meta is wrong (worded for whoever fixes it)."""


@dataclass(frozen=True)
class Dimension:
    name: str  # as the API names it (group_by, filters, row keys)
    column: str  # as the mart names it
    type: DimensionType
    label: str
    description: str

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.type]


@dataclass(frozen=True)
class Metric:
    """An aggregate over one column, or a ratio of two such metrics."""

    name: str
    label: str
    description: str
    aggregation: Aggregation | Literal["ratio"]
    column: str | None = None  # None for a ratio
    # False: the mart's value is exact only at its grain (a distinct count per
    # day): never summed across rows.
    additive: bool = True
    type: MetricType = "number"
    numerator: str | None = None
    denominator: str | None = None

    @property
    def is_ratio(self) -> bool:
        return self.aggregation == "ratio"


@dataclass(frozen=True)
class Report:
    name: str
    label: str
    description: str
    table: str
    dimensions: dict[str, Dimension]
    metrics: dict[str, Metric]
    default_group_by: tuple[str, ...]
    grain: tuple[str, ...]  # the mart's grain, as dimension names (besides the account)
    date_dimension: str | None = None
    # Dimensions whose values must not be added together (every attribution model
    # credits the same sale): a query groups by them or filters them to one value.
    one_value_of: tuple[str, ...] = ()
    account_column: str = "account"

    def base_metrics(self, names: tuple[str, ...]) -> tuple[Metric, ...]:
        """The column aggregates ``names`` need (a ratio needs its two sides)."""
        out: dict[str, Metric] = {}
        for name in names:
            metric = self.metrics[name]
            parts = (metric.numerator, metric.denominator) if metric.is_ratio else (name,)
            for part in parts:
                assert part is not None
                out.setdefault(part, self.metrics[part])
        return tuple(out.values())


@dataclass(frozen=True)
class Catalogue:
    reports: dict[str, Report]
    source: str  # the manifest it was read from, for the log


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.match(value) or value in RESERVED:
        raise CatalogueError(
            f"{what}: {value!r} is not a usable API name (lower case, digits and _, "
            f"not one of {', '.join(sorted(RESERVED))})"
        )
    return value


def _column_metrics(model: str, column: str, meta: dict[str, Any], desc: str) -> list[Metric]:
    specs: list[tuple[str, dict[str, Any]]] = []
    if "metric" in meta:
        spec = dict(meta["metric"] or {})
        specs.append((spec.pop("name", column), spec))
    for name, spec in (meta.get("metrics") or {}).items():
        specs.append((name, dict(spec or {})))
    metrics = []
    for name, spec in specs:
        where = f"{model}.{column} metric {name!r}"
        aggregation = spec.get("aggregation")
        if aggregation not in AGGREGATIONS:
            raise CatalogueError(f"{where}: aggregation must be one of {', '.join(AGGREGATIONS)}")
        metric_type = spec.get("type", "number")
        if metric_type not in ("number", "date", "timestamp"):
            raise CatalogueError(f"{where}: type must be number, date or timestamp")
        metrics.append(
            Metric(
                name=_name(name, where),
                label=_text(spec.get("label") or name.replace("_", " ").capitalize()),
                description=_text(spec.get("description") or desc),
                aggregation=aggregation,
                column=column,
                additive=bool(spec.get("additive", True)),
                type=metric_type,
            )
        )
    return metrics


def report_from_node(node: dict[str, Any]) -> Report | None:
    """The report a model's meta declares, or None for a model without ``meta.report``."""
    meta = node.get("meta") or node.get("config", {}).get("meta") or {}
    spec = meta.get("report")
    if not spec:
        return None
    model = node["name"]
    dimensions: dict[str, Dimension] = {}
    metrics: dict[str, Metric] = {}
    for column, info in (node.get("columns") or {}).items():
        column_meta = info.get("meta") or {}
        desc = _text(info.get("description"))
        if "dimension" in column_meta:
            dim = dict(column_meta["dimension"] or {})
            name = _name(dim.get("name", column), f"{model}.{column} dimension")
            if dim.get("type", "string") not in DIMENSION_TYPES:
                raise CatalogueError(
                    f"{model}.{column}: dimension type must be one of {', '.join(DIMENSION_TYPES)}"
                )
            dimensions[name] = Dimension(
                name=name,
                column=column,
                type=dim.get("type", "string"),
                label=_text(dim.get("label") or name.replace("_", " ").capitalize()),
                description=_text(dim.get("description") or desc),
            )
        for metric in _column_metrics(model, column, column_meta, desc):
            metrics[metric.name] = metric
    for name, ratio in (meta.get("metrics") or {}).items():
        where = f"{model} metric {name!r}"
        num, den = ratio.get("numerator"), ratio.get("denominator")
        for side in (num, den):
            if side not in metrics or metrics[side].is_ratio or metrics[side].type != "number":
                raise CatalogueError(f"{where}: {side!r} is not a numeric column metric")
        metrics[_name(name, where)] = Metric(
            name=name,
            label=_text(ratio.get("label") or name),
            description=_text(ratio.get("description") or f"sum({num}) / sum({den})"),
            aggregation="ratio",
            numerator=num,
            denominator=den,
        )
    clash = set(dimensions) & set(metrics)
    if clash:
        raise CatalogueError(f"{model}: {', '.join(sorted(clash))} is both dimension and metric")
    report_name = _name(spec.get("name", model), f"{model} report name")
    date_dimension = spec.get("date_dimension")
    if date_dimension is not None and (
        date_dimension not in dimensions or dimensions[date_dimension].type != "date"
    ):
        raise CatalogueError(f"{model}: date_dimension {date_dimension!r} is no date dimension")
    lists = {}
    for key in ("default_group_by", "grain", "one_value_of"):
        values = tuple(spec.get(key) or ())
        unknown = [v for v in values if v not in dimensions]
        if unknown:
            raise CatalogueError(f"{model}: {key} names unknown dimensions {unknown}")
        lists[key] = values
    return Report(
        name=report_name,
        label=_text(spec.get("label") or report_name),
        description=_text(node.get("description")),
        table=node.get("alias") or model,
        dimensions=dimensions,
        metrics=metrics,
        default_group_by=lists["default_group_by"],
        grain=lists["grain"],
        date_dimension=date_dimension,
        one_value_of=lists["one_value_of"],
    )


def load_catalogue(manifest_path: Path) -> Catalogue:
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(
            "the dbt manifest is missing: run `touchline prepare` to build the report catalogue"
        ) from None
    reports: dict[str, Report] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        report = report_from_node(node)
        if report is None:
            continue
        if report.name in reports:
            raise CatalogueError(f"two marts declare the report {report.name!r}")
        reports[report.name] = report
    return Catalogue(dict(sorted(reports.items())), str(manifest_path))


def manifest_path(target: WarehouseTarget | None = None) -> Path:
    """The manifest ``touchline prepare`` parsed for ``target``, the API's own
    warehouse (``target/<dialect>/manifest.json``, touchline.dbt.project.target_path).

    Another adapter's only when that one is missing, or older than the dbt
    project while another is not (the marts' meta does not depend on the
    adapter): a machine that prepared DuckDB can list the reports of a MariaDB
    it has not prepared yet, and a manifest left by an earlier parse never hides
    a mart column added since.
    """
    root = DBT_PROJECT_DIR / "target"
    own = target_path(target) / "manifest.json" if target else root / "duckdb" / "manifest.json"
    changed = project_changed_at()
    if own.exists() and own.stat().st_mtime >= changed:
        return own
    others = sorted(
        (p for p in root.glob("*/manifest.json") if p != own),
        key=lambda p: p.stat().st_mtime,
    )
    if others and (not own.exists() or others[-1].stat().st_mtime >= changed):
        return others[-1]
    return own


@dataclass
class CatalogueHolder:
    """Loads the catalogue on first use, once per app (never at import)."""

    path: Path | None = None  # None: manifest_path(target) when first used
    target: WarehouseTarget | None = None  # the API's warehouse (None: DuckDB)
    _catalogue: Catalogue | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_settings(cls, settings: Settings) -> CatalogueHolder:
        """The catalogue of the manifest prepared for the settings' warehouse
        (found without connecting: touchline.dbt.runner.known_target)."""
        try:
            return cls(target=known_target(settings))
        except WarehouseError:  # an unusable URL: the reports answer 503 for it
            return cls()

    def get(self) -> Catalogue:
        if self._catalogue is None:
            with self._lock:
                if self._catalogue is None:
                    self._catalogue = load_catalogue(self.path or manifest_path(self.target))
        return self._catalogue
