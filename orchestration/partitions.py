"""Account × day partitions shared by every account-scoped asset."""

from __future__ import annotations

from datetime import date

from dagster import (
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
)

from touchline.settings import get_settings

ACCOUNT_DIMENSION = "account"
DATE_DIMENSION = "date"

accounts_partitions = DynamicPartitionsDefinition(name=ACCOUNT_DIMENSION)
daily_partitions = DailyPartitionsDefinition(
    start_date=get_settings().daily_partitions_start, timezone="UTC"
)
account_day_partitions = MultiPartitionsDefinition(
    {ACCOUNT_DIMENSION: accounts_partitions, DATE_DIMENSION: daily_partitions}
)


def account_day_key(account: str, day: date | str) -> MultiPartitionKey:
    day_str = day if isinstance(day, str) else day.isoformat()
    return MultiPartitionKey({ACCOUNT_DIMENSION: account, DATE_DIMENSION: day_str})


def split_key(key: MultiPartitionKey | str) -> tuple[str, date]:
    """(account, day) of a partition key, whatever form Dagster hands it in."""
    if not isinstance(key, MultiPartitionKey):
        key = account_day_partitions.get_partition_key_from_str(key)
    dims = key.keys_by_dimension
    return dims[ACCOUNT_DIMENSION], date.fromisoformat(dims[DATE_DIMENSION])
