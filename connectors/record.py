"""The canonical row every connector yields: one campaign on one day."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

CENT = Decimal("0.000001")  # money keeps micro precision until the marts round


def money(value: object) -> Decimal:
    """A platform's amount (string, int or float text) as an exact Decimal."""
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, float):
        value = repr(value)
    return Decimal(str(value)).quantize(CENT)


def micros(value: object) -> Decimal:
    """Google's ``cost_micros`` (an integer of millionths) as an exact amount."""
    return (Decimal(int(value or 0)) / Decimal(1_000_000)).quantize(CENT)


@dataclass(frozen=True)
class CampaignDay:
    """The fields in the order of the raw table's columns (touchline.tables.campaign_daily)."""

    date_day: date
    platform: str
    account_id: str
    campaign_id: str
    campaign_name: str
    impressions: int
    clicks: int
    spend: Decimal
    conversions: Decimal
    conversions_value: Decimal
    currency_code: str

    def __post_init__(self) -> None:
        for name in ("spend", "conversions", "conversions_value"):
            value = getattr(self, name)
            if not isinstance(value, Decimal):
                object.__setattr__(self, name, money(value))
        if len(self.currency_code) != 3:
            raise ValueError(f"currency_code {self.currency_code!r} is not an ISO 4217 code")

    def as_tuple(self) -> tuple:
        return tuple(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class Click:
    """One ad click the platform can name (Google Ads click_view): its click id
    and the campaign and ad group it belongs to."""

    date_day: date
    account_id: str
    gclid: str
    campaign_id: str
    ad_group_id: str
