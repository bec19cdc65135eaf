"""SQLAlchemy models of the control database. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Collection settings (the collector re-reads them every few seconds).
    cookie_domain: Mapped[str | None] = mapped_column(String(253), default=None)
    consent_default: Mapped[str] = mapped_column(String(8), default="granted")
    anonymize_ip: Mapped[bool] = mapped_column(Boolean, default=False)
    bot_policy: Mapped[str] = mapped_column(String(8), default="flag")
    # The server-side (Segment API) write key: secret, unlike the tracking token,
    # so only its SHA-256 is kept.
    write_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    write_key_prefix: Mapped[str | None] = mapped_column(String(16), default=None)
    # Attribution: a sale's journey looks back lookback_days; the data-driven models
    # are fitted over fit_days; ad impressions count as touches view_through_hours
    # before a sale (0: impressions are not touches).
    lookback_days: Mapped[int] = mapped_column(Integer, default=30)
    fit_days: Mapped[int] = mapped_column(Integer, default=90)
    view_through_hours: Mapped[int] = mapped_column(Integer, default=0)

    domains: Mapped[list[AccountDomain]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="AccountDomain.domain"
    )
    api_keys: Mapped[list[ApiKey]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )
    blacklist: Mapped[list[BlacklistEntry]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="BlacklistEntry.id"
    )
    channel_rules: Mapped[list[ChannelRule]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="ChannelRule.position"
    )

    @property
    def domain_names(self) -> list[str]:
        return [d.domain for d in self.domains]


class AccountDomain(Base):
    """A site domain the account's tag may send from (subdomains included)."""

    __tablename__ = "account_domains"
    __table_args__ = (UniqueConstraint("account_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253))

    account: Mapped[Account] = relationship(back_populates="domains")


class ApiKey(Base):
    """A key for the report API, scoped to one account. Only its SHA-256 is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    account: Mapped[Account] = relationship(back_populates="api_keys")


class BlacklistEntry(Base):
    """Hits matching an entry are dropped (and counted) by the collector."""

    __tablename__ = "account_blacklist"
    __table_args__ = (UniqueConstraint("account_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # visitor_id | ip | cidr
    value: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="blacklist")


class ChannelRule(Base):
    """An account's own channel rule, tried before the default (GA4) rules: the
    first rule (lowest position) whose conditions all hold gives the channel.
    ``conditions_json`` is a list of ``{"field", "operator", "value"}``
    (touchline.control.channel_rules validates them)."""

    __tablename__ = "channel_rules"
    __table_args__ = (UniqueConstraint("account_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(64))
    conditions_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="channel_rules")


class CookielessSalt(Base):
    """The day's random salt of cookieless visitor ids. Kept here, never with the
    hits, and deleted after two days: then nobody can link a visitor across days."""

    __tablename__ = "cookieless_salts"

    day: Mapped[date] = mapped_column(primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
