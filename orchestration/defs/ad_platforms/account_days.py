"""Which accounts and days a (range) run covers, from its partition keys."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from dagster import MultiPartitionKey

from orchestration.defs.partitions import split_key


def selected_accounts_and_days(
    partition_keys: Iterable[MultiPartitionKey | str],
) -> dict[str, list[date]]:
    """account → its sorted, distinct days, for any set of account × day keys."""
    days: dict[str, set[date]] = {}
    for key in partition_keys:
        account, day = split_key(key)
        days.setdefault(account, set()).add(day)
    return {account: sorted(days[account]) for account in sorted(days)}
