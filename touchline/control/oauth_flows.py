"""OAuth2 authorisation flows in progress: the server-side half of ``state`` and PKCE.

A flow starts when someone asks to connect an account to a platform. Its
``state`` (256 random bits) goes to the platform in the authorisation URL and
comes back on the callback; only its SHA-256 is stored here, so a copy of the
control database cannot complete anyone's flow. The state is single-use: the
callback claims it with a conditional UPDATE, so a replayed callback (or two
racing ones) finds it used. The PKCE verifier stays here, sealed; only its
S256 challenge travels. A flow started from the dashboard is bound to the
user who started it: the callback and the account choice must come from that
user. After the code exchange the tokens wait here, sealed, with the ad
accounts the login can reach, until the user picks one; then the flow is
deleted and the connection holds the tokens.

No Flask and no HTTP here: ``connectors.oauth`` drives the flow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from touchline.control.connections import ConnectionsError, seal, unseal
from touchline.control.models import Account, Base, utcnow

STATE_TTL = timedelta(minutes=15)
# After the callback the user has this long to pick an ad account.
CHOICE_TTL = timedelta(hours=1)


class FlowError(ValueError):
    """The flow cannot go on; the message is safe to show to the user."""


class OAuthFlow(Base):
    __tablename__ = "oauth_flows"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(32))
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    verifier_blob: Mapped[str] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    # Who started it: a user's id (the callback and the choice must be theirs),
    # or None for the command line, whose operator holds the link.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    started_by: Mapped[str] = mapped_column(String(254))
    # Set when the ad account was named up front (the CLI): no choice step then.
    external_account_id: Mapped[str | None] = mapped_column(String(64), default=None)
    settings_json: Mapped[str] = mapped_column(Text, default="{}")
    secret_blob: Mapped[str | None] = mapped_column(Text, default=None)
    choices_json: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    state_used_at: Mapped[datetime | None] = mapped_column(default=None)

    def __repr__(self) -> str:  # never the state, verifier or tokens
        return f"<OAuthFlow {self.id} {self.platform} of account {self.account_id}>"


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def code_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class NewFlow:
    id: str
    state: str = field(repr=False)
    code_challenge: str
    expires_at: datetime


@dataclass(frozen=True)
class ClaimedFlow:
    """A flow whose state just came back (and is now spent)."""

    id: str
    account: str
    platform: str
    user_id: int | None
    started_by: str
    redirect_uri: str
    external_account_id: str | None
    settings: dict[str, Any]
    code_verifier: str = field(repr=False)


@dataclass(frozen=True)
class PendingFlow:
    """Tokens obtained, waiting for the user to choose an ad account."""

    id: str
    account: str
    platform: str
    user_id: int | None
    started_by: str
    settings: dict[str, Any]
    choices: list[dict[str, Any]] | None  # None: the platform could not list them
    expires_at: datetime
    secrets: dict[str, Any] = field(repr=False)


def _account(session: Session, slug: str) -> Account:
    account = session.scalar(select(Account).where(Account.slug == slug))
    if account is None:
        raise ConnectionsError(f"no account named {slug!r}")
    return account


def purge_expired(session: Session) -> int:
    result = session.execute(delete(OAuthFlow).where(OAuthFlow.expires_at < utcnow()))
    return result.rowcount or 0


def start_flow(
    session: Session,
    secret_key: str,
    *,
    account_slug: str,
    platform: str,
    redirect_uri: str,
    started_by: str,
    user_id: int | None = None,
    external_account_id: str | None = None,
    settings: dict[str, Any] | None = None,
) -> NewFlow:
    account = _account(session, account_slug)
    purge_expired(session)
    state = secrets.token_urlsafe(32)
    # 86 characters of the unreserved alphabet: within RFC 7636's 43-128.
    verifier = secrets.token_urlsafe(64)
    flow = OAuthFlow(
        id=secrets.token_hex(16),
        account_id=account.id,
        platform=platform,
        state_hash=hash_state(state),
        verifier_blob=seal(secret_key, {"code_verifier": verifier}),
        redirect_uri=redirect_uri,
        user_id=user_id,
        started_by=started_by[:254],
        external_account_id=external_account_id,
        settings_json=json.dumps(settings or {}, sort_keys=True),
        expires_at=utcnow() + STATE_TTL,
    )
    session.add(flow)
    session.flush()
    return NewFlow(flow.id, state, code_challenge(verifier), flow.expires_at)


def claim_state(session: Session, secret_key: str, platform: str, state: str) -> ClaimedFlow:
    """Spend ``state``: the flow it names, once. Forged, replayed, expired or
    another platform's states are refused in words that reveal nothing else."""
    flow = session.scalar(select(OAuthFlow).where(OAuthFlow.state_hash == hash_state(state)))
    if flow is None:
        raise FlowError("the authorisation state is not valid; start again")
    if flow.platform != platform:
        raise FlowError("the authorisation state belongs to another platform; start again")
    if flow.state_used_at is not None:
        raise FlowError("this authorisation link was already used; start again")
    if flow.expires_at < utcnow():
        raise FlowError("this authorisation link has expired; start again")
    # The conditional UPDATE is the single use: of two racing callbacks, one wins.
    spent = session.execute(
        update(OAuthFlow)
        .where(OAuthFlow.id == flow.id, OAuthFlow.state_used_at.is_(None))
        .values(state_used_at=utcnow())
    )
    if spent.rowcount != 1:
        raise FlowError("this authorisation link was already used; start again")
    slug = session.scalar(select(Account.slug).where(Account.id == flow.account_id))
    return ClaimedFlow(
        id=flow.id,
        account=str(slug),
        platform=flow.platform,
        user_id=flow.user_id,
        started_by=flow.started_by,
        redirect_uri=flow.redirect_uri,
        external_account_id=flow.external_account_id,
        settings=json.loads(flow.settings_json or "{}"),
        code_verifier=unseal(secret_key, flow.verifier_blob)["code_verifier"],
    )


def hold_tokens(
    session: Session,
    secret_key: str,
    flow_id: str,
    tokens: dict[str, Any],
    choices: list[dict[str, Any]] | None,
) -> None:
    """Keep the exchanged tokens (sealed) and the reachable ad accounts until the choice."""
    flow = session.get(OAuthFlow, flow_id)
    if flow is None:
        raise FlowError("this connection attempt is gone; start again")
    flow.secret_blob = seal(secret_key, tokens)
    flow.choices_json = None if choices is None else json.dumps(choices)
    flow.expires_at = utcnow() + CHOICE_TTL
    session.flush()


def pending_flow(session: Session, secret_key: str, account_slug: str, flow_id: str) -> PendingFlow:
    """A flow of this account waiting for its choice; anything else is 'not found'."""
    account = _account(session, account_slug)
    flow = session.get(OAuthFlow, flow_id)
    if (
        flow is None
        or flow.account_id != account.id
        or flow.secret_blob is None
        or flow.expires_at < utcnow()
    ):
        raise FlowError(f"no pending connection {flow_id!r} for {account_slug}; start again")
    return PendingFlow(
        id=flow.id,
        account=account.slug,
        platform=flow.platform,
        user_id=flow.user_id,
        started_by=flow.started_by,
        settings=json.loads(flow.settings_json or "{}"),
        choices=None if flow.choices_json is None else json.loads(flow.choices_json),
        expires_at=flow.expires_at,
        secrets=unseal(secret_key, flow.secret_blob),
    )


def finish_flow(session: Session, flow_id: str) -> None:
    """Forget the flow's secrets (its tokens now live in the connection, or
    nowhere). The spent row stays until it expires, so a replayed callback is
    told "already used" rather than "not valid"."""
    session.execute(
        update(OAuthFlow)
        .where(OAuthFlow.id == flow_id)
        .values(secret_blob=None, choices_json=None, verifier_blob="")
    )
