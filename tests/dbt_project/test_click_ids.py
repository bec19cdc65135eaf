"""The click ids are listed twice by necessity, once in Python (the hit contract
lands them as raw_hits columns) and once in dbt (macros/touchline/click_ids.sql
says what each means); this test holds the two lists equal."""

from __future__ import annotations

import re

from tests.support.processes import REPO
from touchline.contract import CLICK_ID_FIELDS
from touchline.platforms import PLATFORMS

MACRO = REPO / "dbt_project" / "macros" / "touchline" / "click_ids.sql"


def entries() -> list[dict[str, str]]:
    return [
        dict(re.findall(r"'(\w+)': '?(\w+)'?", line))
        for line in MACRO.read_text().splitlines()
        if line.strip().startswith("{'name'")
    ]


def test_dbt_knows_every_click_id_the_contract_lands() -> None:
    # the same ids; each list keeps its own order (dbt's is its models' column order)
    assert sorted(e["name"] for e in entries()) == sorted(CLICK_ID_FIELDS)


def test_each_click_id_points_to_a_listed_platform_or_none() -> None:
    for entry in entries():
        assert entry["ad_platform"] in (*PLATFORMS, "none"), entry
    ranks = sorted(int(e["rank"]) for e in entries())
    assert ranks == list(range(1, len(ranks) + 1))
