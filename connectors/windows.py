"""Cutting a date range into the windows a platform accepts per request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta


def chunk_range(start: date, end: date, max_days: int) -> Iterator[tuple[date, date]]:
    """Consecutive inclusive windows of at most ``max_days`` covering start..end."""
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    first = start
    while first <= end:
        last = min(end, first + timedelta(days=max_days - 1))
        yield first, last
        first = last + timedelta(days=1)
