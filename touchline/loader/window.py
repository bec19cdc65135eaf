"""Which landed files a load of an account's local days reads, and how a UTC
time maps to the account's local day (in Python and as SQL).

The landing zone is in UTC hours (``<root>/<account>/<yyyy>/<mm>/<dd>/<hh>/``);
an account's days are its local calendar days. Loading local days
``start..end`` reads:

* the **window**: every UTC hour folder that overlaps one of those days (24
  of them per day, 23 or 25 on a DST change; in a zone with a half-hour offset
  the first and last hour are shared with the neighbouring day, and a hit's
  own ``event_at`` decides its day);
* the **margin**: the hour folders within :data:`RETRY_MARGIN` before and
  after the window. They are read only to find earlier copies of a hit id:
  a retry of a hit whose first copy landed just before midnight may land in
  the next day's folder. Nothing in the margin is loaded.

The rule (documented in docs/architecture.md): copies of one hit id land
at most :data:`RETRY_MARGIN` apart in event time, so every load that sees one
copy sees them all, and exactly one copy, the first received, is loaded.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

# The tag resends a hit with its original client_ts and a new sent_at, so a
# retry's event time stays within seconds of the first copy's; server SDKs
# that leave the time to the server retry for minutes to hours. A day covers both.
RETRY_MARGIN = timedelta(hours=24)

_HOUR = timedelta(hours=1)


def _offset_seconds(zone: ZoneInfo, utc: datetime) -> int:
    offset = utc.replace(tzinfo=timezone.utc).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@dataclass(frozen=True)
class ZoneOffsets:
    """A zone's UTC offset over an interval: piecewise constant, changing at
    ``changes[i][0]`` (naive UTC) to ``changes[i][1]`` seconds; ``first`` applies
    before the first change."""

    first: int
    changes: tuple[tuple[datetime, int], ...]

    @classmethod
    def between(cls, tz: str, lo: datetime, hi: datetime) -> ZoneOffsets:
        """Offsets of ``tz`` from ``lo`` to ``hi`` (naive UTC), changes to the second."""
        zone = ZoneInfo(tz)
        first = current = _offset_seconds(zone, lo)
        changes: list[tuple[datetime, int]] = []
        at = lo
        while at < hi:
            nxt = min(at + _HOUR, hi)
            if _offset_seconds(zone, nxt) != current:
                # Bisect to the second: zones change on whole minutes, some at :30 or :45.
                left, right = at, nxt
                while right - left > timedelta(seconds=1):
                    middle = left + (right - left) / 2
                    middle = middle.replace(microsecond=0)
                    if middle <= left:
                        break
                    if _offset_seconds(zone, middle) == current:
                        left = middle
                    else:
                        right = middle
                current = _offset_seconds(zone, right)
                changes.append((right, current))
            at = nxt
        return cls(first, tuple(changes))

    def at(self, utc: datetime) -> int:
        index = bisect.bisect_right([c[0] for c in self.changes], utc)
        return self.first if index == 0 else self.changes[index - 1][1]

    def local_day(self, utc: datetime) -> date:
        return (utc + timedelta(seconds=self.at(utc))).date()

    def offset_sql(self, column: str) -> str:
        """SQL for the offset in seconds at ``column`` (a naive UTC timestamp).

        Only our own numbers and timestamps go into the text, never the zone name."""
        if not self.changes:
            return str(self.first)
        parts = [f"CASE WHEN {column} < TIMESTAMP '{self.changes[0][0]:%Y-%m-%d %H:%M:%S}' "]
        parts.append(f"THEN {self.first}")
        for (_, offset), (nxt, _) in zip(self.changes, self.changes[1:], strict=False):
            parts.append(f" WHEN {column} < TIMESTAMP '{nxt:%Y-%m-%d %H:%M:%S}' THEN {offset}")
        parts.append(f" ELSE {self.changes[-1][1]} END")
        return "".join(parts)


@dataclass(frozen=True)
class LoadWindow:
    """Local days ``start..end`` of a zone, with the UTC hour folders to read."""

    timezone: str
    start: date
    end: date
    offsets: ZoneOffsets
    hours: tuple[datetime, ...]  # window hours, naive UTC hour starts
    margin_hours: tuple[datetime, ...]

    @classmethod
    def of(cls, tz: str, start: date, end: date) -> LoadWindow:
        if end < start:
            raise ValueError(f"the last day {end} is before the first day {start}")
        zone = ZoneInfo(tz)

        def first_instant(day: date) -> datetime:
            local = datetime.combine(day, time(0), zone)
            return local.astimezone(timezone.utc).replace(tzinfo=None)

        lo = first_instant(start).replace(minute=0, second=0) - _HOUR
        hi = first_instant(end + timedelta(days=1)) + _HOUR
        offsets = ZoneOffsets.between(tz, lo - RETRY_MARGIN - _HOUR, hi + RETRY_MARGIN + _HOUR)
        hours = []
        at = lo
        while at < hi:
            if any(start <= d <= end for d in _days_of_hour(offsets, at)):
                hours.append(at)
            at += _HOUR
        margin: set[datetime] = set()
        for i in range(1, int(RETRY_MARGIN / _HOUR) + 1):
            margin.update((hours[0] - i * _HOUR, hours[-1] + i * _HOUR))
        return cls(tz, start, end, offsets, tuple(hours), tuple(sorted(margin - set(hours))))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def days_of_hour(self, hour: datetime) -> set[date]:
        return _days_of_hour(self.offsets, hour)

    def hour_day(self, hour: datetime) -> date:
        """The local day an unreadable line of this hour's folder is counted for."""
        day = self.offsets.local_day(hour)
        return min(max(day, self.start), self.end)

    def local_day_sql(self, column: str, dialect: str) -> str:
        offset = self.offsets.offset_sql(column)
        if dialect == "duckdb":
            return f"CAST({column} + to_seconds({offset}) AS DATE)"
        return f"CAST(DATE_ADD({column}, INTERVAL ({offset}) SECOND) AS DATE)"


def _days_of_hour(offsets: ZoneOffsets, hour: datetime) -> set[date]:
    """Local days that some instant of the UTC hour [hour, hour + 1 h) falls on."""
    last = hour + _HOUR - timedelta(microseconds=1)
    instants = [hour, last]
    for change, _ in offsets.changes:
        if hour < change <= last:
            instants += [change - timedelta(microseconds=1), change]
    return {offsets.local_day(t) for t in instants}
