"""Touchline installs its top-level packages unprefixed (``cli``, ``demo``,
``orchestration``, ``api``, ``collector``, ``connectors``, ``touchline``): the layout
is the customer's, and every import reads as the folder it lives in. The price is
that another distribution could ship a package of the same name into the same
environment and shadow ours. This test is the guard: in the environment Touchline
is installed in, no other distribution provides any of those names."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

from tests.support.processes import REPO

OURS = [
    pattern.rstrip("*")
    for pattern in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
]


@pytest.mark.parametrize("package", OURS)
def test_no_other_distribution_ships_our_top_level_package(package: str) -> None:
    others = [
        d
        for d in importlib.metadata.packages_distributions().get(package, [])
        if d.lower() != "touchline"
    ]
    assert others == [], f"{others} also install a top-level package named {package!r}"


def test_every_top_level_folder_with_python_is_a_listed_package() -> None:
    folders = {p.parent.name for p in REPO.glob("*/__init__.py")}
    assert folders - {"tests"} == set(OURS)
