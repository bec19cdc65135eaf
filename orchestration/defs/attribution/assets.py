"""The attribution assets, on the account × day partitions (thin wrappers
around touchline.attribution and the modules next to this one).

In a range run they go, with dbt in between (Dagster splits the dbt assets
into the steps this order needs):

    account_config ─────────────┐
    raw_hits ──> identity_map ──┼─> dbt: sessions, touchpoints, sales journeys,
                 (+ restatement)│        distinct paths per month
                                └─> attribution_path_credits (fit once per
                                    account and restated month)
                                      └─> dbt: attributed conversions, marts

Each takes any rectangle of accounts × days from ``context.partition_keys``.
"""

from datetime import datetime, timezone

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    asset,
    multi_asset,
)

from orchestration.defs.attribution.config import export_config, read_config
from orchestration.defs.attribution.fit import fit_account
from orchestration.defs.attribution.identity import last_data_day, update_identity_map
from orchestration.defs.attribution.plan import Restatement, as_date, restatement
from orchestration.defs.attribution.tables import ensure_tables, replace_rows
from orchestration.defs.partitions import ACCOUNT_DAY_WRITER, account_day_key, day_ranges
from orchestration.defs.resources import TouchlineResource
from touchline.tables import ATTRIBUTION_RESTATEMENTS, RAW_HITS

GROUP = "attribution"
CHANNEL_RULES = AssetKey("account_channel_rules")
SETTINGS = AssetKey("account_attribution_settings")
IDENTITY = AssetKey("identity_map")
RESTATEMENTS = AssetKey("attribution_restatements")
PATH_CREDITS = AssetKey("attribution_path_credits")


def _accounts(context: AssetExecutionContext) -> list[str]:
    return sorted({a for r in day_ranges(context.partition_keys) for a in r.accounts})


def _per_partition(context: AssetExecutionContext, key: AssetKey, metadata: dict) -> None:
    for day_range in day_ranges(context.partition_keys):
        for account in day_range.accounts:
            for day in day_range.days:
                context.add_asset_metadata(
                    metadata.get(account, {}),
                    asset_key=key,
                    partition_key=str(account_day_key(account, day)),
                )


def build_attribution_assets(dialect: str) -> list[AssetsDefinition]:
    kinds = {"python", dialect}

    def table_spec(key: AssetKey, description: str, deps: tuple = ()) -> AssetSpec:
        """One of the warehouse tables these assets write, named after its key."""
        return AssetSpec(
            key,
            deps=list(deps),
            description=description,
            kinds=kinds,
            group_name=GROUP,
            metadata={"dagster/table_name": key.path[-1]},
        )

    @multi_asset(
        name="account_config",
        specs=[
            table_spec(
                CHANNEL_RULES,
                "The account's own channel rules (touchline accounts "
                "channel-rules), one row per condition, exported from the control database "
                "for dbt's int_sessions.",
            ),
            table_spec(
                SETTINGS,
                "The account's time zone, currency, lookback, fit window and "
                "view-through window (touchline accounts attribution), exported from the "
                "control database for dbt.",
            ),
        ],
        **ACCOUNT_DAY_WRITER,
    )
    def account_config(context: AssetExecutionContext, touchline: TouchlineResource):
        accounts = _accounts(context)
        settings = touchline.settings
        rules, attribution = read_config(settings.resolved_control_db_url, accounts)
        warehouse = touchline.warehouse()
        ensure_tables(warehouse)
        conditions, written = export_config(warehouse, accounts, rules, attribution)
        per_account = {
            a: {
                "channel_rules": len(rules.get(a, [])),
                "lookback_days": attribution[a].lookback_days,
            }
            for a in accounts
            if a in attribution
        }
        _per_partition(context, CHANNEL_RULES, per_account)
        _per_partition(context, SETTINGS, per_account)
        yield MaterializeResult(
            asset_key=CHANNEL_RULES,
            metadata={"rules": sum(len(r) for r in rules.values()), "conditions": conditions},
        )
        yield MaterializeResult(asset_key=SETTINGS, metadata={"accounts": written})

    @multi_asset(
        name="identity_graph",
        specs=[
            table_spec(
                IDENTITY,
                "Visitors linked into people per account: the connected "
                "components of the identify / alias / user id edges of ALL the account's "
                "hits (back-dated: a visitor's earlier anonymous sessions count for the "
                "person). Ids depend only on the set of edges.",
                deps=(RAW_HITS.name,),
            ),
            table_spec(
                RESTATEMENTS,
                "Per account, the whole months of sales this run re-attributes: "
                "from the month of its first day (or of the first day of a visitor whose "
                "person changed) to the last month its days can affect (lookback + fit "
                "window), never past the account's last day with hits.",
                deps=(RAW_HITS.name,),
            ),
        ],
        **ACCOUNT_DAY_WRITER,
    )
    def identity_graph(context: AssetExecutionContext, touchline: TouchlineResource):
        settings = touchline.settings
        warehouse = touchline.warehouse()
        ensure_tables(warehouse)
        accounts = _accounts(context)
        _, attribution = read_config(settings.resolved_control_db_url, accounts)
        plans: dict[str, Restatement] = {}
        updates = {}
        for account in accounts:
            days = [
                d
                for r in day_ranges(context.partition_keys)
                if account in r.accounts
                for d in (r.start, r.end)
            ]
            update = update_identity_map(warehouse, account)
            updates[account] = update
            config = attribution.get(account)
            plans[account] = restatement(
                account,
                min(days),
                max(days),
                config.lookback_days if config else 30,
                config.fit_days if config else 90,
                last_data_day(warehouse, account),
                update.changed_days,
            )
            context.log.info(
                f"{account}: {update.visitors} linked visitors in {update.people} people, "
                f"{update.changed} changed person; sales of {plans[account].start} to "
                f"{plans[account].end} will be re-attributed"
            )
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        marks = ", ".join("?" for _ in accounts)
        replace_rows(
            warehouse,
            ATTRIBUTION_RESTATEMENTS,
            [(p.account, p.start, p.end, now) for p in plans.values()],
            f"account IN ({marks})",
            accounts,
        )
        meta = {
            a: {
                "linked_visitors": u.visitors,
                "people": u.people,
                "changed_visitors": u.changed,
                "restated_from": plans[a].start.isoformat(),
                "restated_to": plans[a].end.isoformat(),
            }
            for a, u in updates.items()
        }
        _per_partition(context, IDENTITY, meta)
        _per_partition(context, RESTATEMENTS, meta)
        yield MaterializeResult(
            asset_key=IDENTITY,
            metadata={
                "linked_visitors": sum(u.visitors for u in updates.values()),
                "people": sum(u.people for u in updates.values()),
                "merged_visitors": sum(u.merged_visitors for u in updates.values()),
                "changed_visitors": sum(u.changed for u in updates.values()),
            },
        )
        yield MaterializeResult(
            asset_key=RESTATEMENTS,
            metadata={
                a: f"{p.start} to {p.end} ({len(p.months)} months)" for a, p in plans.items()
            },
        )

    @asset(
        key=PATH_CREDITS,
        deps=["int_journey_paths", RESTATEMENTS],
        **ACCOUNT_DAY_WRITER,
        group_name=GROUP,
        kinds=kinds,
        description="The data-driven models (Markov with exact removal effects, Shapley), "
        "fitted ONCE per account and restated month on the month's distinct paths "
        "(int_journey_paths, non-converting journeys included): per converting path, each "
        "touch's share of a sale and of its revenue. dbt joins them to the sales.",
        metadata={"dagster/table_name": PATH_CREDITS.path[-1]},
    )
    def attribution_path_credits(
        context: AssetExecutionContext, touchline: TouchlineResource
    ) -> MaterializeResult:
        warehouse = touchline.warehouse()
        accounts = _accounts(context)
        marks = ", ".join("?" for _ in accounts)
        plans = [
            Restatement(r["account"], as_date(r["restate_start"]), as_date(r["restate_end"]))
            for r in warehouse.query(
                f"SELECT account, restate_start, restate_end FROM {ATTRIBUTION_RESTATEMENTS.name}"
                f" WHERE account IN ({marks})",
                accounts,
            )
        ]
        meta = {}
        fits = 0
        rows = 0
        for plan in plans:
            fitted = fit_account(warehouse, plan)
            months = [m for m in fitted.months if m.converting_paths]
            fits += len(months)
            rows += fitted.credit_rows
            for m in months:
                note = (
                    f" ({', '.join(m.grouped_channels)} fitted as one)"
                    if m.grouped_channels
                    else ""
                )
                context.log.info(
                    f"{plan.account} {m.month:%Y-%m}: fitted markov and shapley on "
                    f"{m.paths} distinct paths ({m.conversions:.0f} conversions, "
                    f"{m.nulls:.0f} non-converting journeys){note}"
                )
            meta[plan.account] = {
                "fitted_months": ", ".join(f"{m.month:%Y-%m}" for m in months) or "none",
                "distinct_paths": sum(m.paths for m in months),
            }
        _per_partition(context, PATH_CREDITS, meta)
        return MaterializeResult(
            metadata={"fits": fits, "credit_rows": rows, "accounts": len(plans)}
        )

    return [account_config, identity_graph, attribution_path_credits]
