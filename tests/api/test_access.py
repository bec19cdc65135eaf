"""Who may call what, over real HTTP: 401 without credentials on every endpoint,
nothing of another account for anybody, roles per account, API keys, members
and the audit log."""

from __future__ import annotations

import requests
from flask import Flask
from sqlalchemy import select

from api.access import PUBLIC_ENDPOINTS
from api.app import create_app
from tests.api.people_site import (  # noqa: F401  (fixtures)
    PASSWORD,
    Site,
    control_settings_fixture,
    site_fixture,
)
from touchline.control.db import session_scope
from touchline.control.models import AuditEntry

CHANGES = ("POST", "PUT", "PATCH", "DELETE")


def every_route(app: Flask, slug: str) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route of the app, arguments filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        values = {}
        for name in rule.arguments:
            converter = type(rule._converters[name]).__name__  # noqa: SLF001
            values[name] = slug if name == "slug" else 1 if "Integer" in converter else "x"
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url))
    return routes


def test_no_credentials_no_data_on_every_endpoint(site: Site) -> None:
    app = create_app(site.settings)
    checked = 0
    for endpoint, method, url in every_route(app, "acme"):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        for headers in ({}, {"Authorization": "Bearer tlk_forged"}, {"X-API-Key": "nope"}):
            response = requests.request(method, site.url(url), headers=headers, timeout=30)
            assert response.status_code == 401, (endpoint, method, url, response.text)
            assert set(response.json()) == {"error", "status"}, (endpoint, response.text)
        checked += 1
    assert checked >= 10
    # An unknown URL says nothing either until one is logged in.
    assert requests.get(site.url("/api/v1/nothing-here"), timeout=30).status_code == 401
    forged = requests.get(
        site.url("/api/v1/me"), cookies={"touchline_session": "forged"}, timeout=30
    )
    assert forged.status_code == 401


def test_nothing_of_another_account_for_its_users_or_keys(site: Site) -> None:
    app = create_app(site.settings)
    admin = site.login("admin@acme.test")
    key = requests.Session()
    key.headers["Authorization"] = f"Bearer {site.keys['acme']}"
    routes = [r for r in every_route(app, "rival") if "/accounts/rival" in r[2]]
    assert len(routes) >= 8
    for endpoint, method, url in routes:
        for caller in (admin, key):
            body = {} if method in CHANGES else None
            response = caller.request(method, site.url(url), json=body, timeout=30)
            assert response.status_code == 404, (endpoint, method, url, response.text)
            assert response.json()["error"] == "no account 'rival' among yours"
    # The same answer for an account that does not exist: slugs cannot be probed.
    assert admin.get(site.url("/api/v1/accounts/ghost/members"), timeout=30).status_code == 404
    # Reports too, when asked for another account.
    for caller in (admin, key):
        response = caller.get(
            site.url("/api/v1/reports/channel_daily"), params={"account": "rival"}, timeout=30
        )
        assert response.status_code == 404, response.text
        assert "rival" not in str(response.json().get("data", ""))


def test_roles_per_account(site: Site) -> None:
    members = "/api/v1/accounts/acme/members"
    viewer = site.login("viewer@acme.test")
    editor = site.login("editor@acme.test")
    admin = site.login("admin@acme.test")
    key = requests.Session()
    key.headers["X-API-Key"] = site.keys["acme"]
    # Settings: viewers (and keys) read, editors change.
    for caller in (viewer, key):
        assert caller.get(site.url("/api/v1/accounts/acme"), timeout=30).status_code == 200
        refused = caller.patch(site.url("/api/v1/accounts/acme"), json={"name": "X"}, timeout=30)
        assert refused.status_code == 403, refused.text
        assert "editor" in refused.json()["error"]
    for caller, name in ((editor, "Acme by editor"), (admin, "Acme by admin")):
        changed = caller.patch(site.url("/api/v1/accounts/acme"), json={"name": name}, timeout=30)
        assert changed.status_code == 200, changed.text
    # People, keys and the audit log: admins only.
    for caller in (viewer, editor, key):
        for path in (members, "/api/v1/accounts/acme/api-keys", "/api/v1/accounts/acme/audit"):
            refused = caller.get(site.url(path), timeout=30)
            assert refused.status_code == 403, (path, refused.text)
            assert "admin" in refused.json()["error"]
        added = caller.post(
            site.url(members), json={"email": "admin@rival.test", "role": "admin"}, timeout=30
        )
        assert added.status_code == 403
    assert admin.get(site.url(members), timeout=30).status_code == 200
    # A role is per account: the agency user is admin of rival, viewer of acme.
    agency = site.login("agency@both.test")
    assert agency.get(site.url("/api/v1/accounts/rival/members"), timeout=30).status_code == 200
    assert agency.get(site.url(members), timeout=30).status_code == 403


def test_members_are_managed_by_admins_and_audited(site: Site) -> None:
    admin = site.login("admin@acme.test")
    members = site.url("/api/v1/accounts/acme/members")
    listed = admin.get(members, timeout=30).json()["members"]
    by_email = {m["email"]: m for m in listed}
    assert set(by_email) == {
        "admin@acme.test",
        "editor@acme.test",
        "viewer@acme.test",
        "agency@both.test",
    }
    assert "password" not in str(listed).replace("has_password", "")

    added = admin.post(members, json={"email": "Admin@Rival.test", "role": "editor"}, timeout=30)
    assert added.status_code == 201, added.text
    rival_admin = added.json()
    assert rival_admin["email"] == "admin@rival.test" and rival_admin["role"] == "editor"
    twice = admin.post(members, json={"email": "admin@rival.test", "role": "viewer"}, timeout=30)
    assert twice.status_code == 409
    unknown = admin.post(members, json={"email": "who@else.test", "role": "viewer"}, timeout=30)
    assert unknown.status_code == 404 and "invite" in unknown.json()["error"]
    bad_role = admin.post(members, json={"email": "viewer@acme.test", "role": "owner"}, timeout=30)
    assert bad_role.status_code in (400, 409)

    viewer_id = by_email["viewer@acme.test"]["user_id"]
    promoted = admin.patch(f"{members}/{viewer_id}", json={"role": "editor"}, timeout=30)
    assert promoted.status_code == 200 and promoted.json()["role"] == "editor"
    # The new editor can now change settings; removed, they see nothing of acme.
    former = site.login("viewer@acme.test")
    assert former.patch(site.url("/api/v1/accounts/acme"), json={"name": "A"}, timeout=30).ok
    assert admin.delete(f"{members}/{viewer_id}", timeout=30).status_code == 204
    assert former.get(site.url("/api/v1/accounts/acme"), timeout=30).status_code == 404
    assert former.get(site.url("/api/v1/me"), timeout=30).json()["accounts"] == []

    # The last admin can neither leave nor be demoted.
    own_id = by_email["admin@acme.test"]["user_id"]
    last = admin.patch(f"{members}/{own_id}", json={"role": "viewer"}, timeout=30)
    assert last.status_code == 409 and "last admin" in last.json()["error"]
    assert admin.delete(f"{members}/{own_id}", timeout=30).status_code == 409
    assert admin.delete(f"{members}/999999", timeout=30).status_code == 404

    log = admin.get(site.url("/api/v1/accounts/acme/audit"), timeout=30).json()["entries"]
    people = [e for e in log if e["action"].startswith("member.")]
    assert [(e["action"], e["target"], e["before"], e["after"]) for e in people] == [
        ("member.remove", "viewer@acme.test", {"role": "editor"}, None),
        ("member.role", "viewer@acme.test", {"role": "viewer"}, {"role": "editor"}),
        ("member.add", "admin@rival.test", None, {"role": "editor"}),
    ]
    assert all(e["actor"] == "admin@acme.test" and e["at"].endswith("Z") for e in people)
    # rival's admin sees none of acme's trail.
    rival = site.login("admin@rival.test")
    assert rival.get(site.url("/api/v1/accounts/rival/audit"), timeout=30).json()["entries"] == []


def test_api_keys_shown_once_and_revoked(site: Site) -> None:
    admin = site.login("admin@acme.test")
    keys = site.url("/api/v1/accounts/acme/api-keys")
    made = admin.post(keys, json={"name": "warehouse sync"}, timeout=30)
    assert made.status_code == 201, made.text
    plaintext = made.json()["key"]
    assert plaintext.startswith(made.json()["prefix"])
    listed = admin.get(keys, timeout=30).json()["api_keys"]
    assert [k["name"] for k in listed] == ["test", "warehouse sync"]
    assert plaintext not in str(listed)
    me = requests.get(site.url("/api/v1/me"), headers={"X-API-Key": plaintext}, timeout=30)
    assert me.json()["accounts"] == [{"slug": "acme", "name": "Acme", "role": "viewer"}]

    assert admin.delete(f"{keys}/{made.json()['id']}", timeout=30).status_code == 204
    assert admin.delete(f"{keys}/{made.json()['id']}", timeout=30).status_code == 404
    revoked = requests.get(site.url("/api/v1/me"), headers={"X-API-Key": plaintext}, timeout=30)
    assert revoked.status_code == 401
    # rival's key ids are not acme's to revoke.
    rival = site.login("admin@rival.test")
    rival_keys = rival.get(site.url("/api/v1/accounts/rival/api-keys"), timeout=30).json()
    rival_id = rival_keys["api_keys"][0]["id"]
    assert admin.delete(f"{keys}/{rival_id}", timeout=30).status_code == 404
    still = requests.get(
        site.url("/api/v1/me"), headers={"X-API-Key": site.keys["rival"]}, timeout=30
    )
    assert still.status_code == 200

    with session_scope(site.control_url) as session:
        trail = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        written = " ".join(f"{e.before_json} {e.after_json}" for e in trail)
    assert [e.action for e in trail] == ["api_key.create", "api_key.revoke"]
    assert plaintext not in written and plaintext[12:] not in written


def test_audit_log_pages_newest_first(site: Site) -> None:
    admin = site.login("admin@acme.test")
    keys = site.url("/api/v1/accounts/acme/api-keys")
    for n in range(5):
        assert admin.post(keys, json={"name": f"k{n}"}, timeout=30).status_code == 201
    audit = site.url("/api/v1/accounts/acme/audit")
    first = admin.get(audit, params={"limit": 2}, timeout=30).json()
    assert [e["after"]["name"] for e in first["entries"]] == ["k4", "k3"]
    second = admin.get(audit, params={"limit": 2, "before": first["next_before"]}, timeout=30)
    assert [e["after"]["name"] for e in second.json()["entries"]] == ["k2", "k1"]
    last = admin.get(audit, params={"limit": 2, "before": second.json()["next_before"]}, timeout=30)
    assert [e["after"]["name"] for e in last.json()["entries"]] == ["k0"]
    assert last.json()["next_before"] is None
    for bad in ({"limit": 0}, {"limit": "many"}, {"before": -1}):
        assert admin.get(audit, params=bad, timeout=30).status_code == 400
