"""Schemathesis drives every operation of ``/api/v1/openapi.json`` over real HTTP
with a valid API key: no 5xx, and every answer as the document describes it.

The examples per operation stay few (the suite's budget); hypothesis still
mixes every parameter the document declares, filters and negations included.
"""

from __future__ import annotations

import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.report_data import app_for, create_marts
from tests.support.dbt import DbtRunner
from touchline.settings import Settings
from touchline.warehouse import Warehouse

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 6


def test_the_document_is_authenticated_and_holds_no_data(
    settings: Settings, make_account, serve, tmp_path
) -> None:
    _, key = make_account("acme")
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    create_marts(url)
    base = serve(app_for(settings, url))
    assert requests.get(f"{base}/api/v1/openapi.json", timeout=10).status_code == 401
    response = requests.get(f"{base}/api/v1/openapi.json", headers={"X-API-Key": key}, timeout=10)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/reports/attribution_campaign_daily.csv" in document["paths"]
    text = json.dumps(document)
    for value in ("acme", "rival", "Brand_%50", "Retargeting", "Secret"):
        assert value not in text


@pytest.mark.parametrize("dialect", ["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def test_schemathesis_finds_no_5xx_and_no_schema_violation(
    dialect: str, settings: Settings, make_account, serve, tmp_path, request
) -> None:
    _, key = make_account("acme")
    make_account("rival")
    if dialect == "duckdb":
        url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    else:
        url = request.getfixturevalue("mariadb_url")
    # Every mart exists (a real dbt build of an empty warehouse), two hold rows.
    warehouse = Warehouse(url)
    warehouse.ensure_raw_tables()
    DbtRunner(warehouse, tmp_path / "dbt").build("--select", "marts", "+marts")
    create_marts(url, tables_exist=True)
    base = serve(app_for(settings, url))
    headers = {"Authorization": f"Bearer {key}"}
    document = requests.get(f"{base}/api/v1/openapi.json", headers=headers, timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 2 + 2 * 8

    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)

        run()
