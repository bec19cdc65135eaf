"""The identity graph of an account, from its hits to the ``identity_map`` table.

Edges (doc block "identity_stitching" in dbt_project/models/docs.md):

* any hit with a user id: ``visitor:<visitor_id>`` — ``user:<user_id>``
* an identify whose traits carry an email: the visitor (and the user) —
  ``email:<sha256 of the trimmed, lower-cased address>``; ``email_sha256`` or
  ``hashed_email`` traits are taken as already hashed
* an alias: ``user:<user_id>`` — ``visitor:<previous_id>``

All the account's edges are read (every day: a person is a connected component
of everything known, so earlier anonymous sessions count for the person), as
distinct tuples the warehouse computes; the components are the library's
(touchline.attribution.identity), whose ids depend only on the set of edges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from orchestration.defs.attribution.plan import as_date
from orchestration.defs.attribution.tables import replace_rows
from touchline.attribution.identity import IdentityGraph, hash_email, node
from touchline.tables import IDENTITY_MAP, RAW_HITS
from touchline.warehouse import Warehouse

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Visitors whose person changed: above this many, their first day is the account's.
CHANGED_LOOKUP_LIMIT = 500
TOUCH_TYPES = ("pageview", "sale", "impression")


def _json_text(dialect: str, path: str) -> str:
    if dialect == "duckdb":
        return f"json_extract_string(properties, '{path}')"
    return f"json_unquote(json_extract(properties, '{path}'))"


def edge_rows_sql(dialect: str) -> str:
    fields = {
        "email": "$.traits.email",
        "email_sha256": "$.traits.email_sha256",
        "hashed_email": "$.traits.hashed_email",
        "previous_id": "$.previous_id",
    }
    extracted = ", ".join(f"{_json_text(dialect, p)} AS {name}" for name, p in fields.items())
    return (
        f"SELECT DISTINCT type, visitor_id, user_id, {extracted} FROM {RAW_HITS.name} "
        "WHERE account = ? AND NOT coalesce(is_bot, false) "
        "AND (user_id IS NOT NULL OR type IN ('identify', 'alias'))"
    )


def _email_node(row: dict) -> str | None:
    for name in ("email_sha256", "hashed_email"):
        value = (row.get(name) or "").strip().lower()
        if _SHA256.match(value):
            return node("email", value)
    email = (row.get("email") or "").strip()
    if "@" in email:
        return hash_email(email)
    return None


def edges_of(rows: list[dict]) -> list[tuple[str, str]]:
    edges = []
    for row in rows:
        visitor = node("visitor", row["visitor_id"]) if row.get("visitor_id") else None
        user = node("user", row["user_id"]) if row.get("user_id") else None
        if visitor and user:
            edges.append((visitor, user))
        if row["type"] == "identify":
            email = _email_node(row)
            if email:
                edges.extend((n, email) for n in (visitor, user) if n)
        if row["type"] == "alias" and row.get("previous_id") and user:
            edges.append((user, node("visitor", row["previous_id"])))
    return edges


@dataclass(frozen=True)
class IdentityUpdate:
    account: str
    visitors: int  # visitors linked to some person
    people: int  # people those visitors make
    merged_visitors: int  # visitors sharing their person with another visitor
    changed: int  # visitors whose person changed in this run
    changed_days: tuple[date, date] | None  # first and last day those visitors were seen


def _visitor_map(edges: list[tuple[str, str]]) -> dict[str, str]:
    graph = IdentityGraph()
    graph.add_edges(edges)
    prefix = "visitor:"
    return {n[len(prefix) :]: p for n, p in graph.people().items() if n.startswith(prefix)}


def update_identity_map(warehouse: Warehouse, account: str) -> IdentityUpdate:
    """Recompute ``account``'s people from all its edges and replace its rows of
    identity_map; report which visitors changed person."""
    rows = warehouse.query(edge_rows_sql(warehouse.dialect), [account])
    new = _visitor_map(edges_of(rows))
    old = {
        r["visitor_id"]: r["person_id"]
        for r in warehouse.query(
            f"SELECT visitor_id, person_id FROM {IDENTITY_MAP.name} WHERE account = ?", [account]
        )
    }
    changed = sorted(v for v in set(old) | set(new) if old.get(v) != new.get(v))
    replace_rows(
        warehouse,
        IDENTITY_MAP,
        ((account, visitor, person) for visitor, person in sorted(new.items())),
        "account = ?",
        [account],
    )
    sizes: dict[str, int] = {}
    for person in new.values():
        sizes[person] = sizes.get(person, 0) + 1
    return IdentityUpdate(
        account=account,
        visitors=len(new),
        people=len(sizes),
        merged_visitors=sum(n for n in sizes.values() if n > 1),
        changed=len(changed),
        changed_days=_days_seen(warehouse, account, changed) if changed else None,
    )


def _days_seen(warehouse: Warehouse, account: str, visitors: list[str]) -> tuple[date, date] | None:
    types = ", ".join(f"'{t}'" for t in TOUCH_TYPES)
    sql = (
        f"SELECT min(event_date) AS first_day, max(event_date) AS last_day FROM {RAW_HITS.name} "
        f"WHERE account = ? AND type IN ({types})"
    )
    params: list = [account]
    if len(visitors) <= CHANGED_LOOKUP_LIMIT:
        sql += f" AND visitor_id IN ({', '.join('?' for _ in visitors)})"
        params += visitors
    row = warehouse.query(sql, params)[0]
    if row["first_day"] is None:
        return None
    return as_date(row["first_day"]), as_date(row["last_day"])


def last_data_day(warehouse: Warehouse, account: str) -> date | None:
    types = ", ".join(f"'{t}'" for t in TOUCH_TYPES)
    row = warehouse.query(
        f"SELECT max(event_date) AS last_day FROM {RAW_HITS.name} "
        f"WHERE account = ? AND type IN ({types})",
        [account],
    )[0]
    return None if row["last_day"] is None else as_date(row["last_day"])
