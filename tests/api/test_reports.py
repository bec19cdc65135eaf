"""The report API's query features over real HTTP, on DuckDB (the serving copy)
and MariaDB, against marts with known rows (tests/api/report_data.py); every
figure is checked against SQL run straight on the warehouse."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from tests.api.report_data import D0, app_for, create_marts, sql_rows
from touchline.settings import Settings

REPORT = "/api/v1/reports/attribution_campaign_daily"
CHANNELS = "/api/v1/reports/channel_daily"


class Api:
    def __init__(self, base: str, key: str, rival_key: str) -> None:
        self.base, self.key, self.rival_key = base, key, rival_key

    def get(
        self, path: str = REPORT, key: str | None = "own", headers: dict | None = None, **params
    ) -> requests.Response:
        all_headers = dict(headers or {})
        key = self.key if key == "own" else key
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        return requests.get(self.base + path, params=params, headers=all_headers, timeout=30)

    def ok(self, path: str = REPORT, **params) -> dict[str, Any]:
        response = self.get(path, **params)
        assert response.status_code == 200, (params, response.text)
        return response.json()


@pytest.fixture
def api(settings: Settings, make_account, serve, warehouse_url: str) -> Api:
    _, key = make_account("acme")
    _, rival_key = make_account("rival")
    create_marts(warehouse_url)
    return Api(serve(app_for(settings, warehouse_url)), key, rival_key)


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]
    assert "data" not in body and "Traceback" not in response.text
    return body


def keys(body: dict[str, Any], *names: str) -> list[tuple]:
    return [tuple(row[n] for n in names) for row in body["data"]]


def sql(api_url: str, query: str, *params: Any) -> list[tuple]:
    return sql_rows(api_url, query, list(params))


# -- filters -------------------------------------------------------------------------------


def campaign_ids(api: Api, **params) -> set[str]:
    body = api.ok(group_by="campaign_id", model="linear", **params)
    return {row["campaign_id"] for row in body["data"]}


def test_every_operator_and_its_negation(api: Api, warehouse_url: str) -> None:
    all_ids = {"c0", "c1", "c2", "c3"}
    cases: list[tuple[dict[str, str], set[str]]] = [
        ({"campaign_name": "brand search"}, {"c1"}),
        ({"campaign_name__exact": "Brand search"}, set()),  # case-sensitive on both
        ({"campaign_name__in": "Retargeting,brand search"}, {"c1", "c3"}),
        ({"campaign_name__contains": "rand"}, {"c0", "c1"}),
        ({"campaign_name__contains": "RAND"}, set()),
        ({"campaign_name__icontains": "RAND"}, {"c0", "c1"}),
        # % and _ are characters, not wildcards
        ({"campaign_name__contains": "_%5"}, {"c0"}),
        ({"campaign_name__contains": "d%"}, set()),
        ({"campaign_name__startswith": "Brand"}, {"c0"}),
        ({"campaign_name__startswith": "b"}, {"c1"}),
        ({"campaign_name__isnull": "true"}, {"c2"}),
        ({"campaign_name__isnull": "false"}, {"c0", "c1", "c3"}),
        ({"date__gt": "2025-03-03"}, all_ids),
        ({"date__range": "2025-03-05,2025-03-09"}, set()),
        ({"platform": "meta"}, {"c2", "c3"}),
    ]
    for params, want in cases:
        assert campaign_ids(api, **params) == want, params
    # Negations keep NULL names, as Django's exclude() does; not_isnull does not.
    negations: list[tuple[dict[str, str], set[str]]] = [
        ({"campaign_name__not_exact": "brand search"}, {"c0", "c2", "c3"}),
        ({"campaign_name__not_in": "Retargeting,brand search"}, {"c0", "c2"}),
        ({"campaign_name__not_contains": "rand"}, {"c2", "c3"}),
        ({"campaign_name__not_icontains": "RAND"}, {"c2", "c3"}),
        ({"campaign_name__not_startswith": "Brand"}, {"c1", "c2", "c3"}),
        ({"campaign_name__not_isnull": "true"}, {"c0", "c1", "c3"}),
        ({"campaign_name__not_isnull": "false"}, {"c2"}),
        ({"platform__not_exact": "meta"}, {"c0", "c1"}),
    ]
    for params, want in negations:
        assert campaign_ids(api, **params) == want, params

    # Dates: each comparison and its negation, checked against SQL.
    for op, symbol in (("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<="), ("exact", "=")):
        for negated in (False, True):
            name = f"date__{'not_' if negated else ''}{op}"
            body = api.ok(group_by="date", model="linear", metrics="spend", **{name: "2025-03-02"})
            condition = f"date_day {symbol} ?"
            if negated:
                condition = f"NOT ({condition})"
            want = sql(
                warehouse_url,
                "SELECT date_day, SUM(spend) FROM fct_attribution_campaign_daily "
                f"WHERE account = 'acme' AND model = 'linear' AND {condition} "
                "GROUP BY date_day ORDER BY date_day",
                D0 + timedelta(days=1),
            )
            got = [(r["date"], r["spend"]) for r in body["data"]]
            assert got == [(d.isoformat(), pytest.approx(float(s))) for d, s in want], name
    body = api.ok(group_by="date", model="linear", date__not_range="2025-03-02,2025-03-03")
    assert [r["date"] for r in body["data"]] == ["2025-03-01", "2025-03-04"]
    body = api.ok(group_by="date", model="linear", date__in="2025-03-04,2025-03-01")
    assert [r["date"] for r in body["data"]] == ["2025-03-01", "2025-03-04"]
    body = api.ok(group_by="date", model="linear", date__not_in="2025-03-04,2025-03-01")
    assert [r["date"] for r in body["data"]] == ["2025-03-02", "2025-03-03"]


def test_unknown_field_operator_or_value_is_a_400_naming_it(api: Api) -> None:
    body = error_of(api.get(nonsense="1"), 400)
    assert "nonsense" in body["error"]
    body = error_of(api.get(campaign_name__like="x"), 400)
    assert "like" in body["error"] and "icontains" in body["error"]
    body = error_of(api.get(campaign_name__gt="x"), 400)  # no ordering on text
    assert "gt" in body["error"]
    body = error_of(api.get(date__gte="yesterday"), 400)
    assert "yesterday" in body["error"] and "YYYY-MM-DD" in body["error"]
    body = error_of(api.get(campaign_name__isnull="maybe"), 400)
    assert "maybe" in body["error"]
    body = error_of(api.get(date__range="2025-03-01"), 400)
    assert "date__range" in body["error"]
    body = error_of(api.get(group_by="date,colour", model="linear"), 400)
    assert "colour" in body["error"]
    body = error_of(api.get(metrics="roas,profit", model="linear"), 400)
    assert "profit" in body["error"]
    body = error_of(api.get(order_by="-spend", metrics="roas", model="linear"), 400)
    assert "spend" in body["error"]
    body = error_of(api.get(grain="fortnight"), 400)
    assert "fortnight" in body["error"]
    body = error_of(api.get(limit="-1"), 400)
    assert "limit" in body["error"]
    error_of(api.get("/api/v1/reports/no_such_report"), 404)
    # SQL in a value is only ever a value.
    assert api.ok(campaign_name="x' OR '1'='1", model="linear")["data"] == []


def test_models_are_never_added_up(api: Api) -> None:
    body = error_of(api.get(group_by="campaign_id"), 400)
    assert "model" in body["error"]
    # Grouped by model: rows per model, but no totals across models.
    body = api.ok(group_by="model", metrics="conversions")
    assert {r["model"] for r in body["data"]} == {"linear", "last_touch"}
    assert body["totals"] == {"conversions": None}
    assert api.ok(group_by="model", model="linear", metrics="conversions")["totals"]["conversions"]


def test_visitors_are_exact_or_refused(api: Api, warehouse_url: str) -> None:
    body = error_of(api.get(CHANNELS, group_by="channel", metrics="visitors"), 400)
    assert "visitors" in body["error"] and "date, channel" in body["error"]
    error_of(api.get(CHANNELS, grain="week", metrics="visitors"), 400)
    # Left out by default when not exact; present at the mart's grain, no total.
    assert "visitors" not in api.ok(CHANNELS, group_by="channel")["data"][0]
    body = api.ok(CHANNELS, metrics="visitors,sessions", date="2025-03-01")
    want = dict(
        sql(
            warehouse_url,
            "SELECT channel, visitors FROM fct_channel_daily "
            "WHERE account = 'acme' AND date_day = ?",
            D0,
        )
    )
    assert {r["channel"]: r["visitors"] for r in body["data"]} == want
    assert body["totals"]["visitors"] is None and body["totals"]["sessions"] == sum(
        r["sessions"] for r in body["data"]
    )


# -- ratios, totals and reconciliation ------------------------------------------------------


def test_roas_and_cpa_are_ratios_of_sums(api: Api, warehouse_url: str) -> None:
    body = api.ok(group_by="platform", model="linear", metrics="revenue,spend,conversions,roas,cpa")
    want = sql(
        warehouse_url,
        "SELECT platform, SUM(revenue), SUM(spend), SUM(conversions) "
        "FROM fct_attribution_campaign_daily WHERE account = 'acme' AND model = 'linear' "
        "GROUP BY platform ORDER BY platform",
    )
    assert len(body["data"]) == len(want) == 2
    for row, (platform, revenue, spend, conversions) in zip(body["data"], want, strict=True):
        assert row["platform"] == platform
        assert row["revenue"] == pytest.approx(float(revenue), abs=0.005)
        assert row["spend"] == pytest.approx(float(spend), abs=0.005)
        assert row["conversions"] == pytest.approx(float(conversions), abs=1e-9)
        assert row["roas"] == pytest.approx(float(revenue) / float(spend), rel=1e-12)
        assert row["cpa"] == pytest.approx(float(spend) / float(conversions), rel=1e-12)
    # Totals are over every matching row, not the page, ratios included.
    [(revenue, spend, conversions)] = sql(
        warehouse_url,
        "SELECT SUM(revenue), SUM(spend), SUM(conversions) FROM fct_attribution_campaign_daily "
        "WHERE account = 'acme' AND model = 'linear'",
    )
    paged = api.ok(group_by="platform", model="linear", metrics="revenue,spend,roas", limit="1")
    assert len(paged["data"]) == 1 and paged["total_rows"] == 2
    assert paged["totals"]["revenue"] == pytest.approx(float(revenue), abs=0.005)
    assert paged["totals"]["roas"] == pytest.approx(float(revenue) / float(spend), rel=1e-12)
    # A ratio whose denominator is zero or NULL is null, never an error.
    body = api.ok(group_by="campaign_id", model="linear", campaign_id="c2", metrics="roas")
    assert body["data"] == [{"campaign_id": "c2", "roas": None}]


# -- grouping, grain, order, pages ----------------------------------------------------------


def test_week_and_month_grain(api: Api, warehouse_url: str, settings: Settings) -> None:
    def sessions_by(grain: str) -> dict[str, int]:
        body = api.ok(CHANNELS, group_by="date", grain=grain, metrics="sessions")
        return {r["date"]: r["sessions"] for r in body["data"]}

    rows = sql(
        warehouse_url,
        "SELECT date_day, SUM(sessions) FROM fct_channel_daily WHERE account = 'acme' "
        "GROUP BY date_day",
    )

    def expected(bucket) -> dict[str, int]:
        out: dict[str, int] = {}
        for day, sessions in rows:
            key = bucket(day).isoformat()
            out[key] = out.get(key, 0) + int(sessions)
        return out

    assert sessions_by("month") == expected(lambda d: d.replace(day=1))
    assert sessions_by("week") == expected(lambda d: d - timedelta(days=d.weekday()))
    # The account's week start (6 = Sunday) moves the buckets.
    set_week_start(settings, "acme", 6)
    assert sessions_by("week") == expected(lambda d: d - timedelta(days=(d.weekday() + 1) % 7))
    assert min(sessions_by("week")) == "2025-02-23"  # the Sunday before 1 March


def set_week_start(settings: Settings, slug: str, value: int) -> None:
    from sqlalchemy import update

    from touchline.control.db import session_scope
    from touchline.control.models import Account

    with session_scope(settings.resolved_control_db_url) as session:
        session.execute(update(Account).where(Account.slug == slug).values(week_start=value))


def test_order_and_pages_with_total(api: Api) -> None:
    everything = api.ok(CHANNELS, group_by="date,channel", order_by="-sessions,channel")
    rows = everything["data"]
    assert everything["total_rows"] == len(rows) == 42 * 3
    assert [r["sessions"] for r in rows] == sorted((r["sessions"] for r in rows), reverse=True)
    pages = []
    for offset in range(0, 126, 50):
        page = api.ok(
            CHANNELS, group_by="date,channel", order_by="-sessions,channel",
            limit="50", offset=str(offset),
        )  # fmt: skip
        assert page["total_rows"] == 126
        pages += page["data"]
    assert pages == rows
    beyond = api.ok(CHANNELS, group_by="date,channel", limit="10", offset="500")
    assert beyond["data"] == [] and beyond["total_rows"] == 126
    by_channel = api.ok(CHANNELS, group_by="channel", order_by="-channel")
    assert [r["channel"] for r in by_channel["data"]] == ["Paid Search", "Email", "Direct"]
    whole = api.ok(CHANNELS, group_by="", metrics="sessions")
    assert whole["data"] == [{"sessions": whole["totals"]["sessions"]}]


def test_compare_with_the_previous_period_and_year(api: Api, warehouse_url: str) -> None:
    body = api.ok(
        CHANNELS, group_by="date", grain="week", metrics="sessions,conversion_rate",
        date__gte="2025-03-24", date__lte="2025-04-06", compare="previous_period",
    )  # fmt: skip
    comparison = body["comparison"]
    assert comparison["previous_period"] == {"gte": "2025-03-10", "lte": "2025-03-23"}

    def sums(low: date, high: date) -> tuple[int, int]:
        [(sessions, sales)] = sql(
            warehouse_url,
            "SELECT SUM(sessions), SUM(sales) FROM fct_channel_daily "
            "WHERE account = 'acme' AND date_day BETWEEN ? AND ?",
            low, high,
        )  # fmt: skip
        return int(sessions), int(sales)

    first, second = body["data"]
    assert first["date"] == "2025-03-24" and first["previous"]["date"] == "2025-03-10"
    now = sums(date(2025, 3, 24), date(2025, 3, 30))
    before = sums(date(2025, 3, 10), date(2025, 3, 16))
    assert first["sessions"] == now[0] and first["previous"]["sessions"] == before[0]
    assert first["change"]["sessions"] == pytest.approx((now[0] - before[0]) / before[0])
    assert first["conversion_rate"] == pytest.approx(now[1] / now[0])
    assert first["previous"]["conversion_rate"] == pytest.approx(before[1] / before[0])
    assert second["previous"]["date"] == "2025-03-17"
    total_now = sums(date(2025, 3, 24), date(2025, 4, 6))
    total_before = sums(date(2025, 3, 10), date(2025, 3, 23))
    assert body["totals"]["sessions"] == total_now[0]
    assert comparison["totals"]["sessions"] == total_before[0]
    # The previous year holds no rows: its values are null, never zero.
    body = api.ok(
        CHANNELS, group_by="channel", date__range="2025-03-01,2025-03-31",
        compare="previous_year", metrics="sessions",
    )  # fmt: skip
    assert body["comparison"]["previous_period"] == {"gte": "2024-03-01", "lte": "2024-03-31"}
    assert all(r["previous"]["sessions"] is None for r in body["data"])
    body = error_of(api.get(CHANNELS, compare="previous_period", date__gte="2025-03-01"), 400)
    assert "date__lte" in body["error"]


# -- CSV, ETag, isolation ------------------------------------------------------------------


def test_csv_equals_json(api: Api) -> None:
    for params in (
        {"group_by": "date,campaign_name", "model": "linear", "order_by": "-revenue"},
        {"group_by": "platform", "model": "last_touch", "campaign_name__isnull": "false"},
    ):
        body = api.ok(**params)
        for response in (api.get(REPORT + ".csv", **params), api.get(format="csv", **params)):
            assert response.status_code == 200, response.text
            assert response.headers["Content-Type"].startswith("text/csv")
            table = list(csv.DictReader(io.StringIO(response.text)))
            assert list(table[0]) == body["columns"]
            as_text = [
                {k: "" if v is None else str(v) for k, v in row.items()} for row in body["data"]
            ]
            assert table == as_text
    compared = api.get(
        CHANNELS + ".csv", group_by="channel", date__range="2025-03-08,2025-03-14",
        compare="previous_period", metrics="sessions",
    )  # fmt: skip
    table = list(csv.DictReader(io.StringIO(compared.text)))
    assert list(table[0]) == ["channel", "sessions", "previous_sessions", "change_sessions"]


def test_etag_answers_304_until_the_data_changes(api: Api) -> None:
    first = api.get(group_by="platform", model="linear")
    etag = first.headers["ETag"]
    again = api.get(group_by="platform", model="linear", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # The same query spelt differently is the same query.
    same = api.get(group_by="platform", model__exact="linear", headers={"If-None-Match": etag})
    assert same.status_code == 304
    other = api.get(group_by="platform", model="last_touch", headers={"If-None-Match": etag})
    assert other.status_code == 200
    csv_first = api.get(REPORT + ".csv", group_by="platform", model="linear")
    assert csv_first.headers["ETag"] != etag
    csv_again = api.get(
        REPORT + ".csv", group_by="platform", model="linear",
        headers={"If-None-Match": csv_first.headers["ETag"]},
    )  # fmt: skip
    assert csv_again.status_code == 304
    # Another account's identical query never gets this account's tag.
    rival = api.get(key=api.rival_key, group_by="platform", model="linear")
    assert rival.headers["ETag"] != etag


def test_no_other_account_leaks(api: Api) -> None:
    queries = [
        {"group_by": "campaign_id,campaign_name", "model": "linear"},
        {"group_by": "platform", "model": "linear", "campaign_id": "secret"},
        {"group_by": "campaign_name", "model": "linear", "campaign_name__icontains": "secret"},
        {"group_by": "", "model": "linear", "metrics": "revenue"},
        {
            "group_by": "campaign_id", "model": "linear", "compare": "previous_year",
            "date__range": "2025-03-01,2025-03-04",
        },
    ]  # fmt: skip
    for params in queries:
        for path in (REPORT, REPORT + ".csv"):
            response = api.get(path, **params)
            assert response.status_code == 200, response.text
            if path == REPORT:  # the data, not the echo of the query asked
                body = response.json()
                text = json.dumps([body["data"], body["totals"], body.get("comparison")])
            else:
                text = response.text.split("\r\n", 1)[1]
            assert "Secret" not in text and "secret" not in text
            assert "777777" not in text and "4242" not in text and "rival" not in text
    body = api.ok(CHANNELS, group_by="channel")
    assert {r["channel"] for r in body["data"]} == {"Direct", "Email", "Paid Search"}
    rival = api.ok(CHANNELS, key=api.rival_key, group_by="channel")
    assert [r["channel"] for r in rival["data"]] == ["Secret Channel"]
    error_of(api.get(key=api.rival_key, account="acme"), 404)
    error_of(api.get(key=None), 401)
    error_of(api.get("/api/v1/reports", key=None), 401)


def test_catalogue_lists_every_report(api: Api) -> None:
    reports = {r["name"]: r for r in api.ok("/api/v1/reports")["reports"]}
    assert set(reports) == {
        "attributed_conversions", "attribution_campaign_daily", "attribution_channel_daily",
        "campaign_daily", "channel_daily", "conversion_paths", "users", "validation_failures",
    }  # fmt: skip
    fields = {f["name"]: f for f in reports["attribution_campaign_daily"]["fields"]}
    assert fields["roas"]["aggregation"] == "ratio"
    assert (fields["roas"]["numerator"], fields["roas"]["denominator"]) == ("revenue", "spend")
    assert fields["spend"] == {
        "name": "spend", "kind": "metric", "type": "number", "label": "Spend",
        "description": fields["spend"]["description"], "aggregation": "sum", "additive": True,
    }  # fmt: skip
    assert "reporting_currency" in fields["spend"]["description"]
    assert "not_icontains" not in fields["campaign_name"]["operators"]
    assert "icontains" in fields["campaign_name"]["operators"]
    assert fields["date"]["type"] == "date" and "range" in fields["date"]["operators"]
    channel = {f["name"]: f for f in reports["channel_daily"]["fields"]}
    assert channel["visitors"]["additive"] is False
