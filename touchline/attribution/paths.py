"""Aggregated journeys: distinct channel paths with their counts, and the CSV reader.

The common CSV shape (the one ChannelAttribution and most tools exchange) has one
row per distinct path: ``path`` with ``>`` between channels, ``total_conversions``,
``total_conversion_value``, ``total_null`` and, optionally, ``hours_before_end`` with
``>`` between one value per touch.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path as FsPath

SEPARATOR = ">"
REQUIRED_COLUMNS = ("path", "total_conversions")


class AttributionError(ValueError):
    """Bad input for an attribution model, worded for the person who supplied it."""


@dataclass(frozen=True)
class Path:
    """One distinct journey path and how often it ended in a sale or in nothing.

    ``conversions`` and ``nulls`` are counts of journeys (floats, so that weighted or
    fractional counts work); ``value`` is the revenue of the converting ones;
    ``hours_before_end`` gives, per touch, how long before the journey's end (the
    sale) it happened, which only the time-decay model reads.
    """

    channels: tuple[str, ...]
    conversions: float = 0.0
    value: float = 0.0
    nulls: float = 0.0
    hours_before_end: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not self.channels:
            raise AttributionError("a path needs at least one channel")
        if any(not c for c in self.channels):
            raise AttributionError(f"empty channel name in path {SEPARATOR.join(self.channels)!r}")
        for name in ("conversions", "value", "nulls"):
            number = getattr(self, name)
            if not math.isfinite(number) or number < 0:
                raise AttributionError(f"{name} must be a finite number >= 0, got {number!r}")
        if self.value > 0 and self.conversions == 0:
            raise AttributionError("a path with value must have conversions")
        if self.hours_before_end is not None:
            if len(self.hours_before_end) != len(self.channels):
                raise AttributionError(
                    f"{len(self.hours_before_end)} hours_before_end values for "
                    f"{len(self.channels)} touches"
                )
            if any(not math.isfinite(h) or h < 0 for h in self.hours_before_end):
                raise AttributionError("hours_before_end values must be finite numbers >= 0")

    @property
    def journeys(self) -> float:
        return self.conversions + self.nulls

    def label(self) -> str:
        return f" {SEPARATOR} ".join(self.channels)


def _number(raw: str | None, column: str, line: int, source: str) -> float:
    if raw is None or raw.strip() == "":
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise AttributionError(
            f"{source}, line {line}: {column} is {raw.strip()!r}, not a number"
        ) from None
    return value


def _row_to_path(row: dict[str, str | None], line: int, source: str) -> Path:
    raw_path = row.get("path") or ""
    channels = tuple(part.strip() for part in raw_path.split(SEPARATOR))
    if raw_path.strip() == "":
        raise AttributionError(f"{source}, line {line}: the path is empty")
    if any(not c for c in channels):
        raise AttributionError(
            f"{source}, line {line}: path {raw_path.strip()!r} has an empty channel name"
        )
    hours: tuple[float, ...] | None = None
    raw_hours = row.get("hours_before_end")
    if raw_hours is not None and raw_hours.strip() != "":
        hours = tuple(
            _number(part, "hours_before_end", line, source) for part in raw_hours.split(SEPARATOR)
        )
    conversions = _number(row.get("total_conversions"), "total_conversions", line, source)
    value = _number(row.get("total_conversion_value"), "total_conversion_value", line, source)
    nulls = _number(row.get("total_null"), "total_null", line, source)
    try:
        return Path(channels, conversions, value, nulls, hours)
    except AttributionError as exc:
        raise AttributionError(f"{source}, line {line}: {exc}") from None


def read_paths_csv(file: str | FsPath) -> list[Path]:
    """Read the common CSV shape (comma or semicolon separated) into paths.

    Raises :class:`AttributionError` naming the file and line for anything it cannot
    read; nothing is silently dropped.
    """
    source = str(file)
    try:
        handle = open(file, newline="", encoding="utf-8-sig")  # noqa: SIM115
    except FileNotFoundError:
        raise AttributionError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise AttributionError(f"{source}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise AttributionError(f"{source}: cannot open ({exc.strerror})") from None
    with handle:
        try:
            header_line = handle.readline()
        except UnicodeDecodeError:
            raise AttributionError(f"{source}: not a UTF-8 text file") from None
        if not header_line.strip():
            raise AttributionError(f"{source}: the file is empty (expected a header line)")
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        header = [h.strip() for h in next(csv.reader([header_line], delimiter=delimiter))]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise AttributionError(
                f"{source}, line 1: missing column(s) {', '.join(missing)}; "
                f"the header has {', '.join(header) or 'nothing'}"
            )
        reader = csv.reader(handle, delimiter=delimiter)
        paths: list[Path] = []
        try:
            for offset, fields in enumerate(reader):
                line = offset + 2
                if not fields or all(not f.strip() for f in fields):
                    continue
                if len(fields) > len(header):
                    raise AttributionError(
                        f"{source}, line {line}: {len(fields)} fields but the header has "
                        f"{len(header)}"
                    )
                row = dict(zip(header, fields, strict=False))
                paths.append(_row_to_path(row, line, source))
        except UnicodeDecodeError:
            raise AttributionError(f"{source}: not a UTF-8 text file") from None
        except csv.Error as exc:
            raise AttributionError(f"{source}, line {reader.line_num + 1}: {exc}") from None
    if not paths:
        raise AttributionError(f"{source}: no paths after the header")
    return paths


def write_paths_csv(paths: Iterable[Path], file: str | FsPath) -> None:
    """Write paths in the common CSV shape (the inverse of :func:`read_paths_csv`)."""
    paths = list(paths)
    with_hours = any(p.hours_before_end is not None for p in paths)
    with open(file, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        header = ["path", "total_conversions", "total_conversion_value", "total_null"]
        writer.writerow([*header, "hours_before_end"] if with_hours else header)
        for p in paths:
            row = [SEPARATOR.join(p.channels), repr(p.conversions), repr(p.value), repr(p.nulls)]
            if with_hours:
                hours = p.hours_before_end
                row.append(SEPARATOR.join(repr(h) for h in hours) if hours is not None else "")
            writer.writerow(row)
