"""One object owns the environment of a dbt call (touchline.dbt.invocation)."""

from __future__ import annotations

import os
from datetime import date

from touchline.dbt.invocation import PARTITION_ENV, DbtInvocation
from touchline.warehouse import parse_warehouse_url

TARGET = parse_warehouse_url("duckdb:////tmp/touchline-test/warehouse.duckdb")


def test_a_range_call_sets_its_partitions_and_selection_and_restores_the_process(
    monkeypatch,
) -> None:
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "eager")
    monkeypatch.delenv("TOUCHLINE_PARTITION_START", raising=False)
    call = DbtInvocation.for_range(
        TARGET, ["a", "b"], date(2026, 11, 2), date(2026, 11, 5), "buildable"
    )
    env = call.env()
    assert env["TOUCHLINE_PARTITION_ACCOUNTS"] == "a,b"
    assert (env["TOUCHLINE_PARTITION_START"], env["TOUCHLINE_PARTITION_END"]) == (
        "2026-11-02",
        "2026-11-05",
    )
    assert env["DBT_INDIRECT_SELECTION"] == "buildable"
    assert env["TOUCHLINE_DBT_TARGET"] == "duckdb"
    with call.applied():
        assert os.environ["DBT_INDIRECT_SELECTION"] == "buildable"
        assert os.environ["TOUCHLINE_PARTITION_START"] == "2026-11-02"
    assert os.environ["DBT_INDIRECT_SELECTION"] == "eager"
    assert "TOUCHLINE_PARTITION_START" not in os.environ


def test_a_call_without_a_range_builds_everything() -> None:
    base = {"TOUCHLINE_PARTITION_ACCOUNTS": "stale", "PATH": "/bin"}
    env = DbtInvocation(TARGET).subprocess_env(base)
    assert not set(PARTITION_ENV) & set(env)
    assert env["PATH"] == "/bin"
