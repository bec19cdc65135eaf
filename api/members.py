"""An account's people, for its admins.

``GET    /api/v1/accounts/<slug>/members``            who has which role
``POST   /api/v1/accounts/<slug>/members``            {email, role}: an existing user joins
``PATCH  /api/v1/accounts/<slug>/members/<user_id>``  {role}
``DELETE /api/v1/accounts/<slug>/members/<user_id>``
``GET    /api/v1/accounts/<slug>/invites``            pending invites (never their tokens)
``POST   /api/v1/accounts/<slug>/invites``            {email, role} -> the token, shown once
``DELETE /api/v1/accounts/<slug>/invites/<id>``

The account's last admin can be neither demoted nor removed here (409), so an
account always has someone who can manage it.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api import access
from api.access import Role
from api.bodies import iso, json_body, refusal, text_field
from touchline.control import users
from touchline.control.registry import RegistryError
from touchline.control.users import MemberInfo

bp = Blueprint("members", __name__, url_prefix="/api/v1/accounts/<slug>")


def _member_json(member: MemberInfo) -> dict[str, object]:
    return {
        "user_id": member.user.id,
        "email": member.user.email,
        "name": member.user.name,
        "role": member.role.label,
        "since": iso(member.since),
        "has_password": member.user.has_password,
    }


def _member(session, slug: str, user_id: int) -> MemberInfo:
    for member in users.members_of(session, slug):
        if member.user.id == user_id:
            return member
    raise users.NotFound(f"user {user_id} is not a member of {slug}")


@bp.get("/members")
def list_members(slug: str) -> Response:
    account = access.account_for(slug, Role.ADMIN)
    with access.control() as session:
        members = users.members_of(session, account.slug)
    return jsonify(members=[_member_json(m) for m in members])


@bp.post("/members")
def add_member(slug: str) -> tuple[Response, int]:
    account = access.account_for(slug, Role.ADMIN)
    body = json_body()
    email, role = text_field(body, "email") or "", text_field(body, "role") or ""
    try:
        with access.control() as session:
            user = users.find_user(session, email)
            if user is None:
                raise users.NotFound(f"no user {users.normalise_email(email)}: invite them instead")
            if users.role_of(session, user.email, account.slug) is not None:
                raise users.Conflict(f"{user.email} is already a member; change their role instead")
            users.set_membership(session, user.email, account.slug, role)
            member = _member(session, account.slug, user.id)
            access.record(
                session, account.slug, "member.add", user.email, None, {"role": member.role.label}
            )
    except RegistryError as exc:
        raise refusal(exc) from None
    return jsonify(_member_json(member)), 201


@bp.patch("/members/<int:user_id>")
def change_role(slug: str, user_id: int) -> Response:
    account = access.account_for(slug, Role.ADMIN)
    role = text_field(json_body(), "role") or ""
    try:
        with access.control() as session:
            before = _member(session, account.slug, user_id)
            users.set_membership(session, before.user.email, account.slug, role, keep_an_admin=True)
            after = _member(session, account.slug, user_id)
            if after.role != before.role:
                access.record(
                    session,
                    account.slug,
                    "member.role",
                    before.user.email,
                    {"role": before.role.label},
                    {"role": after.role.label},
                )
    except RegistryError as exc:
        raise refusal(exc) from None
    return jsonify(_member_json(after))


@bp.delete("/members/<int:user_id>")
def remove_member(slug: str, user_id: int) -> Response:
    account = access.account_for(slug, Role.ADMIN)
    try:
        with access.control() as session:
            member = _member(session, account.slug, user_id)
            users.remove_membership(session, member.user.email, account.slug, keep_an_admin=True)
            access.record(
                session,
                account.slug,
                "member.remove",
                member.user.email,
                {"role": member.role.label},
                None,
            )
    except RegistryError as exc:
        raise refusal(exc) from None
    return Response(status=204)


def _invite_json(invite: users.InviteInfo) -> dict[str, object]:
    return {
        "id": invite.id,
        "email": invite.email,
        "role": invite.role.label,
        "invited_by": invite.invited_by,
        "created_at": iso(invite.created_at),
        "expires_at": iso(invite.expires_at),
    }


@bp.get("/invites")
def list_invites(slug: str) -> Response:
    account = access.account_for(slug, Role.ADMIN)
    with access.control() as session:
        pending = users.pending_invites(session, account.slug)
    return jsonify(invites=[_invite_json(i) for i in pending])


@bp.post("/invites")
def create_invite(slug: str) -> tuple[Response, int]:
    account = access.account_for(slug, Role.ADMIN)
    body = json_body()
    email, role = text_field(body, "email") or "", text_field(body, "role") or ""
    try:
        with access.control() as session:
            token, invite = users.create_invite(session, email, account.slug, role, access.actor())
            access.record(
                session,
                account.slug,
                "invite.create",
                invite.email,
                None,
                {
                    "email": invite.email,
                    "role": invite.role.label,
                    "expires_at": iso(invite.expires_at),
                },
            )
    except RegistryError as exc:
        raise refusal(exc) from None
    # The token is shown this once: the dashboard turns it into a link.
    return jsonify({**_invite_json(invite), "token": token}), 201


@bp.delete("/invites/<int:invite_id>")
def revoke_invite(slug: str, invite_id: int) -> Response:
    account = access.account_for(slug, Role.ADMIN)
    try:
        with access.control() as session:
            invite = users.revoke_invite(session, account.slug, invite_id)
            access.record(
                session,
                account.slug,
                "invite.revoke",
                invite.email,
                {"email": invite.email, "role": invite.role.label},
                None,
            )
    except RegistryError as exc:
        raise refusal(exc) from None
    return Response(status=204)
