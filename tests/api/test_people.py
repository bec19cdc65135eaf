"""Logging in and out, sessions, CSRF, throttling and invites, over real HTTP,
with the control database on SQLite and on MariaDB."""

from __future__ import annotations

import os

import requests
from sqlalchemy import select

from api.app import create_app
from tests.api.people_site import (  # noqa: F401  (fixtures)
    PASSWORD,
    Site,
    build_site,
    control_settings_fixture,
    site_fixture,
)
from tests.support.people import login
from touchline.control import throttle, users
from touchline.control.db import session_scope
from touchline.control.models import AuditEntry, LoginAttempt, User, UserSession


def post_login(base: str, email: str, password: str, **kwargs) -> requests.Response:
    return requests.post(
        base + "/api/v1/auth/login",
        json={"email": email, "password": password},
        timeout=30,
        **kwargs,
    )


def test_login_sets_a_safe_cookie_and_me_answers(site: Site) -> None:
    response = post_login(site.base, "  Agency@Both.TEST ", PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["email"] == "agency@both.test"
    assert body["accounts"] == [
        {"slug": "acme", "name": "Acme", "role": "viewer"},
        {"slug": "rival", "name": "Rival", "role": "admin"},
    ]
    cookie = response.headers["Set-Cookie"]
    assert "touchline_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on 127.0.0.1 only
    # Only a hash of the token is stored.
    token = response.cookies["touchline_session"]
    with session_scope(site.control_url) as session:
        stored = session.scalars(select(UserSession.token_hash)).all()
    assert token not in stored and users.hash_token(token) in stored

    browser = requests.Session()
    browser.cookies.update(response.cookies)
    me = browser.get(site.url("/api/v1/me"), timeout=30)
    assert me.status_code == 200
    assert me.json()["user"]["email"] == "agency@both.test"
    assert me.json()["csrf_token"] == body["csrf_token"]
    assert me.json()["accounts"] == body["accounts"]


def test_cookie_is_secure_off_localhost(site: Site) -> None:
    response = post_login(
        site.base, "viewer@acme.test", PASSWORD, headers={"Host": "dash.example.com"}
    )
    assert response.status_code == 200
    assert "Secure" in response.headers["Set-Cookie"]


def test_failed_logins_say_nothing_about_the_email(site: Site) -> None:
    unknown = post_login(site.base, "nobody@acme.test", PASSWORD)
    wrong = post_login(site.base, "viewer@acme.test", "not the password")
    malformed = post_login(site.base, "not an email", PASSWORD)
    for response in (unknown, wrong, malformed):
        assert response.status_code == 401
        assert response.json()["error"] == "wrong email or password"
        assert "Set-Cookie" not in response.headers
    missing = requests.post(site.url("/api/v1/auth/login"), json={"email": "x@y.z"}, timeout=30)
    assert missing.status_code == 400 and "password" in missing.json()["error"]
    not_json = requests.post(site.url("/api/v1/auth/login"), data="email=x", timeout=30)
    assert not_json.status_code == 400


def test_logout_needs_csrf_and_ends_the_session(site: Site) -> None:
    browser = site.login("viewer@acme.test")
    csrf = browser.headers.pop("X-CSRF-Token")
    refused = browser.post(site.url("/api/v1/auth/logout"), timeout=30)
    assert refused.status_code == 403
    assert browser.get(site.url("/api/v1/me"), timeout=30).status_code == 200
    stolen = dict(browser.cookies)
    done = browser.post(site.url("/api/v1/auth/logout"), headers={"X-CSRF-Token": csrf}, timeout=30)
    assert done.status_code == 204
    assert (
        'touchline_session=""' in done.headers["Set-Cookie"]
        or "Max-Age=0" in done.headers["Set-Cookie"]
    )
    # The server forgot it: a copy of the old cookie is worth nothing.
    replay = requests.get(site.url("/api/v1/me"), cookies=stolen, timeout=30)
    assert replay.status_code == 401
    assert requests.post(site.url("/api/v1/auth/logout"), timeout=30).status_code == 204


def test_csrf_is_required_for_cookie_changes_only(site: Site) -> None:
    admin = site.login("admin@acme.test")
    path = site.url("/api/v1/accounts/acme/api-keys")
    csrf = admin.headers.pop("X-CSRF-Token")
    for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": csrf[:-1]}):
        refused = admin.post(path, json={"name": "ci"}, headers=headers, timeout=30)
        assert refused.status_code == 403, refused.text
        assert "X-CSRF-Token" in refused.json()["error"]
    assert admin.get(path, timeout=30).status_code == 200  # reads need none
    made = admin.post(path, json={"name": "ci"}, headers={"X-CSRF-Token": csrf}, timeout=30)
    assert made.status_code == 201
    # Another user's token does not fit this session.
    other = site.login("agency@both.test").headers["X-CSRF-Token"]
    assert admin.post(path, json={}, headers={"X-CSRF-Token": other}, timeout=30).status_code == 403
    # API keys are not sent by browsers on their own: no CSRF for them.
    me = requests.get(
        site.url("/api/v1/me"), headers={"X-API-Key": site.keys["acme"]}, timeout=30
    ).json()
    assert me["api_key"]["label"].startswith("api key tlk_") and me["csrf_token"] is None


def test_login_throttle_per_email_is_shared_by_every_worker(site: Site, serve) -> None:
    # A second app on the same control database stands in for another gunicorn
    # worker or another instance: failures counted by one hold in the other.
    other = serve(create_app(site.settings))
    for attempt in range(throttle.MAX_PER_EMAIL):
        base = site.base if attempt % 2 else other
        assert post_login(base, "viewer@acme.test", f"guess {attempt}").status_code == 401
    for base in (site.base, other):
        blocked = post_login(base, "viewer@acme.test", PASSWORD)  # even the right password
        assert blocked.status_code == 429, blocked.text
        wait = int(blocked.headers["Retry-After"])
        assert 0 < wait <= throttle.WINDOW.total_seconds()
        assert "Set-Cookie" not in blocked.headers
    # Other people are not locked out by someone guessing at this one.
    assert post_login(site.base, "editor@acme.test", PASSWORD).status_code == 200
    with session_scope(site.control_url) as session:
        keys = session.scalars(select(LoginAttempt.key)).all()
    assert keys and not any("viewer" in k for k in keys)  # emails are hashed


def test_login_throttle_per_network(settings, serve) -> None:
    served = build_site(settings, serve)
    for n in range(throttle.MAX_PER_NETWORK):
        assert post_login(served.base, f"guess{n}@acme.test", "wrong password").status_code == 401
    blocked = post_login(served.base, "viewer@acme.test", PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


def test_invite_flow_for_a_new_and_an_existing_user(site: Site) -> None:
    admin = site.login("admin@acme.test")
    invites = site.url("/api/v1/accounts/acme/invites")
    made = admin.post(invites, json={"email": "New@Acme.test", "role": "editor"}, timeout=30)
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert made.json()["email"] == "new@acme.test" and made.json()["role"] == "editor"
    listed = admin.get(invites, timeout=30).json()["invites"]
    assert [i["email"] for i in listed] == ["new@acme.test"] and token not in str(listed)

    accept = site.url("/api/v1/auth/accept-invite")
    short = requests.post(accept, json={"token": token, "password": "short"}, timeout=30)
    assert short.status_code == 400 and "at least" in short.json()["error"]
    joined = requests.post(accept, json={"token": token, "password": "a new password"}, timeout=30)
    assert joined.status_code == 201, joined.text
    assert joined.json()["accounts"] == [{"slug": "acme", "name": "Acme", "role": "editor"}]
    assert "HttpOnly" in joined.headers["Set-Cookie"]
    again = requests.post(accept, json={"token": token, "password": "a new password"}, timeout=30)
    assert again.status_code == 400 and "used" in again.json()["error"]
    assert site.login("new@acme.test", "a new password")

    # An existing user accepts with their own password, and keeps it.
    rival_admin = site.login("admin@rival.test")
    invite = rival_admin.post(
        site.url("/api/v1/accounts/rival/invites"),
        json={"email": "viewer@acme.test", "role": "viewer"},
        timeout=30,
    ).json()
    wrong = requests.post(accept, json={"token": invite["token"], "password": "x" * 12}, timeout=30)
    assert wrong.status_code == 400
    ok = requests.post(accept, json={"token": invite["token"], "password": PASSWORD}, timeout=30)
    assert ok.status_code == 201
    assert {a["slug"] for a in ok.json()["accounts"]} == {"acme", "rival"}

    # Revoked invites are dead.
    revoke_me = admin.post(invites, json={"email": "late@acme.test", "role": "viewer"}, timeout=30)
    gone = admin.delete(f"{invites}/{revoke_me.json()['id']}", timeout=30)
    assert gone.status_code == 204
    dead = requests.post(
        accept, json={"token": revoke_me.json()["token"], "password": "whatever123"}, timeout=30
    )
    assert dead.status_code == 400
    with session_scope(site.control_url) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.account_slug == "acme")
        )
        assert list(actions) == ["invite.create", "member.join", "invite.create", "invite.revoke"]


def test_password_change_ends_every_other_session(site: Site) -> None:
    first = site.login("editor@acme.test")
    second = site.login("editor@acme.test")
    path = site.url("/api/v1/me/password")
    wrong = second.post(
        path, json={"current_password": "nope", "new_password": "x" * 10}, timeout=30
    )
    assert wrong.status_code == 403 and "current password" in wrong.json()["error"]
    changed = second.post(
        path, json={"current_password": PASSWORD, "new_password": "another password"}, timeout=30
    )
    assert changed.status_code == 200, changed.text
    assert first.get(site.url("/api/v1/me"), timeout=30).status_code == 401
    # The browser that changed it got a fresh session (and CSRF token).
    second.headers["X-CSRF-Token"] = changed.json()["csrf_token"]
    assert second.get(site.url("/api/v1/me"), timeout=30).status_code == 200
    assert post_login(site.base, "editor@acme.test", PASSWORD).status_code == 401
    assert site.login("editor@acme.test", "another password")
    with session_scope(site.control_url) as session:
        stored = session.scalar(select(User.password_hash).where(User.email == "editor@acme.test"))
    assert stored.startswith("$argon2id$") and "another password" not in stored


def test_removed_users_are_logged_out(site: Site) -> None:
    browser = site.login("viewer@acme.test")
    with session_scope(site.control_url) as session:
        users.remove_user(session, "viewer@acme.test")
    assert browser.get(site.url("/api/v1/me"), timeout=30).status_code == 401


def test_sessions_and_throttle_under_gunicorn_workers(settings, serve) -> None:
    """The real server, as ``touchline api serve`` runs it: three worker processes
    share nothing but the control database, yet agree on sessions and failures."""
    from demo.walkthrough import Service
    from tests.support.processes import free_port

    build_site(settings, serve)  # accounts and people in the test's control database
    args = ["api", "serve", "--workers", "3", "--threads", "2"]
    with Service("report API", args, free_port(), dict(os.environ)) as api:
        browser = login(api.base_url, "agency@both.test", PASSWORD)
        for _ in range(12):  # spread over the workers
            assert browser.get(api.base_url + "/api/v1/me", timeout=30).status_code == 200
        for attempt in range(throttle.MAX_PER_EMAIL):
            assert post_login(api.base_url, "viewer@acme.test", f"{attempt}").status_code == 401
        for _ in range(3):
            blocked = post_login(api.base_url, "viewer@acme.test", PASSWORD)
            assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
        assert requests.get(api.base_url + "/api/v1/me", timeout=30).status_code == 401
