"""The dbt project's list of ad platforms is touchline.platforms.PLATFORMS: one
variable (``vars: ad_platforms``) in dbt_project.yml, read by the macro
``touchline.ad_platforms()``, and every platform has its staging model, its yml
and its raw table among the sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from touchline.platforms import PLATFORMS

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
STAGING = DBT_PROJECT / "models" / "staging" / "ad_platforms"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_ad_platforms_var_is_the_python_list() -> None:
    project = _yaml(DBT_PROJECT / "dbt_project.yml")
    assert project["vars"]["ad_platforms"] == list(PLATFORMS)


def test_every_platform_has_its_staging_model_and_yml() -> None:
    for platform in PLATFORMS:
        model = f"stg_{platform}__campaign_daily"
        assert (STAGING / f"{model}.sql").is_file(), f"{model}.sql is missing"
        yml = STAGING / f"{model}.yml"
        assert yml.is_file(), f"{model}.yml is missing"
        assert [m["name"] for m in _yaml(yml)["models"]] == [model]


def test_every_platform_is_a_source() -> None:
    sources = _yaml(STAGING / "_ad_platforms__sources.yml")["sources"]
    tables = {t["name"] for s in sources if s["name"] == "ad_platforms" for t in s["tables"]}
    for platform in PLATFORMS:
        assert f"raw_{platform}__campaign_daily" in tables


def test_no_other_platform_has_a_staging_model() -> None:
    staged = {p.name.removeprefix("stg_").removesuffix("__campaign_daily.sql")
              for p in STAGING.glob("stg_*__campaign_daily.sql")}  # fmt: skip
    assert staged == set(PLATFORMS)
