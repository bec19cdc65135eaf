"""The hit contract: what clients send to the collector and what it lands.

The landed record is versioned (``contract_version``). Later versions may add
fields or hit types; they never rename or re-type a field that has landed, so
the loader reads every version. Type-specific fields travel in ``properties``
(a JSON object) so a new hit type needs no new warehouse column.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CONTRACT_VERSION = 1

HitType = Literal[
    "pageview",
    "event",
    "sale",
    "label",
    "impression",
    "redirect",
    "identify",
    "validation_failure",
]
# Types the collector accepts today; the others are reserved by the contract.
ACCEPTED_TYPES: frozenset[str] = frozenset({"pageview"})

CLICK_ID_FIELDS = ("gclid", "msclkid", "fbclid", "ttclid", "li_fat_id", "dclid", "wbraid", "gbraid")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

# A client clock can be wrong; skew correction fixes that. A corrected time far
# in the past is an import; beyond this it is a bug we refuse to land.
MAX_BACKDATE = timedelta(days=400)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class IncomingHit(BaseModel):
    """What the tag or a server SDK posts to ``/collect``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    token: str = Field(min_length=1, max_length=128, description="Account's public tracking token")
    type: HitType = "pageview"
    hit_id: uuid.UUID = Field(description="Client-generated UUID; the dedupe key")
    visitor_id: str = Field(min_length=1, max_length=128)
    session_id: str | None = Field(default=None, max_length=128)
    user_id: str | None = Field(default=None, max_length=256)
    url: str = Field(min_length=1, max_length=4096)
    referrer: str | None = Field(default=None, max_length=4096)
    title: str | None = Field(default=None, max_length=1024)
    client_ts: datetime | None = Field(default=None, description="When it happened, client clock")
    sent_at: datetime | None = Field(default=None, description="When it was sent, client clock")
    utm_source: str | None = Field(default=None, max_length=512)
    utm_medium: str | None = Field(default=None, max_length=512)
    utm_campaign: str | None = Field(default=None, max_length=512)
    utm_term: str | None = Field(default=None, max_length=512)
    utm_content: str | None = Field(default=None, max_length=512)
    gclid: str | None = Field(default=None, max_length=512)
    msclkid: str | None = Field(default=None, max_length=512)
    fbclid: str | None = Field(default=None, max_length=512)
    ttclid: str | None = Field(default=None, max_length=512)
    li_fat_id: str | None = Field(default=None, max_length=512)
    dclid: str | None = Field(default=None, max_length=512)
    wbraid: str | None = Field(default=None, max_length=512)
    gbraid: str | None = Field(default=None, max_length=512)
    cookie_mode: Literal["first_party", "third_party", "none"] = "first_party"
    schema_level: Literal["full", "fallback"] = "full"
    properties: dict[str, Any] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("client_ts", "sent_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _aware(value)


class LandedHit(BaseModel):
    """One line of the landing zone."""

    model_config = ConfigDict(extra="forbid")

    contract_version: int = CONTRACT_VERSION
    hit_id: str
    type: HitType
    account: str
    event_at: datetime = Field(description="Skew-corrected event time, UTC")
    received_at: datetime
    sent_at: datetime | None = None
    client_ts: datetime | None = None
    visitor_id: str
    session_id: str | None = None
    user_id: str | None = None
    url: str
    referrer: str | None = None
    title: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    gclid: str | None = None
    msclkid: str | None = None
    fbclid: str | None = None
    ttclid: str | None = None
    li_fat_id: str | None = None
    dclid: str | None = None
    wbraid: str | None = None
    gbraid: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    is_bot: bool = False
    dnt: bool = False
    cookie_mode: str = "first_party"
    schema_level: str = "full"
    properties: dict[str, Any] = Field(default_factory=dict)


def corrected_timestamp(
    received_at: datetime, client_ts: datetime | None, sent_at: datetime | None
) -> datetime:
    """Event time on the server clock: ``received_at - (sent_at - client_ts)``.

    A client whose clock is off shifts ``client_ts`` and ``sent_at`` alike, so
    the difference is the true delay between the event and its sending (a
    server SDK importing history sends old ``client_ts`` with a current
    ``sent_at``). Without both, the server clock is the best we have; an
    event is never placed after it reached us.
    """
    if client_ts is None:
        return received_at
    if sent_at is None:
        sent_at = client_ts
    delay = sent_at - client_ts
    if delay < timedelta(0):
        delay = timedelta(0)
    return received_at - delay


def land(
    incoming: IncomingHit,
    *,
    account: str,
    received_at: datetime,
    ip: str | None,
    user_agent: str | None,
    is_bot: bool,
    dnt: bool,
) -> LandedHit:
    """Build the landed record; raises ValueError when the event time is implausible."""
    received_at = _aware(received_at)  # type: ignore[assignment]
    timestamp = corrected_timestamp(received_at, incoming.client_ts, incoming.sent_at)
    if received_at - timestamp > MAX_BACKDATE:
        raise ValueError(
            f"client_ts is {(received_at - timestamp).days} days before sent_at; "
            f"at most {MAX_BACKDATE.days} days of history can be sent"
        )
    fields = incoming.model_dump(exclude={"token", "hit_id"})
    return LandedHit(
        hit_id=str(incoming.hit_id),
        account=account,
        event_at=timestamp,
        received_at=received_at,
        ip=ip,
        user_agent=user_agent,
        is_bot=is_bot,
        dnt=dnt,
        **fields,
    )


# Column order of the raw warehouse table; ``properties`` is stored as JSON text.
RAW_HIT_COLUMNS: tuple[str, ...] = tuple(LandedHit.model_fields) + ("loaded_at",)
