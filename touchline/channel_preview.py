"""How many of the last 30 days' sessions each channel rule would take.

The rules are compiled to SQL (every value a bound parameter, every column
from a fixed list) and evaluated by the warehouse over the account's
sessions, the way ``int_sessions`` applies them (``account_rules_case``):
fields lower-cased, the first rule that holds takes the session. Nothing
here loads sessions into Python; two aggregate queries return a few numbers.

Where the sessions are read:

* DuckDB: the API never opens the warehouse file (a build holds it), and
  ``int_sessions`` is not a mart, so the serving copy does not have it. Each
  publish therefore also writes :data:`SESSION_SOURCES`: per account, its
  last 30 days of sessions (ending at its newest session) grouped by the
  fields a rule can read, with a count (:func:`session_sources_sql`). The
  preview runs on that small table in the serving copy.
* MySQL/MariaDB: straight on ``int_sessions`` (InnoDB readers block no build),
  for the same 30 days.

"The last 30 days" are the 30 days up to the account's newest session, so a
preview of an account whose data stopped (or demo data) still shows numbers;
the answer names the days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from touchline.control.channel_rules import Condition, Rule

WINDOW_DAYS = 30
SESSION_SOURCES = "_touchline_session_sources"
SESSIONS_MODEL = "int_sessions"
# Each rule field as int_sessions' columns give it, lower-cased as the model's
# rule_fields do (dbt_project/models/intermediate/int_sessions.sql).
FIELD_SQL: dict[str, str] = {
    "source": "source",
    "medium": "medium",
    "campaign": "lower(campaign)",
    "source_category": "source_category",
    "default_channel": "lower(default_channel)",
    "referrer_host": "referrer_host",
    "landing_host": "landing_host",
    "landing_path": "lower(landing_path)",
    "term": "lower(utm_term)",
    "content": "lower(utm_content)",
    "click_id": "click_id",
}


def needed_columns() -> set[str]:
    """The int_sessions columns the preview reads."""
    bare = {expr.removeprefix("lower(").removesuffix(")") for expr in FIELD_SQL.values()}
    return {"account", "session_date", *bare}


class PreviewUnavailable(Exception):
    """No sessions to preview on yet; the message says why."""


def session_sources_sql(sessions: str) -> str:
    """DuckDB: the serving copy's table of session sources, from ``sessions``
    (a qualified int_sessions), one row per account and field combination."""
    fields = ",\n    ".join(f"{expr} AS {name}" for name, expr in FIELD_SQL.items())
    return f"""
WITH bounds AS (
    SELECT account, max(session_date) AS window_end FROM {sessions} GROUP BY account
)
SELECT
    s.account,
    CAST(b.window_end - INTERVAL {WINDOW_DAYS - 1} DAY AS DATE) AS window_start,
    b.window_end,
    {fields},
    count(*) AS sessions
FROM {sessions} AS s JOIN bounds AS b ON b.account = s.account
WHERE s.session_date > b.window_end - INTERVAL {WINDOW_DAYS} DAY
GROUP BY ALL
"""


def condition_sql(condition: Condition, dialect: str) -> tuple[str, list[Any]]:
    """One condition over the (already lower-cased) field column, with parameters."""
    col, op, value = condition.field, condition.operator, condition.value
    if col not in FIELD_SQL:
        raise ValueError(f"unknown field {col!r}")
    if op == "equals":
        return f"({col} = ?)", [value]
    if op == "not_equals":
        return f"({col} <> ?)", [value]
    if op == "in":
        items = value.split(",")
        return f"({col} IN ({', '.join('?' for _ in items)}))", items
    if op == "contains":
        return f"(instr({col}, ?) > 0)", [value]
    if op == "starts_with":
        return f"(substring({col}, 1, {len(value)}) = ?)", [value]
    if op == "ends_with":
        return f"(right({col}, {len(value)}) = ?)", [value]
    if op == "regex":
        if dialect == "duckdb":
            return f"coalesce(regexp_matches({col}, ?), false)", [value]
        return f"(coalesce(({col} REGEXP ?), 0) = 1)", [value]
    if op == "present":
        return f"({col} IS NOT NULL)", []
    if op == "absent":
        return f"({col} IS NULL)", []
    raise ValueError(f"unknown operator {op!r}")


def rule_sql(rule: Rule, dialect: str) -> tuple[str, list[Any]]:
    parts, params = [], []
    for condition in rule.conditions:
        sql, values = condition_sql(condition, dialect)
        parts.append(sql)
        params.extend(values)
    return "(" + " AND ".join(parts) + ")", params


@dataclass(frozen=True)
class RuleCount:
    position: int
    channel: str
    text: str
    proposed: bool
    matches: int  # sessions the rule's conditions hold for, whatever comes before it
    takes: int  # sessions it would classify: the first rule that holds takes them


@dataclass(frozen=True)
class Preview:
    window_start: date | None
    window_end: date | None
    sessions: int
    rules: list[RuleCount]

    @property
    def left_to_defaults(self) -> int:
        return self.sessions - sum(r.takes for r in self.rules)


Query = Any  # callable(sql, params) -> list[dict]


def _counts(
    query: Query, rules: Sequence[Rule], dialect: str, relation: str, rel_params: list[Any]
) -> tuple[int, list[int], list[int]]:
    matches, takes_case, params, case_params = [], [], [], []
    for index, rule in enumerate(rules, start=1):
        sql, values = rule_sql(rule, dialect)
        matches.append(f"sum(CASE WHEN {sql} THEN sessions ELSE 0 END) AS m{index}")
        params.extend(values)
        takes_case.append(f"WHEN {sql} THEN {index}")
        case_params.extend(values)
    select = ", ".join(["sum(sessions) AS total", *matches])
    (row,) = query(f"SELECT {select} FROM {relation}", [*params, *rel_params])
    total = int(row["total"] or 0)
    matched = [int(row[f"m{i}"] or 0) for i in range(1, len(rules) + 1)]
    takes = [0] * len(rules)
    if rules:
        taker = f"CASE {' '.join(takes_case)} ELSE 0 END"
        rows = query(
            f"SELECT taker, sum(sessions) AS n FROM "
            f"(SELECT {taker} AS taker, sessions FROM {relation}) AS t GROUP BY taker",
            [*case_params, *rel_params],
        )
        for r in rows:
            if int(r["taker"]) > 0:
                takes[int(r["taker"]) - 1] = int(r["n"] or 0)
    return total, matched, takes


def preview(
    query: Query,
    dialect: str,
    account: str,
    rules: Sequence[Rule],
    proposed: Rule | None = None,
) -> Preview:
    """Counts for ``rules`` (in order), with ``proposed`` inserted at its position.

    ``query(sql, params)`` runs a ``?``-placeholder query: on the serving copy
    for DuckDB (which must hold :data:`SESSION_SOURCES`), on the warehouse for
    MySQL/MariaDB."""
    ordered = list(rules)
    if proposed is not None:
        index = min(max(proposed.position - 1, 0), len(ordered))
        ordered.insert(index, proposed)
    if dialect == "duckdb":
        bounds = query(
            f"SELECT min(window_start) AS window_start, max(window_end) AS window_end "
            f"FROM {SESSION_SOURCES} WHERE account = ?",
            [account],
        )
        relation, rel_params = f"{SESSION_SOURCES} WHERE account = ?", [account]
    else:
        end = query(
            f"SELECT max(session_date) AS window_end FROM {SESSIONS_MODEL} WHERE account = ?",
            [account],
        )[0]["window_end"]
        start = end - timedelta(days=WINDOW_DAYS - 1) if end else None
        bounds = [{"window_start": start, "window_end": end}]
        columns = ", ".join(f"{expr} AS {name}" for name, expr in FIELD_SQL.items())
        relation = (
            f"(SELECT {columns}, 1 AS sessions FROM {SESSIONS_MODEL} "
            "WHERE account = ? AND session_date BETWEEN ? AND ?) AS s"
        )
        rel_params = [account, start, end]
    window_start, window_end = bounds[0]["window_start"], bounds[0]["window_end"]
    if window_end is None:
        return Preview(
            None, None, 0, [_count(r, i + 1, r is proposed, 0, 0) for i, r in enumerate(ordered)]
        )
    # In a FROM with a WHERE, the derived table needs the WHERE inside it.
    if dialect == "duckdb":
        relation = f"(SELECT * FROM {relation}) AS s"
    total, matched, takes = _counts(query, ordered, dialect, relation, rel_params)
    counts = [
        _count(rule, i + 1, rule is proposed, matched[i], takes[i])
        for i, rule in enumerate(ordered)
    ]
    return Preview(window_start, window_end, total, counts)


def _count(rule: Rule, position: int, proposed: bool, matches: int, takes: int) -> RuleCount:
    # The position the rule would have, with the proposed one in place.
    return RuleCount(position, rule.channel, rule.text(), proposed, matches, takes)
