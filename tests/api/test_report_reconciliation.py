"""Every number the report API returns equals the same quantity computed by SQL
written here, straight on the warehouse (the DuckDB file, not the serving copy
the API reads; the MariaDB database), on marts built by a real range run from
landed hits and pulled ad spend (tests/api/reconciliation_build.py).

Each report of GET /api/v1/reports, with no grouping, by date at each grain,
by its main dimensions and with filters (negations included); rows, totals and
the ratios, which are SUM(numerator) / SUM(denominator) over the rows grouped.
Money and conversions to 1e-9, counts exactly. Account B's rows never reach
account A's answers, and fct_channel_daily's sales are the landed orders.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.api.reconciliation_build import (
    ACME,
    ACME_WEEK_START,
    RIVAL,
    Built,
    build,
)
from tests.api.report_data import sql_rows
from tests.support.servers import mariadb_database

pytestmark = pytest.mark.slow


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    data_dir = tmp_path_factory.mktemp(f"reconcile-{request.param}")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(mariadb_database()) if request.param == "mariadb" else None
        yield stack.enter_context(build(data_dir, url))


# -- what each report means, written out by hand --------------------------------------------


@dataclass(frozen=True)
class Spec:
    table: str
    date_column: str | None
    dimensions: dict[str, str]  # API name -> column
    sums: dict[str, str]  # metric -> SQL aggregate
    ratios: dict[str, tuple[str, str]]  # metric -> (numerator, denominator) metrics
    exact: frozenset[str] = frozenset()  # integer counts: equal, not close


SPECS: dict[str, Spec] = {
    "channel_daily": Spec(
        "fct_channel_daily",
        "date_day",
        {"date": "date_day", "channel": "channel"},
        {
            "sessions": "SUM(sessions)",
            "visitors": "SUM(visitors)",
            "pageviews": "SUM(pageviews)",
            "sales": "SUM(sales)",
        },
        {
            "conversion_rate": ("sales", "sessions"),
            "pageviews_per_session": ("pageviews", "sessions"),
        },
        frozenset({"sessions", "visitors", "pageviews", "sales"}),
    ),
    "campaign_daily": Spec(
        "fct_campaign_daily",
        "date_day",
        {
            "date": "date_day",
            "platform": "platform",
            "account_id": "account_id",
            "campaign_id": "campaign_id",
            "campaign_name": "campaign_name",
            "currency_code": "currency_code",
            "reporting_currency": "reporting_currency",
            "fx_status": "fx_status",
        },
        {
            "impressions": "SUM(impressions)",
            "clicks": "SUM(clicks)",
            "conversions": "SUM(conversions)",
            "spend": "SUM(spend_reporting)",
            "conversions_value": "SUM(conversions_value_reporting)",
        },
        {
            "ctr": ("clicks", "impressions"),
            "cpc": ("spend", "clicks"),
            "cpa": ("spend", "conversions"),
            "roas": ("conversions_value", "spend"),
        },
        frozenset({"impressions", "clicks"}),
    ),
    "attribution_campaign_daily": Spec(
        "fct_attribution_campaign_daily",
        "date_day",
        {
            "date": "date_day",
            "platform": "platform",
            "campaign_id": "campaign_id",
            "campaign_name": "campaign_name",
            "model": "model",
            "reporting_currency": "reporting_currency",
        },
        {
            "conversions": "SUM(conversions)",
            "revenue": "SUM(revenue)",
            "spend": "SUM(spend)",
            "spend_rows_without_rate": "SUM(spend_rows_without_rate)",
        },
        {"roas": ("revenue", "spend"), "cpa": ("spend", "conversions")},
        frozenset({"spend_rows_without_rate"}),
    ),
    "attribution_channel_daily": Spec(
        "fct_attribution_channel_daily",
        "date_day",
        {
            "date": "date_day",
            "channel": "channel",
            "model": "model",
            "reporting_currency": "reporting_currency",
        },
        {"conversions": "SUM(conversions)", "revenue": "SUM(revenue)", "touches": "SUM(touches)"},
        {"revenue_per_conversion": ("revenue", "conversions")},
        frozenset({"touches"}),
    ),
    "attributed_conversions": Spec(
        "fct_attributed_conversions",
        "sale_date",
        {
            "date": "sale_date",
            "sale_key": "sale_key",
            "order_id": "order_id",
            "model": "model",
            "touch_position": "touch_position",
            "touch_count": "touch_count",
            "touch_type": "touch_type",
            "touch_date": "touch_date",
            "channel": "channel",
            "source": "source",
            "medium": "medium",
            "campaign": "campaign",
            "platform": "platform",
            "campaign_id": "campaign_id",
            "path_key": "path_key",
            "reporting_currency": "reporting_currency",
        },
        {
            "sales": "COUNT(DISTINCT sale_key)",
            "touches": "COUNT(touch_key)",
            "average_hours_before_sale": "AVG(hours_before_sale)",
            "conversions": "SUM(conversion_credit)",
            "revenue": "SUM(revenue_credit)",
        },
        {},
        frozenset({"sales", "touches"}),
    ),
    "conversion_paths": Spec(
        "fct_conversion_paths",
        "date_day",
        {
            "date": "date_day",
            "path_key": "path_key",
            "path": "path",
            "path_length": "path_length",
            "reporting_currency": "reporting_currency",
            "path_rank": "path_rank",
        },
        {"conversions": "SUM(conversions)", "revenue": "SUM(revenue)"},
        {"revenue_per_conversion": ("revenue", "conversions")},
    ),
    "users": Spec(
        "dim_users",
        None,
        {
            "user_id": "user_id",
            "trait_count": "trait_count",
            "first_identified_at": "first_identified_at",
            "last_identified_at": "last_identified_at",
        },
        {
            "users": "COUNT(user_key)",
            "identifies": "SUM(identifies)",
            "first_identified_at_min": "MIN(first_identified_at)",
            "last_identified_at_max": "MAX(last_identified_at)",
        },
        {},
        frozenset({"users", "identifies"}),
    ),
    "validation_failures": Spec(
        "fct_validation_failures",
        "failure_date",
        {"date": "failure_date", "failed_level": "failed_level", "reason": "reason"},
        {
            "failures": "SUM(failures)",
            "bot_failures": "SUM(bot_failures)",
            "page_hosts": "SUM(page_hosts)",
            "browsers": "SUM(browsers)",
            "first_seen_at": "MIN(first_seen_at)",
            "last_seen_at": "MAX(last_seen_at)",
        },
        {},
        frozenset({"failures", "bot_failures", "page_hosts", "browsers"}),
    ),
}


# Distinct counts per row of their mart: never added up, so they have no totals.
NON_ADDITIVE = frozenset({"visitors", "page_hosts", "browsers"})


def bucket(dialect: str, column: str, grain: str) -> str:
    """The first day of the week (acme's weeks start on Sunday) or month, by hand."""
    assert ACME_WEEK_START == 6
    duck = dialect == "duckdb"
    if grain == "day":
        return column
    if grain == "week":  # dayofweek: DuckDB 0 = Sunday, MariaDB 1 = Sunday
        if duck:
            return f"CAST({column} - CAST(dayofweek({column}) AS INTEGER) AS DATE)"
        return f"DATE_SUB({column}, INTERVAL DAYOFWEEK({column}) - 1 DAY)"
    if duck:
        return f"make_date(CAST(year({column}) AS INTEGER), CAST(month({column}) AS INTEGER), 1)"
    return f"LAST_DAY({column} - INTERVAL 1 MONTH) + INTERVAL 1 DAY"


@dataclass(frozen=True)
class Case:
    """One request and the WHERE clause (after the account) that means the same."""

    params: dict[str, str]
    where: str = ""
    values: tuple[Any, ...] = ()


def cases(report: str, built: Built) -> list[Case]:
    d = built.days
    in_range = "{c} BETWEEN ? AND ?"
    if report == "channel_daily":
        return [
            Case({"group_by": ""}),
            *(Case({"group_by": "date", "grain": g}) for g in ("day", "week", "month")),
            Case({"group_by": "channel"}),
            Case({"group_by": "date,channel"}),  # the mart's grain: visitors too
            Case(
                {"group_by": "channel", "channel__not_in": "Direct,Organic Search"},
                "(channel IS NULL OR channel NOT IN (?, ?))",
                ("Direct", "Organic Search"),
            ),
            Case(
                {
                    "group_by": "date",
                    "grain": "week",
                    "date__gte": str(d[2]),
                    "date__lt": str(d[6]),
                },
                "date_day >= ? AND date_day < ?",
                (d[2], d[6]),
            ),
        ]
    if report == "campaign_daily":
        return [
            Case({"group_by": ""}),
            *(Case({"group_by": "date", "grain": g}) for g in ("day", "week", "month")),
            Case({"group_by": "platform,campaign_id"}),
            Case({"group_by": "platform,campaign_name,fx_status"}),
            Case(
                {"group_by": "platform", "platform__not_exact": "meta"},
                "(platform IS NULL OR platform <> ?)",
                ("meta",),
            ),
            Case(
                {"group_by": "campaign_name", "campaign_name__icontains": "SEARCH"},
                "LOWER(campaign_name) LIKE ?",
                ("%search%",),
            ),
        ]
    if report == "attribution_campaign_daily":
        linear = ("model = ?", ("linear",))
        return [
            Case({"group_by": "", "model": "linear"}, *linear),
            *(
                Case({"group_by": "date", "grain": g, "model": "linear"}, *linear)
                for g in ("day", "week", "month")
            ),
            Case({"group_by": "platform,campaign_id,model"}),
            Case({"group_by": "model"}),
            Case(
                {"group_by": "platform,campaign_name", "model": "markov"}, "model = ?", ("markov",)
            ),
            Case(
                {
                    "group_by": "campaign_id,model",
                    "platform__not_in": "meta,tiktok",
                    "date__range": f"{d[1]},{d[5]}",
                },
                "(platform IS NULL OR platform NOT IN (?, ?)) AND " + in_range.format(c="date_day"),
                ("meta", "tiktok", d[1], d[5]),
            ),
        ]
    if report == "attribution_channel_daily":
        decay = ("model = ?", ("time_decay",))
        return [
            Case({"group_by": "", "model": "time_decay"}, *decay),
            *(
                Case({"group_by": "date", "grain": g, "model": "time_decay"}, *decay)
                for g in ("day", "week", "month")
            ),
            Case({"group_by": "channel,model"}),
            Case(
                {"group_by": "channel", "model": "shapley", "channel__not_startswith": "Paid"},
                "model = ? AND (channel IS NULL OR channel NOT LIKE ?)",
                ("shapley", "Paid%"),
            ),
        ]
    if report == "attributed_conversions":
        first = ("model = ?", ("first_touch",))
        return [
            Case({"group_by": "", "model": "first_touch"}, *first),
            *(
                Case({"group_by": "date", "grain": g, "model": "first_touch"}, *first)
                for g in ("day", "week", "month")
            ),
            Case({"group_by": "model"}),
            Case({"group_by": "channel,model"}),
            Case({"group_by": "touch_position", "model": "linear"}, "model = ?", ("linear",)),
            Case(
                {
                    "group_by": "platform,campaign_id",
                    "model": "markov",
                    "channel__not_exact": "Direct",
                },
                "model = ? AND (channel IS NULL OR channel <> ?)",
                ("markov", "Direct"),
            ),
        ]
    if report == "conversion_paths":
        return [
            Case({"group_by": ""}),
            *(Case({"group_by": "date", "grain": g}) for g in ("day", "week", "month")),
            Case({"group_by": "path"}),
            Case({"group_by": "path_length"}),
            Case(
                {"group_by": "path", "path__not_contains": "Direct"},
                "(path IS NULL OR path NOT LIKE ?)",
                ("%Direct%",),
            ),
        ]
    if report == "users":
        return [
            Case({"group_by": ""}),
            Case({"group_by": "trait_count"}),
            Case({"group_by": "user_id"}),
            Case(
                {"group_by": "", "user_id__not_startswith": "u-p00000"},
                "(user_id IS NULL OR user_id NOT LIKE ?)",
                ("u-p00000%",),
            ),
        ]
    if report == "validation_failures":
        return [
            Case({"group_by": ""}),
            *(Case({"group_by": "date", "grain": g}) for g in ("day", "week", "month")),
            Case({"group_by": "date,failed_level,reason"}),
            Case(
                {"group_by": "reason", "failed_level__not_exact": "full"},
                "(failed_level IS NULL OR failed_level <> ?)",
                ("full",),
            ),
        ]
    raise AssertionError(f"a new report, {report}: write down what its numbers mean in SPECS")


# -- the SQL, the API, and comparing them ----------------------------------------------------


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def expected(
    built: Built, spec: Spec, case: Case, metrics: list[str], account: str = ACME
) -> tuple[dict[tuple, dict[str, Any]], dict[str, Any]]:
    """Rows by group key, and the totals: the hand-written SQL's answer."""
    group_by = [g for g in case.params.get("group_by", "").split(",") if g]
    grain = case.params.get("grain", "day")
    keys = []
    for name in group_by:
        column = spec.dimensions[name]
        keys.append(bucket(built.dialect, column, grain) if column == spec.date_column else column)
    sums = sorted({part for m in metrics for part in spec.ratios.get(m, (m,))})
    where = "account = ?" + (f" AND {case.where}" if case.where else "")
    select = [*(f"{k} AS k{i}" for i, k in enumerate(keys)), *(spec.sums[s] for s in sums)]
    sql = f"SELECT {', '.join(select)} FROM {spec.table} WHERE {where}"
    if keys:
        sql += " GROUP BY " + ", ".join(f"k{i}" for i in range(len(keys)))
    params = [account, *case.values]

    def values(row: tuple) -> dict[str, Any]:
        got = dict(zip(sums, row, strict=True))
        out = {}
        for m in metrics:
            if m in spec.ratios:
                num, den = (got[p] for p in spec.ratios[m])
                out[m] = None if num is None or not den else float(num) / float(den)
            else:
                out[m] = plain(got[m])
        return out

    rows = {
        tuple(plain(v) for v in row[: len(keys)]): values(row[len(keys) :])
        for row in sql_rows(built.warehouse_url, sql, params)
    }
    total_sql = f"SELECT {', '.join(spec.sums[s] for s in sums)} FROM {spec.table} WHERE {where}"
    [total_row] = sql_rows(built.warehouse_url, total_sql, params)
    return rows, values(total_row)


def ask(built: Built, report: str, params: dict[str, str], key: str = ACME) -> dict[str, Any]:
    response = requests.get(
        f"{built.api_url}/api/v1/reports/{report}",
        params={**params, "limit": "100000"},
        headers={"Authorization": f"Bearer {built.keys[key]}"},
        timeout=60,
    )
    assert response.status_code == 200, (report, params, response.text)
    return response.json()


def same(spec: Spec, metric: str, got: Any, want: Any) -> bool:
    if want is None or got is None or isinstance(want, str):
        return got == want
    if metric in spec.exact:
        return got == want and float(want).is_integer()
    # money to the cent and conversions to the conversion, with room to spare
    return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9)


def reconcile(built: Built, report: str, spec: Spec, case: Case) -> dict[str, Any]:
    body = ask(built, report, case.params)
    group_by = body["query"]["group_by"]
    metrics = [c for c in body["columns"] if c not in group_by]
    want_rows, want_totals = expected(built, spec, case, metrics)
    got_rows = {tuple(row[g] for g in group_by): row for row in body["data"]}
    assert len(got_rows) == len(body["data"]) == body["total_rows"], (report, case)
    assert set(got_rows) == set(want_rows), (report, case.params, set(got_rows) ^ set(want_rows))
    for key, want in want_rows.items():
        for metric in metrics:
            got = got_rows[key][metric]
            assert same(spec, metric, got, want[metric]), (report, case.params, key, metric)
    for metric in metrics:
        total = body["totals"][metric]
        if total is None and (metric in NON_ADDITIVE or "totals" in body["meta"]["notes"]):
            continue  # no total where none would be right (never a wrong one)
        assert same(spec, metric, total, want_totals[metric]), (report, case.params, metric)
    return body


# -- the tests -------------------------------------------------------------------------------


def test_every_report_and_metric_is_written_out_here(built: Built) -> None:
    response = requests.get(
        f"{built.api_url}/api/v1/reports",
        headers={"Authorization": f"Bearer {built.keys[ACME]}"},
        timeout=30,
    )
    listing = {r["name"]: r for r in response.json()["reports"]}
    assert set(listing) == set(SPECS)
    for name, report in listing.items():
        spec = SPECS[name]
        fields = {f["name"]: f for f in report["fields"]}
        metrics = {n for n, f in fields.items() if f["kind"] == "metric"}
        dimensions = {n for n, f in fields.items() if f["kind"] == "dimension"}
        assert metrics == set(spec.sums) | set(spec.ratios), name
        assert dimensions == set(spec.dimensions), name
        for ratio, (num, den) in spec.ratios.items():
            assert (fields[ratio]["numerator"], fields[ratio]["denominator"]) == (num, den)


@pytest.mark.parametrize("report", sorted(SPECS))
def test_report_numbers_equal_sql_on_the_warehouse(built: Built, report: str) -> None:
    spec = SPECS[report]
    seen: set[str] = set()
    nonempty = 0
    for case in cases(report, built):
        body = reconcile(built, report, spec, case)
        seen.update(c for c in body["columns"] if c not in body["query"]["group_by"])
        nonempty += any(v not in (None, 0) for row in body["data"] for v in row.values())
        if built.dialect == "duckdb":  # read from the copy the run published
            assert body["meta"]["published_at"], body["meta"]
    # every metric was compared somewhere, on real numbers
    assert seen == set(spec.sums) | set(spec.ratios), set(spec.sums) | set(spec.ratios) - seen
    assert nonempty, f"{report} has no data to reconcile"


def test_the_pipeline_gave_every_figure_something_to_reconcile(built: Built) -> None:
    """Spend, revenue and conversions on the same campaign rows, so ROAS and CPA
    are ratios of real numbers; sales in fct_channel_daily."""
    [(spend, revenue, conversions, both)] = sql_rows(
        built.warehouse_url,
        "SELECT SUM(spend), SUM(revenue), SUM(conversions), "
        "SUM(CASE WHEN spend > 0 AND revenue > 0 THEN 1 ELSE 0 END) "
        "FROM fct_attribution_campaign_daily WHERE account = ? AND model = ?",
        [ACME, "linear"],
    )
    assert spend > 0 and revenue > 0 and conversions > 0 and both > 0
    body = ask(built, "attribution_campaign_daily", {"group_by": "", "model": "linear"})
    assert body["data"][0]["roas"] == pytest.approx(float(revenue) / float(spend), rel=1e-9)
    assert body["data"][0]["cpa"] == pytest.approx(float(spend) / float(conversions), rel=1e-9)
    [(spend_rows,)] = sql_rows(
        built.warehouse_url,
        "SELECT COUNT(*) FROM fct_campaign_daily WHERE account = ? AND spend_reporting > 0",
        [ACME],
    )
    assert spend_rows > 0


@pytest.mark.mariadb
@pytest.mark.parametrize("built", ["mariadb"], indirect=True)
def test_large_marts_have_their_report_index_on_mariadb(built: Built) -> None:
    """The large marts carry a covering index on MySQL/MariaDB (meta.report_index),
    so the report API's queries over long ranges never look up every row (the
    time it saves: bench/api.py)."""
    indexed = sql_rows(
        built.warehouse_url,
        "SELECT table_name FROM information_schema.statistics "
        "WHERE table_schema = DATABASE() AND index_name = CONCAT('ix_', table_name, '_report') "
        "AND seq_in_index = 1 ORDER BY table_name",
    )
    assert [t for (t,) in indexed] == [
        "fct_attribution_campaign_daily",
        "fct_attribution_channel_daily",
        "fct_campaign_daily",
    ]


def landed_sales_per_day(built: Built, account: str) -> Counter:
    """Distinct orders of human visitors, each on the (UTC) day it was first sent."""
    first: dict[str, datetime] = {}
    for hit in built.landed[account]:
        order = (hit.get("properties") or {}).get("order_id")
        if hit["type"] != "sale" or hit.get("is_bot") or order is None:
            continue
        at = datetime.fromisoformat(hit["event_at"])
        first[order] = min(at, first.get(order, at))
    return Counter(at.date().isoformat() for at in first.values())


def test_channel_daily_sales_are_the_landed_orders(built: Built) -> None:
    want = landed_sales_per_day(built, ACME)
    hits = built.landed[ACME]
    assert any(h.get("is_bot") for h in hits if h["type"] == "sale"), "a bot's sale was landed"
    orders = Counter(
        (h.get("properties") or {}).get("order_id") for h in hits if h["type"] == "sale"
    )
    assert max(orders.values()) > 1, "an order was sent twice"
    body = ask(built, "channel_daily", {"group_by": "date", "metrics": "sales"})
    assert {r["date"]: r["sales"] for r in body["data"] if r["sales"]} == dict(want)
    assert body["totals"]["sales"] == sum(want.values())
    by_day = sql_rows(
        built.warehouse_url,
        "SELECT date_day, SUM(sales) FROM fct_channel_daily WHERE account = ? "
        "GROUP BY date_day HAVING SUM(sales) > 0",
        [ACME],
    )
    assert {plain(d): int(n) for d, n in by_day} == dict(want)


def test_account_b_never_reaches_account_a(built: Built) -> None:
    # The rival has rows of its own in every mart the pipeline built for it ...
    [(rival_only,)] = sql_rows(
        built.warehouse_url,
        "SELECT COUNT(*) FROM fct_campaign_daily WHERE account = ? AND campaign_name = ?",
        [RIVAL, "rival_only_search"],
    )
    assert rival_only > 0
    for report, spec in SPECS.items():
        [(rival_rows,)] = sql_rows(
            built.warehouse_url, f"SELECT COUNT(*) FROM {spec.table} WHERE account = ?", [RIVAL]
        )
        if report != "validation_failures":
            assert rival_rows > 0, report
    # ... that acme's key never sees, even asking for them by name ...
    body = ask(
        built, "campaign_daily", {"group_by": "campaign_name", "campaign_name": "rival_only_search"}
    )
    assert body["data"] == [] and body["total_rows"] == 0
    response = requests.get(
        f"{built.api_url}/api/v1/reports/campaign_daily",
        params={"account": RIVAL},
        headers={"Authorization": f"Bearer {built.keys[ACME]}"},
        timeout=30,
    )
    assert response.status_code == 404 and "data" not in response.json()
    # ... and the rival's own answers are its own rows, reconciled like acme's.
    spec = SPECS["campaign_daily"]
    case = Case({"group_by": "platform,campaign_name"})
    body = ask(built, "campaign_daily", case.params, key=RIVAL)
    want, totals = expected(built, spec, case, ["spend", "clicks"], account=RIVAL)
    got = {(r["platform"], r["campaign_name"]): r for r in body["data"]}
    assert set(got) == set(want) and ("google_ads", "rival_only_search") in got
    for key, row in want.items():
        assert same(spec, "spend", got[key]["spend"], row["spend"])
    assert same(spec, "spend", body["totals"]["spend"], totals["spend"])
