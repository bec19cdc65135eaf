"""Spend per platform and campaign, as ``touchline demo`` prints it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from touchline.warehouse import Warehouse


@dataclass(frozen=True)
class CampaignSpend:
    platform: str
    campaign_name: str
    spend: Decimal  # in the reporting currency, unrounded; rows without a rate left out
    conversions_value: Decimal
    unconverted_rows: int

    @property
    def roas(self) -> Decimal | None:
        return (
            (self.conversions_value / self.spend).quantize(Decimal("0.01")) if self.spend else None
        )


def campaign_spend(
    warehouse: Warehouse, account: str, start: date, end: date
) -> tuple[str | None, list[CampaignSpend]]:
    """(reporting currency, spend per platform and campaign) from fct_campaign_daily."""
    rows = warehouse.query(
        "SELECT platform, campaign_name, max(reporting_currency) AS currency, "
        "sum(spend_reporting) AS spend, sum(conversions_value_reporting) AS value, "
        "sum(CASE WHEN fx_status = 'missing_rate' THEN 1 ELSE 0 END) AS unconverted "
        "FROM fct_campaign_daily WHERE account = ? AND date_day BETWEEN ? AND ? "
        "GROUP BY platform, campaign_name ORDER BY platform, campaign_name",
        [account, start, end],
    )
    currency = next((r["currency"] for r in rows if r["currency"]), None)
    return currency, [
        CampaignSpend(
            platform=r["platform"],
            campaign_name=r["campaign_name"],
            # unrounded: converted amounts carry fractions of a cent, and the
            # total must be the rounded sum, not the sum of rounded rows
            spend=Decimal(str(r["spend"] or 0)),
            conversions_value=Decimal(str(r["value"] or 0)),
            unconverted_rows=int(r["unconverted"] or 0),
        )
        for r in rows
    ]


def format_campaign_spend(currency: str | None, rows: list[CampaignSpend]) -> str:
    if not rows:
        return "no ad spend loaded for these days"
    lines = [f"{'PLATFORM':<14} {'CAMPAIGN':<28} {'SPEND':>12} {'VALUE':>12} {'ROAS':>6}"]
    for r in rows:
        roas = f"{r.roas:.2f}" if r.roas is not None else "-"
        note = (
            f"  ({r.unconverted_rows} day(s) without an fx rate left out)"
            if r.unconverted_rows
            else ""
        )
        lines.append(
            f"{r.platform:<14} {r.campaign_name[:28]:<28} {r.spend:>12,.2f} "
            f"{r.conversions_value:>12,.2f} {roas:>6}{note}"
        )
    total = sum((r.spend for r in rows), Decimal(0))
    lines.append(f"{'total':<43} {total:>12,.2f} {currency or ''}")
    return "\n".join(lines)
