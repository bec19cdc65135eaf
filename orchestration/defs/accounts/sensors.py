"""Accounts in the control database become partitions of the ``account`` dimension."""

from collections.abc import Iterable

from dagster import DefaultSensorStatus, SensorEvaluationContext, SensorResult, SkipReason, sensor

from orchestration.defs.accounts.registered import registered_accounts
from orchestration.defs.partitions import accounts_partitions


def new_account_partitions(registered: Iterable[str], existing: Iterable[str]) -> list[str]:
    """Accounts not yet partitions, in a stable order. Removed accounts keep their
    partitions: their history stays materialised."""
    have = set(existing)
    return sorted(slug for slug in set(registered) if slug not in have)


@sensor(
    name="account_partitions",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Registers every account of the control database as an `account` partition.",
)
def account_partitions_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    existing = context.instance.get_dynamic_partitions(accounts_partitions.name)
    new = new_account_partitions(registered_accounts(), existing)
    if not new:
        return SkipReason(f"all {len(existing)} accounts are registered")
    return SensorResult(dynamic_partitions_requests=[accounts_partitions.build_add_request(new)])
