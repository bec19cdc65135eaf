"""The table registry (touchline.tables) and dbt's on-run-start create the same
tables: the same columns, types, nullability and keys, on both warehouses."""

from __future__ import annotations

from pathlib import Path

from tests.support.dbt import DbtRunner
from touchline.tables import RAW_HITS, TABLES
from touchline.warehouse import Warehouse

# The hooks in dbt_project.yml's on-run-start that create tables.
DBT_TABLE_HOOKS = ("ensure_ad_platform_raw_tables", "ensure_computed_tables")


def _schema(warehouse: Warehouse) -> dict[str, list[tuple]]:
    """Per table: its columns (name, type, nullable) in order and, on MySQL, its
    indexes (name, position, column, unique) and table options."""
    if warehouse.dialect == "duckdb":
        columns = warehouse.query(
            "SELECT table_name AS t, column_name, data_type, is_nullable "
            "FROM information_schema.columns ORDER BY table_name, ordinal_position"
        )
        indexes: list[dict] = []
        tables: list[dict] = []
    else:
        schema = [warehouse.target.database]
        columns = warehouse.query(
            "SELECT table_name AS t, column_name, column_type, is_nullable, collation_name "
            "FROM information_schema.columns WHERE table_schema = ? "
            "ORDER BY table_name, ordinal_position",
            schema,
        )
        indexes = warehouse.query(
            "SELECT table_name AS t, index_name, seq_in_index, column_name, non_unique "
            "FROM information_schema.statistics WHERE table_schema = ? "
            "ORDER BY table_name, index_name, seq_in_index",
            schema,
        )
        tables = warehouse.query(
            "SELECT table_name AS t, engine, table_collation "
            "FROM information_schema.tables WHERE table_schema = ?",
            schema,
        )
    out: dict[str, list[tuple]] = {}
    for row in [*columns, *indexes, *tables]:
        table = str(row.pop("t")).lower()
        out.setdefault(table, []).append(tuple(str(v).lower() for v in row.values()))
    return out


def _drop_all(warehouse: Warehouse, names: list[str]) -> None:
    with warehouse.connect() as conn:
        if warehouse.dialect == "duckdb":
            for name in names:
                conn.execute(f"DROP TABLE {name}")
        else:
            with conn.cursor() as cur:
                for name in names:
                    cur.execute(f"DROP TABLE {name}")
            conn.commit()


def test_dbt_on_run_start_creates_the_registrys_tables(warehouse_url: str, tmp_path: Path) -> None:
    warehouse = Warehouse(warehouse_url)
    warehouse.create_tables(*TABLES)
    registry = _schema(warehouse)
    assert set(registry) == {t.name for t in TABLES}
    _drop_all(warehouse, list(registry))

    dbt = DbtRunner(warehouse, tmp_path)
    for hook in DBT_TABLE_HOOKS:
        dbt.run_operation(hook)
    from_dbt = _schema(warehouse)

    # raw_hits is the loader's alone: dbt's sources read it, never create it.
    del registry[RAW_HITS.name]
    assert sorted(from_dbt) == sorted(registry)
    for table in registry:
        assert from_dbt[table] == registry[table], table
