"""Every warehouse table Touchline's Python creates, declared once.

Each :class:`Table` names its columns with a portable type and its keys, and
renders its ``CREATE TABLE`` for DuckDB or MySQL/MariaDB. The writers (the hit
loader, the connectors' loader, the FX rates, the attribution assets) create
and fill their tables from these declarations; dbt's on-run-start creates the
same tables (``dbt_project/macros/ad_platforms/raw_tables.sql``,
``dbt_project/macros/touchline/computed_tables.sql``), and
``tests/touchline/test_tables.py`` holds the two equal on both warehouses.

Portable types: ``varchar(n)``, ``char(n)``, ``text``, ``integer``, ``bigint``,
``double``, ``decimal(p,s)``, ``date``, ``timestamp`` (naive UTC),
``boolean``. DuckDB gets unbounded ``VARCHAR`` for every text. Keys, indexes
and ``NOT NULL`` are MySQL/MariaDB's only: the DuckDB tables carry none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from touchline.contract import RAW_HIT_COLUMNS
from touchline.platforms import PLATFORMS

MYSQL_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"


def column_type(portable: str, dialect: str) -> str:
    """``portable`` (see the module's docstring) in ``dialect``'s spelling."""
    base = re.match(r"[a-z]+", portable)
    name = base.group(0) if base else portable
    if dialect == "duckdb":
        if name in ("varchar", "char", "text"):
            return "VARCHAR"
        return portable.upper()
    if name == "integer":
        return "INT"
    if name == "timestamp":
        return "DATETIME(6)"
    return portable.upper()


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # portable
    not_null: bool = False  # MySQL/MariaDB only


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]

    def sql(self) -> str:
        return f"{self.name} ({', '.join(self.columns)})"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    indexes: tuple[Index, ...] = ()  # MySQL/MariaDB secondary keys
    primary_key: tuple[str, ...] = ()  # MySQL/MariaDB only
    mysql_options: str = MYSQL_TABLE_OPTIONS
    # Indexes an earlier version made, dropped when found (see index_changes).
    dropped_indexes: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column_types(self, dialect: str) -> dict[str, str]:
        """Column → type in ``dialect``, in the table's column order."""
        return {c.name: column_type(c.type, dialect) for c in self.columns}

    def ddl(self, dialect: str) -> str:
        """``CREATE TABLE IF NOT EXISTS`` for ``duckdb``, ``mysql`` or ``mariadb``."""
        if dialect == "duckdb":
            cols = ",\n  ".join(f"{n} {t}" for n, t in self.column_types(dialect).items())
            return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {cols}\n)"
        parts = [
            f"{c.name} {column_type(c.type, dialect)}" + (" NOT NULL" if c.not_null else "")
            for c in self.columns
        ]
        if self.primary_key:
            parts.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        parts += [f"KEY {index.sql()}" for index in self.indexes]
        body = ",\n  ".join(parts)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {body}\n) {self.mysql_options}"

    def index_changes(self, present: set[str]) -> list[str]:
        """MySQL statements that bring an existing table's indexes (``present``, by
        name) to this version's: earlier versions' indexes dropped, missing ones added."""
        changes = [f"DROP INDEX {name}" for name in self.dropped_indexes if name in present]
        changes += [f"ADD INDEX {i.sql()}" for i in self.indexes if i.name not in present]
        return [f"ALTER TABLE {self.name} {', '.join(changes)}"] if changes else []


def _columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name, portable) for name, portable in pairs)


# --- Landed hits -------------------------------------------------------------

_RAW_HIT_TYPES = {
    "contract_version": "integer",
    "hit_id": "varchar(64)",
    "type": "varchar(32)",
    "account": "varchar(64)",
    "event_at": "timestamp",
    "received_at": "timestamp",
    "sent_at": "timestamp",
    "client_ts": "timestamp",
    "visitor_id": "varchar(128)",
    "session_id": "varchar(128)",
    "user_id": "varchar(256)",
    "url": "text",
    "referrer": "text",
    "title": "text",
    "ip": "varchar(64)",
    "user_agent": "text",
    "is_bot": "boolean",
    "dnt": "boolean",
    "cookie_mode": "varchar(16)",
    "schema_level": "varchar(16)",
    "properties": "text",
    "loaded_at": "timestamp",
    "event_date": "date",
}
RAW_HITS = Table(
    "raw_hits",
    _columns(
        # utm_* and click ids: varchar(512)
        *((c, _RAW_HIT_TYPES.get(c, "varchar(512)")) for c in (*RAW_HIT_COLUMNS, "event_date"))
    ),
    # One index, for the loader's deletes and the models' partition filters.
    # Without hit_id in it, InnoDB appends a load's rows to the index in order:
    # a load takes 10 % less time and a reload half.
    indexes=(Index("ix_raw_hits_day", ("account", "event_date")),),
    dropped_indexes=("ix_raw_hits_partition",),
)


# --- Ad platforms --------------------------------------------------------------


def raw_table(platform: str) -> str:
    """One raw table per platform, so each platform's Dagster asset owns its table."""
    return f"raw_{platform}__campaign_daily"


def campaign_daily(platform: str) -> Table:
    """A platform's campaign-day table: the connectors' canonical row
    (``connectors.record.CampaignDay``) between the Touchline account and the
    account's reporting currency (the marts convert to it)."""
    name = raw_table(platform)
    return Table(
        name,
        _columns(
            ("account", "varchar(64)"),
            ("date_day", "date"),
            ("platform", "varchar(32)"),
            ("account_id", "varchar(64)"),
            ("campaign_id", "varchar(64)"),
            ("campaign_name", "varchar(512)"),
            ("impressions", "bigint"),
            ("clicks", "bigint"),
            ("spend", "decimal(18,6)"),
            ("conversions", "decimal(18,6)"),
            ("conversions_value", "decimal(18,6)"),
            ("currency_code", "char(3)"),
            ("account_currency", "char(3)"),
            ("loaded_at", "timestamp"),
        ),
        indexes=(Index(f"ix_{name}_partition", ("account", "date_day")),),
    )


PLATFORM_TABLES: tuple[Table, ...] = tuple(campaign_daily(p) for p in PLATFORMS)

_CLICKS = "raw_google_ads__click_view"
CLICK_VIEW = Table(
    _CLICKS,
    # connectors.record.Click between the account and loaded_at
    _columns(
        ("account", "varchar(64)"),
        ("date_day", "date"),
        ("account_id", "varchar(64)"),
        ("gclid", "varchar(128)"),
        ("campaign_id", "varchar(64)"),
        ("ad_group_id", "varchar(64)"),
        ("loaded_at", "timestamp"),
    ),
    indexes=(
        Index(f"ix_{_CLICKS}_gclid", ("account", "gclid")),
        Index(f"ix_{_CLICKS}_partition", ("account", "date_day")),
    ),
)


# --- Exchange rates ------------------------------------------------------------

FX_RATES = Table(
    "fx_rates",
    (
        Column("date_day", "date", not_null=True),
        Column("currency_code", "char(3)", not_null=True),
        Column("rate", "decimal(20,10)", not_null=True),
    ),
    primary_key=("date_day", "currency_code"),
    mysql_options="ENGINE=InnoDB",
)


# --- Computed by the attribution assets ------------------------------------------


def _computed(name: str, index: tuple[str, ...], *pairs: tuple[str, str]) -> Table:
    return Table(name, _columns(*pairs), indexes=(Index(f"ix_{name}_{index[-1]}", index),))


ACCOUNT_CHANNEL_RULES = _computed(
    "account_channel_rules",
    ("account",),
    ("account", "varchar(64)"),
    ("rule_position", "integer"),
    ("condition_position", "integer"),
    ("field", "varchar(32)"),
    ("operator", "varchar(16)"),
    ("value", "varchar(512)"),
    ("channel", "varchar(64)"),
)
ACCOUNT_ATTRIBUTION_SETTINGS = _computed(
    "account_attribution_settings",
    ("account",),
    ("account", "varchar(64)"),
    ("timezone", "varchar(64)"),
    ("currency", "char(3)"),
    ("lookback_days", "integer"),
    ("fit_days", "integer"),
    ("view_through_hours", "integer"),
)
IDENTITY_MAP = _computed(
    "identity_map",
    ("account", "visitor_id"),
    ("account", "varchar(64)"),
    ("visitor_id", "varchar(128)"),
    ("person_id", "varchar(64)"),
)
ATTRIBUTION_RESTATEMENTS = _computed(
    "attribution_restatements",
    ("account",),
    ("account", "varchar(64)"),
    ("restate_start", "date"),
    ("restate_end", "date"),
    ("planned_at", "timestamp"),
)
ATTRIBUTION_PATH_CREDITS = _computed(
    "attribution_path_credits",
    ("account", "period_start", "path_key", "touch_position"),
    ("account", "varchar(64)"),
    ("period_start", "date"),
    ("model", "varchar(16)"),
    ("path_key", "char(32)"),
    ("touch_position", "integer"),
    ("channel", "varchar(64)"),
    ("conversion_share", "double"),
    ("value_share", "double"),
)
COMPUTED_TABLES: tuple[Table, ...] = (
    ACCOUNT_CHANNEL_RULES,
    ACCOUNT_ATTRIBUTION_SETTINGS,
    IDENTITY_MAP,
    ATTRIBUTION_RESTATEMENTS,
    ATTRIBUTION_PATH_CREDITS,
)

TABLES: tuple[Table, ...] = (RAW_HITS, *PLATFORM_TABLES, CLICK_VIEW, FX_RATES, *COMPUTED_TABLES)
"""Every table Python creates. All but raw_hits are also made by dbt's on-run-start."""
