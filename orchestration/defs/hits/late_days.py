"""Which local days received landed files since they were last loaded (late hits).

The landing zone is in UTC hours; an account's partitions are its local days.
A file in hour folder H holds hits of every local day that hour overlaps (two
of them in a zone with a half-hour offset), so a new file marks those days
(:func:`touchline.landing.layout.newest_file_by_day`); a day whose newest file
is newer than its last ``raw_hits`` materialisation needs loading again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance

from orchestration.defs.partitions import account_day_key
from touchline.landing.layout import landed_files, newest_file_by_day
from touchline.tables import RAW_HITS


def last_loaded(
    instance: DagsterInstance, account: str, days: Sequence[date]
) -> dict[date, datetime]:
    """When each day's raw_hits partition was last materialised."""
    if not days:
        return {}
    keys = [str(account_day_key(account, d)) for d in days]
    result = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(RAW_HITS.name), asset_partitions=keys),
        limit=max(len(keys) * 5, 100),
    )
    loaded: dict[date, datetime] = {}
    for record in result.records:
        day = date.fromisoformat(record.partition_key.split("|")[-1])
        at = datetime.fromtimestamp(record.timestamp, tz=timezone.utc)
        if day not in loaded or at > loaded[day]:
            loaded[day] = at
    return loaded


def days_needing_load(
    newest_by_day: Mapping[date, datetime],
    last_loaded: Mapping[date, datetime],
    before: date,
) -> list[date]:
    """Days before ``before`` whose newest file is newer than their last load
    (or that were never loaded)."""
    return sorted(
        day
        for day, newest in newest_by_day.items()
        if day < before and (day not in last_loaded or newest > last_loaded[day])
    )


def late_days_to_load(
    instance: DagsterInstance, landing_root: str, account: str, tz: str, today: date
) -> list[date]:
    """The account's local days before ``today`` that received files since their last load."""
    newest = newest_file_by_day(landed_files(landing_root, account), tz)
    earlier = sorted(d for d in newest if d < today)
    return days_needing_load(newest, last_loaded(instance, account, earlier), before=today)
