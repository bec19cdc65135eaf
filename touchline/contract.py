"""The hit contract: what clients send to the collector and what it lands.

The landed record is versioned (``contract_version``). Later versions may add
fields or hit types; they never rename or re-type a field that has landed, so
the loader reads every version. Type-specific fields travel in ``properties``
(a JSON object) so a new hit type needs no new warehouse column.

Version 2 (this one) adds the hit types event, sale, label, impression,
redirect, identify and alias, the fallback validation level and the
``validation_failure`` record; the top-level columns are those of version 1,
so a version-1 line loads unchanged (its ``properties`` is simply empty).
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic_core import to_json

CONTRACT_VERSION = 2

HitType = Literal[
    "pageview",
    "event",
    "sale",
    "label",
    "impression",
    "redirect",
    "identify",
    "alias",
    "validation_failure",
]
# Types a client may send; redirect and validation_failure are the collector's own.
ACCEPTED_TYPES: frozenset[str] = frozenset(
    {"pageview", "event", "sale", "label", "impression", "identify", "alias"}
)
# The type's own top-level wire fields; they land inside ``properties``.
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "pageview": (),
    "event": ("category", "action", "label", "value"),
    "sale": ("order_id", "revenue", "currency", "items"),
    "label": ("key", "value"),
    "impression": ("campaign", "creative", "placement"),
    "identify": ("traits",),
    "alias": ("previous_id",),
    "redirect": ("campaign", "creative", "placement"),
}
ALL_TYPE_FIELDS = frozenset(f for fields in TYPE_FIELDS.values() for f in fields)

CLICK_ID_FIELDS = ("gclid", "msclkid", "fbclid", "ttclid", "li_fat_id", "dclid", "wbraid", "gbraid")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

# A client clock can be wrong; skew correction fixes that. A corrected time far
# in the past is an import; beyond this it is a bug we refuse to land.
MAX_BACKDATE = timedelta(days=400)


# Client clocks are wrong in every direction, but not by centuries; outside
# this range a time is garbage, and near year 1 or 9999 the skew arithmetic
# would overflow.
MIN_YEAR, MAX_YEAR = 1970, 2200
MAX_ITEMS = 500
SHORT = 512


_ZERO = timedelta(0)


def utc_time(value: datetime | None) -> datetime | None:
    """``value`` in UTC (a naive time is taken as UTC), within the years the contract allows."""
    if value is None:
        return None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"must be a time between the years {MIN_YEAR} and {MAX_YEAR}")
    try:
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        if value.utcoffset() == _ZERO:  # "Z" or "+00:00": already UTC, no conversion
            return value
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is out of range") from None


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


# scheme://[userinfo@]host[:port] followed by the path, query, fragment or nothing.
# A regex rather than urlsplit: this runs for every hit, and it also decides the
# cases urlsplit raises on (a host holding "[", a port that is no number).
_HTTP_URL = re.compile(
    r"^https?://(?:[^/?#@\[\]]*@)?(\[[0-9A-Fa-f:.]+\]|[^/?#:@\[\]\\]+)(?::(\d{0,5}))?(?:[/?#]|$)",
    re.IGNORECASE,
)


def check_http_url(value: str) -> str:
    """An absolute http(s) URL with a host; raises ValueError in the client's words."""
    if not value[:8].lower().startswith(("http://", "https://")):
        raise ValueError("must be an absolute http(s) URL")
    match = _HTTP_URL.match(value)
    if match is None or (match.group(2) and int(match.group(2)) > 65535):
        raise ValueError("is not a well-formed URL (check the host and port)")
    return value


class Item(BaseModel):
    """One line of a sale."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: str | None = Field(default=None, max_length=SHORT)
    name: str | None = Field(default=None, max_length=SHORT)
    price: float | None = None
    quantity: int = Field(default=1, ge=0, le=1_000_000)

    _finite_price = field_validator("price")(classmethod(lambda cls, v: _finite(v)))


class _HitFields(BaseModel):
    """Every field a hit may carry on the wire, each with its own limits."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    token: str = Field(min_length=1, max_length=128, description="Account's public tracking token")
    type: HitType = "pageview"
    hit_id: uuid.UUID = Field(description="Client-generated UUID; the dedupe key")
    visitor_id: str | None = Field(default=None, min_length=1, max_length=128)
    session_id: str | None = Field(default=None, max_length=128)
    user_id: str | None = Field(default=None, max_length=256)
    url: str | None = Field(default=None, min_length=1, max_length=4096)
    referrer: str | None = Field(default=None, max_length=4096)
    title: str | None = Field(default=None, max_length=1024)
    client_ts: datetime | None = Field(default=None, description="When it happened, client clock")
    sent_at: datetime | None = Field(default=None, description="When it was sent, client clock")
    utm_source: str | None = Field(default=None, max_length=SHORT)
    utm_medium: str | None = Field(default=None, max_length=SHORT)
    utm_campaign: str | None = Field(default=None, max_length=SHORT)
    utm_term: str | None = Field(default=None, max_length=SHORT)
    utm_content: str | None = Field(default=None, max_length=SHORT)
    gclid: str | None = Field(default=None, max_length=SHORT)
    msclkid: str | None = Field(default=None, max_length=SHORT)
    fbclid: str | None = Field(default=None, max_length=SHORT)
    ttclid: str | None = Field(default=None, max_length=SHORT)
    li_fat_id: str | None = Field(default=None, max_length=SHORT)
    dclid: str | None = Field(default=None, max_length=SHORT)
    wbraid: str | None = Field(default=None, max_length=SHORT)
    gbraid: str | None = Field(default=None, max_length=SHORT)
    consent: Literal["granted", "denied"] | None = None
    simulated: bool = Field(default=False, description="Set by the simulator and the demo")
    properties: dict[str, Any] = Field(default_factory=dict)
    # the types' own fields (TYPE_FIELDS)
    category: str | None = Field(default=None, max_length=SHORT)
    action: str | None = Field(default=None, max_length=SHORT)
    label: str | None = Field(default=None, max_length=SHORT)
    value: StrictFloat | StrictInt | Annotated[str, Field(max_length=4096)] | None = None
    order_id: str | None = Field(default=None, min_length=1, max_length=SHORT)
    revenue: float | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    items: list[Item] | None = Field(default=None, max_length=MAX_ITEMS)
    key: str | None = Field(default=None, min_length=1, max_length=SHORT)
    campaign: str | None = Field(default=None, max_length=SHORT)
    creative: str | None = Field(default=None, max_length=SHORT)
    placement: str | None = Field(default=None, max_length=SHORT)
    traits: dict[str, Any] | None = None
    previous_id: str | None = Field(default=None, min_length=1, max_length=256)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value)

    @field_validator("client_ts", "sent_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return utc_time(value)

    @field_validator("revenue")
    @classmethod
    def _finite_revenue(cls, value: float | None) -> float | None:
        return _finite(value)

    @field_validator("value")
    @classmethod
    def _finite_value(cls, value: Any) -> Any:
        return _finite(value) if isinstance(value, float) else value

    def type_properties(self) -> dict[str, Any]:
        """The client's free-form properties, overlaid with the type's own fields."""
        props = dict(self.properties)
        for name in TYPE_FIELDS.get(self.type, ()):
            value = getattr(self, name)
            if value is not None:
                if name == "items":
                    value = [item.model_dump() for item in value]
                elif name == "currency":
                    value = value.upper()
                props[name] = value
        if self.consent is not None:
            props["consent"] = self.consent
        if self.simulated:
            props["simulated"] = True
        return props


class IncomingHit(_HitFields):
    """The full schema: what the tag or a server SDK posts to ``/collect``.

    ``visitor_id`` stays optional: a tag relying on the collector's cookie, or
    sending under DNT/GPC/denied consent, has none, and the collector assigns it.
    """

    @model_validator(mode="after")
    def _type_fields(self) -> IncomingHit:
        values = self.__dict__
        # Set operations first: most hits carry none of the other types' fields.
        foreign = [
            f
            for f in sorted(self.model_fields_set & _FOREIGN_SET[self.type])
            if values[f] is not None
        ]
        if foreign:
            raise ValueError(f"{', '.join(foreign)} not allowed on a {self.type} hit")
        missing = [f for f in _REQUIRED.get(self.type, ()) if values[f] is None]
        if missing:
            raise ValueError(f"a hit of type {self.type} needs {', '.join(missing)}")
        if self.type == "event" and self.value is not None and isinstance(self.value, str):
            raise ValueError("value of an event must be a number")
        return self


# What each type cannot do without (beyond the common fields).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "pageview": ("url",),
    "event": ("action",),
    "sale": ("order_id", "revenue", "currency"),
    "label": ("key", "value"),
    "impression": ("campaign",),
    "identify": ("user_id",),
    "alias": ("user_id", "previous_id"),
}


# Per type, the other types' fields (sorted, for the error message).
_FOREIGN: dict[str, tuple[str, ...]] = {
    t: tuple(sorted(ALL_TYPE_FIELDS - set(TYPE_FIELDS.get(t, ()))))
    for t in (*TYPE_FIELDS, "validation_failure")
}
_FOREIGN_SET = {t: frozenset(fields) for t, fields in _FOREIGN.items()}


class SalvagedHit(_HitFields):
    """The fields of a hit that failed the full schema but each valid on its own."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class FallbackHit(BaseModel):
    """The minimal schema: account (token), type, hit id and time."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    token: str = Field(min_length=1, max_length=128)
    type: Literal["pageview", "event", "sale", "label", "impression", "identify", "alias"] = (
        "pageview"
    )
    hit_id: uuid.UUID
    client_ts: datetime | None = None
    sent_at: datetime | None = None

    @field_validator("client_ts", "sent_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return utc_time(value)


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
    url: str | None = None
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
    if delay > MAX_BACKDATE:
        raise ValueError(
            f"client_ts is {delay.days} days before sent_at; "
            f"at most {MAX_BACKDATE.days} days of history can be sent"
        )
    return received_at - delay


# Fields copied from the wire to the landed record as they are.
_COMMON = (
    "visitor_id", "session_id", "user_id", "url", "referrer", "title", "sent_at", "client_ts",
    *UTM_FIELDS, *CLICK_ID_FIELDS,
)  # fmt: skip


def land(
    incoming: _HitFields,
    *,
    account: str,
    received_at: datetime,
    ip: str | None,
    user_agent: str | None,
    is_bot: bool,
    dnt: bool,
    visitor_id: str | None = None,
    cookie_mode: str = "first_party",
    schema_level: str = "full",
    event_at: datetime | None = None,
) -> LandedHit:
    """Build the landed record; raises ValueError when the event time is implausible.

    ``visitor_id`` overrides the client's (cookieless mode); ``event_at``
    overrides the skew correction (the Segment API's own rules).
    """
    _, record = land_record(
        incoming,
        account=account,
        received_at=utc_time(received_at),  # type: ignore[arg-type]
        ip=ip,
        user_agent=user_agent,
        is_bot=is_bot,
        dnt=dnt,
        visitor_id=visitor_id,
        cookie_mode=cookie_mode,
        schema_level=schema_level,
        event_at=event_at,
    )
    # Built without re-validation: every field was validated on the way in.
    return LandedHit.model_construct(**record)


def iso_utc(value: datetime | None) -> str | None:
    """A UTC time as the landing zone writes it (pydantic's form: ``...Z``)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def landed_line(record: dict[str, Any]) -> bytes:
    """One NDJSON line (UTF-8) of a landed record given as JSON-ready values
    (datetimes included: pydantic-core writes them exactly as a LandedHit dump does).

    The collector's hot path: several times cheaper than building a LandedHit
    and dumping it; the same fields and values (a test compares the two)."""
    return to_json(record) + b"\n"


def land_record(
    incoming: _HitFields,
    *,
    account: str,
    received_at: datetime,
    ip: str | None,
    user_agent: str | None,
    is_bot: bool,
    dnt: bool,
    visitor_id: str | None = None,
    cookie_mode: str = "first_party",
    schema_level: str = "full",
    event_at: datetime | None = None,
    received_iso: str | None = None,
) -> tuple[datetime, dict[str, Any]]:
    """Like :func:`land`, as ``(event_at, JSON-ready record)`` for :func:`landed_line`.
    ``received_iso``: received_at already formatted (once per request)."""
    values = incoming.__dict__
    if event_at is None:
        event_at = corrected_timestamp(received_at, values["client_ts"], values["sent_at"])
    record = {name: values[name] for name in _COMMON}
    if visitor_id is not None:
        record["visitor_id"] = visitor_id
    record.update(
        contract_version=CONTRACT_VERSION,
        hit_id=str(values["hit_id"]),
        type=values["type"],
        account=account,
        event_at=received_iso if event_at is received_at and received_iso else event_at,
        received_at=received_iso or received_at,
        ip=ip,
        user_agent=user_agent,
        is_bot=is_bot,
        dnt=dnt,
        cookie_mode=cookie_mode,
        schema_level=schema_level,
        properties=incoming.type_properties(),
    )
    return event_at, record


# Column order of the raw warehouse table; ``properties`` is stored as JSON text.
RAW_HIT_COLUMNS: tuple[str, ...] = tuple(LandedHit.model_fields) + ("loaded_at",)
