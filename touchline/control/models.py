"""SQLAlchemy models of the control database. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    # Reports' week grain: 0 = weeks start on Monday … 6 = Sunday.
    week_start: Mapped[int] = mapped_column(Integer, default=0)

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


# --- people: dashboard users, their accounts, login sessions and the audit log -----


class User(Base):
    """Someone who logs in to the dashboard. ``password_hash`` is an argon2 hash,
    None until an invited user has chosen a password."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # normalised: lowercase
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A user's role on one account: viewer, editor or admin."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    account: Mapped[Account] = relationship()


class UserSession(Base):
    """A login. The cookie holds a random token; only its SHA-256 is kept, so a
    copy of this table logs nobody in."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Invite(Base):
    """An invitation to join an account with a role; its token (hashed here) is
    shown once to whoever invited, and works once."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    account: Mapped[Account] = relationship()


class LoginAttempt(Base):
    """A failed login, counted per email (hashed: people type passwords into the
    email field) and per client network. Kept in the database so that every API
    worker and instance sees the same count."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))  # "email:<sha256>" or "ip:<address or /64>"
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who changed what, when, with the values before and after (JSON, no secrets).
    The account is kept by slug, without a foreign key: the trail outlives rows."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_account_id", "account_slug", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))
    account_slug: Mapped[str | None] = mapped_column(String(64), default=None)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(254))
    before_json: Mapped[str | None] = mapped_column(Text, default=None)
    after_json: Mapped[str | None] = mapped_column(Text, default=None)
