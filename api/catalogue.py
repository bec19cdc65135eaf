"""Reports as data: which mart a report reads, what it can group and filter by, what it sums.

Adding a report is adding a :class:`ReportDefinition` to :data:`REPORTS`; the
parameter parsing, SQL and response shape follow from it. Column names come
only from here, never from a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Dimension:
    name: str  # as the API names it (group_by values, filter parameter, data keys)
    column: str  # as the mart names it
    kind: Literal["date", "text"] = "text"


@dataclass(frozen=True)
class ReportDefinition:
    name: str
    table: str
    dimensions: tuple[Dimension, ...]
    metrics: tuple[str, ...]
    default_group_by: tuple[str, ...]
    account_column: str = "account"
    notes: dict[str, str] = field(default_factory=dict)

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    @property
    def date_dimension(self) -> Dimension | None:
        return next((d for d in self.dimensions if d.kind == "date"), None)

    @property
    def text_dimensions(self) -> tuple[Dimension, ...]:
        return tuple(d for d in self.dimensions if d.kind == "text")


CHANNEL_DAILY = ReportDefinition(
    name="channel_daily",
    table="fct_channel_daily",
    dimensions=(Dimension("date", "date_day", "date"), Dimension("channel", "channel")),
    metrics=("sessions", "visitors", "pageviews"),
    default_group_by=("date", "channel"),
    notes={
        "visitors": "distinct visitors per account, day and channel; when rows are "
        "aggregated over several days (group_by without date) or channels, visitors is "
        "the sum of those daily counts, so a visitor seen on two days counts twice",
    },
)

REPORTS: dict[str, ReportDefinition] = {r.name: r for r in (CHANNEL_DAILY,)}
