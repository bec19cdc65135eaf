"""Dashboard users: their passwords (argon2), their roles on accounts, invitations.

Emails are stored normalised (trimmed, lowercase), so ``Ann@Example.com`` and
``ann@example.com`` are one user. Passwords are only ever kept as argon2 hashes.
Callers record the audit entry of a change (``touchline.control.audit``) in the
same session, so a change and its trail commit together.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from touchline.control.models import Account, Invite, Membership, User, UserSession, utcnow
from touchline.control.registry import RegistryError

# A plain shape check: deliverability is the mail server's business, and the
# invite link proves the address anyway.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MIN_PASSWORD = 8  # NIST SP 800-63B's floor; longer is up to the user
MAX_PASSWORD = 1024  # hashing is slow on purpose: bound what one request can make us hash
INVITE_DAYS = 7

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
# Verified when the email is unknown, so that a failed login takes as long
# whether or not the user exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Role(enum.IntEnum):
    """A user's role on one account; each includes the ones below it."""

    VIEWER = 1  # reads reports
    EDITOR = 2  # also changes the account's settings
    ADMIN = 3  # also manages members, invites, API keys, reads the audit log

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise UsersError(
                f"unknown role {value!r}; use one of {', '.join(ROLE_NAMES)}"
            ) from None

    @property
    def label(self) -> str:
        return self.name.lower()

    def __str__(self) -> str:
        return self.label


ROLE_NAMES = tuple(r.label for r in Role)


class UsersError(RegistryError):
    """Bad input about people, worded for whoever typed it."""


class NotFound(UsersError):
    """The user, membership or invite named does not exist (API: 404)."""


class Conflict(UsersError):
    """The change contradicts the current state (API: 409)."""


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    name: str
    has_password: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserInfo:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            has_password=user.password_hash is not None,
            created_at=user.created_at,
        )


@dataclass(frozen=True)
class MemberInfo:
    user: UserInfo
    account: str
    role: Role
    since: datetime


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise UsersError(
            f"{raw.strip()[:80]!r} is not an email address (expected name@example.com)"
        )
    return email


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsersError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UsersError(f"a password has at most {MAX_PASSWORD} characters")
    if not password.strip():
        raise UsersError("a password cannot be only spaces")


def hash_password(password: str) -> str:
    validate_password(password)
    return _hasher.hash(password)


def hash_token(plaintext: str) -> str:
    # Session and invite tokens are 256 random bits: a fast hash is enough.
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def _require_user(session: Session, email: str) -> User:
    user = _user(session, email)
    if user is None:
        raise NotFound(f"no user {normalise_email(email)}")
    return user


def _account(session: Session, slug: str) -> Account:
    account = session.scalar(select(Account).where(Account.slug == slug))
    if account is None:
        raise NotFound(f"no account named {slug!r}")
    return account


def get_user(session: Session, email: str) -> UserInfo:
    return UserInfo.of(_require_user(session, email))


def find_user(session: Session, email: str) -> UserInfo | None:
    user = _user(session, email)
    return UserInfo.of(user) if user else None


def create_user(session: Session, email: str, password: str | None, name: str = "") -> UserInfo:
    """A new user; ``password`` None leaves them unable to log in until they
    accept an invite (which sets it)."""
    email = normalise_email(email)
    if _user(session, email) is not None:
        raise Conflict(f"a user {email} already exists")
    user = User(
        email=email,
        name=name.strip()[:200],
        password_hash=None if password is None else hash_password(password),
        password_changed_at=None if password is None else utcnow(),
    )
    session.add(user)
    session.flush()
    return UserInfo.of(user)


def authenticate(session: Session, email: str, password: str) -> UserInfo | None:
    """The user whose email and password these are, or None; as slow for an
    unknown email as for a wrong password."""
    try:
        user = _user(session, email)
    except UsersError:
        user = None
    if user is None or user.password_hash is None or len(password) > MAX_PASSWORD:
        _verify(_DUMMY_HASH, password[:MAX_PASSWORD])
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)  # parameters were raised since
    return UserInfo.of(user)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(session: Session, email: str, password: str) -> UserInfo:
    """Change a password; every login session of the user ends."""
    user = _require_user(session, email)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    revoke_sessions(session, user.id)
    session.flush()
    return UserInfo.of(user)


def revoke_sessions(session: Session, user_id: int) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# --- memberships -------------------------------------------------------------------


def _membership(session: Session, user: User, account: Account) -> Membership | None:
    return session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.account_id == account.id)
    )


def _admins(session: Session, account: Account) -> int:
    return len(
        session.scalars(
            select(Membership.id).where(
                Membership.account_id == account.id, Membership.role == Role.ADMIN.label
            )
        ).all()
    )


def _keep_an_admin(session: Session, membership: Membership, new_role: Role | None) -> None:
    if membership.role != Role.ADMIN.label or new_role == Role.ADMIN:
        return
    if _admins(session, membership.account) <= 1:
        raise Conflict(
            f"{membership.user.email} is the last admin of {membership.account.slug}: "
            "make someone else admin first"
        )


def role_of(session: Session, email: str, account_slug: str) -> Role | None:
    user = _user(session, email)
    if user is None:
        return None
    membership = _membership(session, user, _account(session, account_slug))
    return None if membership is None else Role.parse(membership.role)


def set_membership(
    session: Session, email: str, account_slug: str, role: str, keep_an_admin: bool = False
) -> None:
    """Give the user ``role`` on the account (added, or changed if already a member).
    ``keep_an_admin`` refuses to demote the account's last admin (the API sets it;
    an operator at the command line may do what they need)."""
    new_role = Role.parse(role)
    user = _require_user(session, email)
    account = _account(session, account_slug)
    membership = _membership(session, user, account)
    if membership is None:
        session.add(Membership(user=user, account=account, role=new_role.label))
    else:
        if keep_an_admin:
            _keep_an_admin(session, membership, new_role)
        membership.role = new_role.label
    session.flush()


def remove_membership(
    session: Session, email: str, account_slug: str, keep_an_admin: bool = False
) -> None:
    user = _require_user(session, email)
    account = _account(session, account_slug)
    membership = _membership(session, user, account)
    if membership is None:
        raise NotFound(f"{user.email} is not a member of {account_slug}")
    if keep_an_admin:
        _keep_an_admin(session, membership, None)
    session.delete(membership)
    session.flush()


def remove_user(session: Session, email: str) -> list[str]:
    """Delete the user, their memberships and their sessions (logged out at once).
    Returns the slugs of the accounts they were a member of."""
    user = _require_user(session, email)
    slugs = sorted(m.account.slug for m in user.memberships)
    revoke_sessions(session, user.id)
    session.delete(user)
    session.flush()
    return slugs


def memberships_of(session: Session, user_id: int) -> dict[str, Role]:
    """Account slug -> role, for one user."""
    rows = session.execute(
        select(Account.slug, Membership.role)
        .join(Membership, Membership.account_id == Account.id)
        .where(Membership.user_id == user_id)
    )
    return {slug: Role.parse(role) for slug, role in rows}


def members_of(session: Session, account_slug: str) -> list[MemberInfo]:
    account = _account(session, account_slug)
    rows = session.scalars(
        select(Membership)
        .options(selectinload(Membership.user))
        .where(Membership.account_id == account.id)
    )
    members = [
        MemberInfo(UserInfo.of(m.user), account.slug, Role.parse(m.role), m.created_at)
        for m in rows
    ]
    return sorted(members, key=lambda m: m.user.email)


def list_users(session: Session) -> list[tuple[UserInfo, dict[str, Role]]]:
    users = session.scalars(
        select(User)
        .options(selectinload(User.memberships).selectinload(Membership.account))
        .order_by(User.email)
    )
    return [
        (UserInfo.of(u), {m.account.slug: Role.parse(m.role) for m in u.memberships}) for u in users
    ]


# --- invitations -------------------------------------------------------------------


@dataclass(frozen=True)
class InviteInfo:
    id: int
    account: str
    email: str
    role: Role
    invited_by: str
    created_at: datetime
    expires_at: datetime


def _invite_info(invite: Invite) -> InviteInfo:
    return InviteInfo(
        id=invite.id,
        account=invite.account.slug,
        email=invite.email,
        role=Role.parse(invite.role),
        invited_by=invite.invited_by,
        created_at=invite.created_at,
        expires_at=invite.expires_at,
    )


def invite(
    session: Session, email: str, account_slug: str, role: str, invited_by: str = "cli"
) -> str:
    """A one-time token that gives ``email`` the role on the account when
    accepted (with a new password, or the existing user's own). Shown once."""
    token, _ = create_invite(session, email, account_slug, role, invited_by)
    return token


def create_invite(
    session: Session, email: str, account_slug: str, role: str, invited_by: str
) -> tuple[str, InviteInfo]:
    email = normalise_email(email)
    parsed = Role.parse(role)
    account = _account(session, account_slug)
    user = _user(session, email)
    if user is not None and _membership(session, user, account) is not None:
        raise Conflict(f"{email} is already a member of {account_slug}")
    token = "tli_" + secrets.token_urlsafe(32)
    row = Invite(
        account=account,
        email=email,
        role=parsed.label,
        token_hash=hash_token(token),
        invited_by=invited_by[:254],
        expires_at=utcnow() + timedelta(days=INVITE_DAYS),
    )
    session.add(row)
    session.flush()
    return token, _invite_info(row)


def pending_invites(session: Session, account_slug: str) -> list[InviteInfo]:
    account = _account(session, account_slug)
    rows = session.scalars(
        select(Invite)
        .options(selectinload(Invite.account))
        .where(
            Invite.account_id == account.id,
            Invite.accepted_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > utcnow(),
        )
        .order_by(Invite.id)
    )
    return [_invite_info(i) for i in rows]


def revoke_invite(session: Session, account_slug: str, invite_id: int) -> InviteInfo:
    account = _account(session, account_slug)
    row = session.scalar(
        select(Invite).where(
            Invite.id == invite_id,
            Invite.account_id == account.id,
            Invite.accepted_at.is_(None),
            Invite.revoked_at.is_(None),
        )
    )
    if row is None:
        raise NotFound(f"no pending invite {invite_id} on {account_slug}")
    row.revoked_at = utcnow()
    session.flush()
    return _invite_info(row)


class InvalidInvite(UsersError):
    """Unknown, used, revoked or expired: one answer for all, so a guessed token
    learns nothing."""


def accept_invite(session: Session, token: str, password: str) -> tuple[UserInfo, InviteInfo, bool]:
    """Accept an invite: a new user sets ``password``; an existing user proves
    who they are with their own. Returns (user, invite, whether the user is new)."""
    row = session.scalar(
        select(Invite)
        .options(selectinload(Invite.account))
        .where(Invite.token_hash == hash_token(token))
    )
    now = utcnow()
    if row is None or row.accepted_at or row.revoked_at or row.expires_at <= now:
        raise InvalidInvite("this invite is unknown, used, revoked or expired; ask for a new one")
    user = _user(session, row.email)
    created = user is None
    if user is None:
        info = create_user(session, row.email, password)
        user = _require_user(session, info.email)
    elif user.password_hash is None:
        user.password_hash = hash_password(password)
        user.password_changed_at = now
    elif authenticate(session, user.email, password) is None:
        raise InvalidInvite(f"{user.email} already has a password: accept with that password")
    membership = _membership(session, user, row.account)
    if membership is None:
        session.add(Membership(user=user, account=row.account, role=row.role))
    elif Role.parse(membership.role) < Role.parse(row.role):
        membership.role = row.role  # an invite never lowers a role already held
    row.accepted_at = now
    session.flush()
    return UserInfo.of(user), _invite_info(row), created
