"""Per-account channel rules: tried in order before the default (GA4) channel
group; the first rule whose conditions all hold names the session's channel.

A condition compares one session field with a value:

    campaign contains brand
    source in newsletter,mailchimp
    default_channel equals Paid Search
    landing_path regex ^/lp/

Comparisons ignore case: values are stored lower-cased and the warehouse
compares them with the lower-cased field (a ``regex`` pattern is kept as
written and matched against the lower-cased field). The rules are exported to
the warehouse table ``account_channel_rules`` by the ``account_config`` asset
and applied by dbt (``int_sessions``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from touchline.control.models import Account, ChannelRule
from touchline.control.registry import RegistryError

# The session fields a condition can read (see dbt_project/models/docs.md, "channel_rules").
FIELDS: dict[str, str] = {
    "source": "session source (utm_source, the click id's network, the referrer host, or (direct))",
    "medium": "session medium (utm_medium, cpc for ad click ids, organic, referral or (none))",
    "campaign": "utm_campaign, or (organic) / (referral) / (direct) / (not set)",
    "source_category": "the source's category from the seed: search, social, video, shopping",
    "default_channel": "the channel the default (GA4) rules give",
    "referrer_host": "the referrer's host, without www.",
    "landing_host": "the landing page's host, without www.",
    "landing_path": "the landing page's path",
    "term": "utm_term",
    "content": "utm_content",
    "click_id": "the first click id present: gclid, wbraid, gbraid, dclid, msclkid, fbclid, "
    "ttclid or li_fat_id",
}
OPERATORS: dict[str, str] = {
    "equals": "the field equals the value",
    "not_equals": "the field is present and differs from the value",
    "in": "the field is one of the comma-separated values",
    "contains": "the field contains the value",
    "starts_with": "the field starts with the value",
    "ends_with": "the field ends with the value",
    "regex": "the pattern matches the field (RE2 / ICU / PCRE common subset)",
    "present": "the field has a value (give no value)",
    "absent": "the field has no value (give no value)",
}
VALUELESS = frozenset({"present", "absent"})
MAX_CONDITIONS = 8
MAX_VALUE = 512
# Features one of DuckDB's RE2, MySQL's ICU or MariaDB's PCRE lacks.
_UNPORTABLE_REGEX = re.compile(r"\(\?[=!<]|\\[1-9]|\(\?P|\\[pP]\{")


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: str = ""

    def text(self) -> str:
        return f"{self.field} {self.operator}" + (f" {self.value}" if self.value else "")


@dataclass(frozen=True)
class Rule:
    position: int
    channel: str
    conditions: tuple[Condition, ...]

    def text(self) -> str:
        return " and ".join(c.text() for c in self.conditions)

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "channel": self.channel,
            "conditions": [c.__dict__ for c in self.conditions],
            "text": self.text(),
        }


def validate_channel(channel: str) -> str:
    name = channel.strip()
    if not name or len(name) > 64:
        raise RegistryError("a channel name is 1-64 characters")
    if ">" in name or any(ord(ch) < 32 for ch in name):
        raise RegistryError(
            f"channel {name!r} may not contain '>' (it separates channels in a path) or "
            "control characters"
        )
    return name


def make_condition(field: str, operator: str, value: str = "") -> Condition:
    field, operator, value = field.strip().lower(), operator.strip().lower(), value.strip()
    if field not in FIELDS:
        raise RegistryError(f"unknown field {field!r}; use one of {', '.join(FIELDS)}")
    if operator not in OPERATORS:
        raise RegistryError(f"unknown operator {operator!r}; use one of {', '.join(OPERATORS)}")
    if operator in VALUELESS:
        if value:
            raise RegistryError(f"'{operator}' takes no value")
        return Condition(field, operator)
    if not value:
        raise RegistryError(f"'{field} {operator}' needs a value")
    if len(value) > MAX_VALUE:
        raise RegistryError(f"a value is at most {MAX_VALUE} characters")
    if operator == "regex":
        try:
            re.compile(value)
        except re.error as exc:
            raise RegistryError(f"{value!r} is not a regular expression: {exc}") from None
        if _UNPORTABLE_REGEX.search(value):
            raise RegistryError(
                f"{value!r} uses look-around, back-references or named groups, which not "
                "every warehouse supports"
            )
        return Condition(field, operator, value)
    if operator == "in":
        items = [v.strip().lower() for v in value.split(",") if v.strip()]
        if not items:
            raise RegistryError("'in' needs a comma-separated list of values")
        return Condition(field, operator, ",".join(items))
    return Condition(field, operator, value.lower())


def parse_condition(text: str) -> Condition:
    """``"FIELD OPERATOR [VALUE]"``; the value is the rest of the text (spaces kept)."""
    parts = text.strip().split(None, 2)
    if len(parts) < 2:
        raise RegistryError(
            f"condition {text!r} must read FIELD OPERATOR [VALUE], e.g. 'campaign contains brand'"
        )
    return make_condition(parts[0], parts[1], parts[2] if len(parts) > 2 else "")


def _rule(row: ChannelRule) -> Rule:
    conditions = tuple(Condition(**c) for c in json.loads(row.conditions_json))
    return Rule(row.position, row.channel, conditions)


def _account(session: Session, slug: str) -> Account:
    account = session.scalar(
        select(Account).options(selectinload(Account.channel_rules)).where(Account.slug == slug)
    )
    if account is None:
        raise RegistryError(f"no account named {slug!r}")
    return account


def _ordered(account: Account) -> list[ChannelRule]:
    # sorted here: the loaded collection keeps its order while positions change
    return sorted(account.channel_rules, key=lambda r: r.position)


def list_rules(session: Session, slug: str) -> list[Rule]:
    return [_rule(r) for r in _ordered(_account(session, slug))]


def add_rule(
    session: Session,
    slug: str,
    channel: str,
    conditions: list[Condition] | tuple[Condition, ...],
    position: int | None = None,
) -> list[Rule]:
    """Insert a rule at ``position`` (1-based; default: after the last) and renumber."""
    channel = validate_channel(channel)
    if not conditions:
        raise RegistryError("a rule needs at least one condition")
    if len(conditions) > MAX_CONDITIONS:
        raise RegistryError(f"a rule has at most {MAX_CONDITIONS} conditions")
    account = _account(session, slug)
    rows = _ordered(account)
    index = len(rows) if position is None else position - 1
    if not 0 <= index <= len(rows):
        raise RegistryError(f"position must be between 1 and {len(rows) + 1}")
    new = ChannelRule(
        channel=channel,
        position=0,
        conditions_json=json.dumps([c.__dict__ for c in conditions], sort_keys=True),
    )
    rows.insert(index, new)
    _renumber(session, account, rows)
    return list_rules(session, slug)


def remove_rule(session: Session, slug: str, position: int) -> list[Rule]:
    account = _account(session, slug)
    rows = _ordered(account)
    if not 1 <= position <= len(rows):
        raise RegistryError(f"{slug} has no channel rule at position {position}")
    account.channel_rules.remove(rows.pop(position - 1))
    session.flush()
    _renumber(session, account, rows)
    return list_rules(session, slug)


def _renumber(session: Session, account: Account, rows: list[ChannelRule]) -> None:
    # Two passes: positions are unique per account, so move them out of the way first.
    for offset, row in enumerate(rows):
        row.position = -(offset + 1)
        if row not in account.channel_rules:
            account.channel_rules.append(row)
    session.flush()
    for offset, row in enumerate(rows):
        row.position = offset + 1
    session.flush()


@dataclass(frozen=True)
class AttributionSettings:
    account: str
    timezone: str
    currency: str
    lookback_days: int
    fit_days: int
    view_through_hours: int


LIMITS = {"lookback_days": (1, 90), "fit_days": (7, 365), "view_through_hours": (0, 720)}


def attribution_settings(session: Session, slugs: list[str]) -> dict[str, AttributionSettings]:
    rows = session.scalars(select(Account).where(Account.slug.in_(slugs)))
    return {
        a.slug: AttributionSettings(
            a.slug, a.timezone, a.currency, a.lookback_days, a.fit_days, a.view_through_hours
        )
        for a in rows
    }


def update_attribution_settings(
    session: Session,
    slug: str,
    lookback_days: int | None = None,
    fit_days: int | None = None,
    view_through_hours: int | None = None,
) -> AttributionSettings:
    account = session.scalar(select(Account).where(Account.slug == slug))
    if account is None:
        raise RegistryError(f"no account named {slug!r}")
    changes = {
        "lookback_days": lookback_days,
        "fit_days": fit_days,
        "view_through_hours": view_through_hours,
    }
    for name, value in changes.items():
        if value is None:
            continue
        low, high = LIMITS[name]
        if not low <= value <= high:
            raise RegistryError(f"{name.replace('_', ' ')} must be between {low} and {high}")
        setattr(account, name, value)
    session.flush()
    return attribution_settings(session, [slug])[slug]


def rules_by_account(session: Session, slugs: list[str]) -> dict[str, list[Rule]]:
    accounts = session.scalars(
        select(Account).options(selectinload(Account.channel_rules)).where(Account.slug.in_(slugs))
    )
    return {a.slug: [_rule(r) for r in _ordered(a)] for a in accounts}


def reorder_rules(session: Session, slug: str, order: list[int]) -> list[Rule]:
    """Put the rules in a new order: ``order`` lists every current position once,
    the rule to come first first."""
    account = _account(session, slug)
    rows = _ordered(account)
    if sorted(order) != list(range(1, len(rows) + 1)):
        raise RegistryError(
            f"order must list each of the positions 1 to {len(rows)} exactly once"
            if rows
            else "there are no channel rules to reorder"
        )
    _renumber(session, account, [rows[position - 1] for position in order])
    return list_rules(session, slug)
