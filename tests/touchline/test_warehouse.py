"""Warehouse URLs and the dbt environment they give. Loading is tested in
tests/test_loader.py."""

from __future__ import annotations

import pytest

from touchline.warehouse import WarehouseError, dbt_env, parse_warehouse_url


def test_urls_pick_the_dialect_and_dbt_profile() -> None:
    duck = parse_warehouse_url("duckdb:////data/w.duckdb")
    assert (duck.dialect, duck.path, duck.schema) == ("duckdb", "/data/w.duckdb", "main")
    mysql = parse_warehouse_url("mysql+pymysql://u:p%40ss@db.internal:3307/wh")
    assert (mysql.dialect, mysql.host, mysql.port, mysql.password, mysql.schema) == (
        "mysql",
        "db.internal",
        3307,
        "p@ss",
        "wh",
    )
    assert parse_warehouse_url("mysql+pymysql://u:p@h/wh", "10.11.9-MariaDB").dialect == "mariadb"
    assert parse_warehouse_url("mariadb+pymysql://u:p@h/wh").dialect == "mariadb"
    env = dbt_env(mysql)
    assert env["TOUCHLINE_DBT_TARGET"] == "mysql"
    assert env["DBT_ENV_SECRET_TOUCHLINE_DBT_PASSWORD"] == "p@ss"
    assert "p@ss" not in mysql.redacted()


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgres://x/y", "unsupported warehouse URL scheme"),
        ("duckdb://", "needs a file path"),
        ("mysql+pymysql://u:p@h/", "needs a host and a database"),
    ],
)
def test_bad_urls_get_clear_errors(url, message) -> None:
    with pytest.raises(WarehouseError, match=message):
        parse_warehouse_url(url)


def test_a_password_dbt_would_mask_inside_model_names_is_refused() -> None:
    with pytest.raises(WarehouseError, match="password"):
        dbt_env(parse_warehouse_url("mysql+pymysql://u:touch@h/wh"))


def test_raw_hits_indexes_of_an_earlier_version_are_replaced_once() -> None:
    from touchline.tables import RAW_HITS

    raw_hits_index_changes = RAW_HITS.index_changes

    assert raw_hits_index_changes({"ix_raw_hits_partition"}) == [
        "ALTER TABLE raw_hits DROP INDEX ix_raw_hits_partition, "
        "ADD INDEX ix_raw_hits_day (account, event_date)"
    ]
    assert raw_hits_index_changes(set()) == [
        "ALTER TABLE raw_hits ADD INDEX ix_raw_hits_day (account, event_date)"
    ]
    assert raw_hits_index_changes({"ix_raw_hits_day"}) == []
