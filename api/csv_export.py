"""CSV of a report: the same columns and values as its JSON rows, written as
they are read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any


def csv_columns(row_keys: list[str], compared: list[str]) -> list[str]:
    """JSON's nested ``previous``/``change`` objects become flat columns."""
    return [
        *row_keys,
        *(f"previous_{name}" for name in compared),
        *(f"change_{name}" for name in compared),
    ]


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in row.items() if k not in ("previous", "change")}
    for name, value in (row.get("previous") or {}).items():
        flat[f"previous_{name}"] = value
    for name, value in (row.get("change") or {}).items():
        flat[f"change_{name}"] = value
    return flat


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_lines(columns: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        flat = flatten(row)
        writer.writerow([_cell(flat.get(c)) for c in columns])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
