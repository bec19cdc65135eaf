"""Dashboard users for tests: made straight in the control database, then logged
in over real HTTP like a browser (cookie jar + the CSRF header)."""

from __future__ import annotations

import requests

from touchline.control import users
from touchline.control.db import session_scope


def add_user(control_db_url: str, email: str, password: str, roles: dict[str, str]) -> None:
    """Create the user (or keep an existing one) with ``roles``: slug -> role."""
    with session_scope(control_db_url) as session:
        if users.find_user(session, email) is None:
            users.create_user(session, email, password)
        for slug, role in roles.items():
            users.set_membership(session, email, slug, role)


def login(base_url: str, email: str, password: str) -> requests.Session:
    """A logged-in ``requests.Session``: the cookie in its jar and
    ``X-CSRF-Token`` set on every request it sends."""
    browser = requests.Session()
    response = browser.post(
        f"{base_url}/api/v1/auth/login", json={"email": email, "password": password}, timeout=30
    )
    if response.status_code != 200:
        raise AssertionError(f"login of {email} failed: {response.status_code} {response.text}")
    browser.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return browser
