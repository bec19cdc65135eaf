"""One asset per ad platform on the account × day partitions: pull the
platform's campaign-day report for the run's accounts and days and replace
those rows in the platform's raw table."""

from decimal import Decimal
from typing import TYPE_CHECKING

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    Failure,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from orchestration.defs.ad_platforms.account_days import selected_accounts_and_days
from orchestration.defs.partitions import (
    account_day_key,
    account_day_partitions,
    ad_platform_pool,
)
from orchestration.defs.resources import TouchlineResource
from touchline.platforms import PLATFORMS
from touchline.tables import raw_table

if TYPE_CHECKING:
    from connectors.runner import AccountPull


def _money(amounts: dict[str, Decimal]) -> str:
    return ", ".join(f"{amounts[c]:.2f} {c}" for c in sorted(amounts)) or "0"


def _day_metadata(pull: "AccountPull") -> dict:
    summary = pull.summary
    out = {}
    for day in pull.days:
        spend = summary.per_day.get(day, {}) if summary else {}
        out[day] = {
            "dagster/row_count": summary.rows_per_day.get(day, 0) if summary else 0,
            "spend": _money(spend),
            "currency": ", ".join(sorted(spend)) or "-",
            "connections": ", ".join(pull.connections) or "none",
        }
    return out


def build_ad_platform_asset(platform: str) -> AssetsDefinition:
    @asset(
        name=raw_table(platform),
        partitions_def=account_day_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        group_name="ad_platforms",
        kinds={"python"},
        pool=ad_platform_pool(platform),
        retry_policy=RetryPolicy(max_retries=2, delay=60, backoff=Backoff.EXPONENTIAL),
        description=(
            f"Campaign cost and performance per day from {platform}, for every "
            f"{platform} connection of the account, in the canonical columns. A run "
            "replaces exactly its accounts' days; an account without a connection "
            "materialises as empty. The nightly re-pulls the connection's restatement "
            "window (docs/connectors.md)."
        ),
        metadata={"dagster/table_name": raw_table(platform), "platform": platform},
    )
    def _asset(context: AssetExecutionContext, touchline: TouchlineResource) -> MaterializeResult:
        from connectors.runner import pull_account

        settings = touchline.settings
        selected = selected_accounts_and_days(context.partition_keys)
        pulls = [pull_account(settings, platform, a, days) for a, days in selected.items()]
        total_rows = 0
        spend: dict[str, Decimal] = {}
        for pull in pulls:
            if pull.ok and not pull.connections:
                context.log.info(f"{pull.account} has no {platform} connection: loaded empty")
            if pull.summary:
                total_rows += pull.summary.rows
                for currency, amount in pull.summary.spend.items():
                    spend[currency] = spend.get(currency, Decimal(0)) + amount
            for day, meta in _day_metadata(pull).items():
                context.add_asset_metadata(meta, partition_key=account_day_key(pull.account, day))
        failed = [p for p in pulls if not p.ok]
        if failed:
            raise Failure(
                description="; ".join(p.error or "" for p in failed),
                metadata={"failed_accounts": ", ".join(p.account for p in failed)},
                allow_retries=not all(p.permanent for p in failed),
            )
        empty = [p.account for p in pulls if not p.connections]
        extra = {}
        if platform == "google_ads":
            extra["click_view_rows"] = sum(p.clicks or 0 for p in pulls)
        return MaterializeResult(
            metadata={
                **extra,
                "dagster/row_count": total_rows,
                "spend": _money(spend),
                "currency": ", ".join(sorted(spend)) or "-",
                "accounts_without_connection": MetadataValue.text(", ".join(empty) or "none"),
            }
        )

    return _asset


def build_ad_platform_assets() -> list[AssetsDefinition]:
    return [build_ad_platform_asset(p) for p in PLATFORMS]
