"""A served API with two accounts and people of every role, on a SQLite or a
MariaDB control database: what the people and access tests share."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from api.app import create_app
from tests.support.people import add_user, login
from touchline.control import registry
from touchline.control.db import migrate, session_scope
from touchline.settings import Settings

PASSWORD = "correct horse battery"
PEOPLE = {
    "admin@acme.test": {"acme": "admin"},
    "editor@acme.test": {"acme": "editor"},
    "viewer@acme.test": {"acme": "viewer"},
    "admin@rival.test": {"rival": "admin"},
    "agency@both.test": {"acme": "viewer", "rival": "admin"},
}


@dataclass
class Site:
    base: str
    settings: Settings
    keys: dict[str, str]  # account slug -> an API key of it

    @property
    def control_url(self) -> str:
        return self.settings.resolved_control_db_url

    def login(self, email: str, password: str = PASSWORD) -> requests.Session:
        return login(self.base, email, password)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(
    name="control_settings",
    params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)],
)
def control_settings_fixture(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The test's settings with the control database on SQLite or MariaDB."""
    if request.param == "sqlite":
        return settings
    url = request.getfixturevalue("mariadb_url")
    migrate(url)
    return settings.model_copy(update={"control_db_url": url})


def build_site(settings: Settings, serve) -> Site:
    url = settings.resolved_control_db_url
    keys = {}
    with session_scope(url) as session:
        for slug in ("acme", "rival"):
            registry.create_account(session, slug, slug.title())
            keys[slug] = registry.create_api_key(session, slug, "test").plaintext
    for email, roles in PEOPLE.items():
        add_user(url, email, PASSWORD, roles)
    return Site(base=serve(create_app(settings)), settings=settings, keys=keys)


# Test modules import the fixtures by these names (``name=`` keeps ruff from
# reading a test's ``site`` argument as a redefinition of the import).
@pytest.fixture(name="site")
def site_fixture(control_settings: Settings, serve) -> Site:
    return build_site(control_settings, serve)
