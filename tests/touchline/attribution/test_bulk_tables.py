"""The attribution assets' bulk writer keeps every value as it was: NULL apart
from an empty text, quotes, commas, tabs and newlines inside texts, numbers,
dates; and it replaces exactly the rows it is told to (DuckDB and MariaDB)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from orchestration.defs.attribution.tables import ensure_tables, replace_rows
from touchline.tables import (
    ACCOUNT_CHANNEL_RULES,
    ATTRIBUTION_PATH_CREDITS,
    ATTRIBUTION_RESTATEMENTS,
)
from touchline.warehouse import Warehouse


@pytest.fixture(params=["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def warehouse(request, tmp_path: Path) -> Warehouse:
    if request.param == "mariadb":
        return Warehouse(request.getfixturevalue("mariadb_url"))
    return Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")


def test_values_survive_and_only_the_named_rows_are_replaced(warehouse: Warehouse) -> None:
    ensure_tables(warehouse)
    odd = 'he said "hi", then\ttabbed\nand left \\ here'
    rules = [
        ("acme", 1, 1, "campaign", "equals", odd, 'Quoted, "channel"'),
        ("acme", 1, 2, "content", "present", "", 'Quoted, "channel"'),
        ("acme", 2, 1, "source", "absent", None, "Other"),
    ]
    assert replace_rows(warehouse, ACCOUNT_CHANNEL_RULES, rules, "account = ?", ["acme"]) == 3
    replace_rows(warehouse, ACCOUNT_CHANNEL_RULES, [("beta", 1, 1, "source", "equals", "x", "B")],
                 "account = ?", ["beta"])  # fmt: skip
    got = warehouse.query(
        "SELECT account, rule_position, condition_position, field, operator, value, channel "
        "FROM account_channel_rules ORDER BY account, rule_position, condition_position"
    )
    assert [tuple(r.values()) for r in got] == [
        *rules,
        ("beta", 1, 1, "source", "equals", "x", "B"),
    ]

    # Replacing acme's rows with none leaves beta's alone.
    assert replace_rows(warehouse, ACCOUNT_CHANNEL_RULES, [], "account = ?", ["acme"]) == 0
    left = warehouse.query("SELECT account FROM account_channel_rules")
    assert [r["account"] for r in left] == ["beta"]

    credits = [("acme", date(2026, 10, 1), "markov", "a" * 32, 1, "Email", 1 / 3, 2.5e-05)]
    replace_rows(warehouse, ATTRIBUTION_PATH_CREDITS, credits, "account = ?", ["acme"])
    row = warehouse.query("SELECT * FROM attribution_path_credits")[0]
    assert str(row["period_start"])[:10] == "2026-10-01"
    assert row["conversion_share"] == 1 / 3 and row["value_share"] == 2.5e-05

    at = datetime(2026, 10, 2, 3, 4, 5, 678901)
    plan = [("acme", date(2026, 10, 1), date(2026, 10, 31), at)]
    replace_rows(warehouse, ATTRIBUTION_RESTATEMENTS, plan, "account = ?", ["acme"])
    row = warehouse.query("SELECT * FROM attribution_restatements")[0]
    assert row["planned_at"] == at
