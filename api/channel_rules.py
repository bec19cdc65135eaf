"""An account's channel rules through the API: list, add, remove, reorder, and
a preview of how many of the last 30 days' sessions each rule (the existing
ones and a proposed one) would take, computed by the warehouse
(``touchline.channel_preview``).

A rule is ``{"channel": "Brand", "conditions": [...], "position": 1}``; a
condition is ``{"field", "operator", "value"}`` or the CLI's text
``"campaign contains brand"``. The rules change the channels of the days
materialised after the change.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

from api.access import Role, account_for, record
from api.settings import app_settings, check_fields, control, field_errors, json_object
from touchline import channel_preview
from touchline.control import channel_rules as rules
from touchline.control.registry import RegistryError
from touchline.warehouse import Warehouse, WarehouseError, parse_warehouse_url
from touchline.web_errors import JsonError

bp = Blueprint("channel_rules", __name__, url_prefix="/api/v1/accounts/<slug>/channel-rules")
READER = "touchline.channel_preview.reader"
_reader_lock = threading.Lock()


def _listing(found: list[rules.Rule]) -> dict[str, Any]:
    return {"rules": [r.as_json() for r in found]}


def parse_conditions(value: Any) -> list[rules.Condition]:
    if not isinstance(value, list) or not value:
        raise JsonError(400, "conditions: a non-empty list", field="conditions")
    out = []
    with field_errors("conditions"):
        for item in value:
            if isinstance(item, str):
                out.append(rules.parse_condition(item))
            elif isinstance(item, dict) and set(item) <= {"field", "operator", "value"}:
                out.append(
                    rules.make_condition(
                        str(item.get("field", "")),
                        str(item.get("operator", "")),
                        str(item.get("value") or ""),
                    )
                )
            else:
                raise RegistryError(
                    "each condition is {field, operator, value} or 'FIELD OPERATOR [VALUE]'"
                )
    return out


def parse_rule(body: dict[str, Any]) -> tuple[str, list[rules.Condition], int | None]:
    check_fields(body, {"channel": str, "conditions": list, "position": int})
    if "channel" not in body:
        raise JsonError(400, "channel: required", field="channel")
    with field_errors("channel"):
        channel = rules.validate_channel(body["channel"])
    conditions = parse_conditions(body.get("conditions"))
    if len(conditions) > rules.MAX_CONDITIONS:
        raise JsonError(
            400, f"conditions: at most {rules.MAX_CONDITIONS} per rule", field="conditions"
        )
    return channel, conditions, body.get("position")


@bp.get("")
def list_rules(slug: str) -> Response:
    account = account_for(slug, Role.VIEWER)
    with control() as session:
        found = rules.list_rules(session, account.slug)
    return jsonify(
        **_listing(found),
        fields=rules.FIELDS,
        operators=rules.OPERATORS,
    )


@bp.post("")
def add_rule(slug: str) -> tuple[Response, int]:
    account = account_for(slug, Role.EDITOR)
    channel, conditions, position = parse_rule(json_object())
    with control() as session:
        before = rules.list_rules(session, account.slug)
        with field_errors("position"):
            after = rules.add_rule(session, account.slug, channel, conditions, position)
        added = after[(position or len(after)) - 1]
        record(
            session,
            account.slug,
            "channel_rule.add",
            f"rule {added.position}: {added.channel}",
            {"rules": [r.as_json() for r in before]},
            {"rules": [r.as_json() for r in after]},
        )
    return jsonify(_listing(after)), 201


@bp.delete("/<int:position>")
def remove_rule(slug: str, position: int) -> Response:
    account = account_for(slug, Role.EDITOR)
    with control() as session:
        before = rules.list_rules(session, account.slug)
        if not 1 <= position <= len(before):
            raise JsonError(404, f"{account.slug} has no channel rule at position {position}")
        after = rules.remove_rule(session, account.slug, position)
        gone = before[position - 1]
        record(
            session,
            account.slug,
            "channel_rule.remove",
            f"rule {position}: {gone.channel}",
            {"rules": [r.as_json() for r in before]},
            {"rules": [r.as_json() for r in after]},
        )
    return jsonify(_listing(after))


@bp.post("/reorder")
def reorder(slug: str) -> Response:
    account = account_for(slug, Role.EDITOR)
    body = json_object()
    check_fields(body, {"order": list})
    order = body.get("order")
    if not isinstance(order, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) for p in order
    ):
        raise JsonError(
            400, "order: a list of the current positions, in the new order", field="order"
        )
    with control() as session:
        before = rules.list_rules(session, account.slug)
        with field_errors("order"):
            after = rules.reorder_rules(session, account.slug, order)
        record(
            session,
            account.slug,
            "channel_rule.reorder",
            account.slug,
            {"rules": [r.as_json() for r in before]},
            {"rules": [r.as_json() for r in after]},
        )
    return jsonify(_listing(after))


# --- preview -------------------------------------------------------------------------


def _query_function(app: Flask):
    """(dialect, query(sql, params) -> rows) where the preview reads: the serving
    copy on DuckDB (the warehouse file belongs to the builds), the warehouse
    itself on MySQL/MariaDB."""
    url = app_settings(app).resolved_warehouse_url
    target = parse_warehouse_url(url)
    if target.dialect != "duckdb":
        warehouse = Warehouse(url)
        return "mysql", warehouse.query
    from touchline.serving import SnapshotReader

    with _reader_lock:
        reader = app.extensions.get(READER)
        if reader is None:
            reader = app.extensions[READER] = SnapshotReader(str(target.path))
    if not reader.table_exists(channel_preview.SESSION_SOURCES):
        raise channel_preview.PreviewUnavailable(
            "no sessions in the published report data yet: materialise some days of "
            "this account (the preview reads the copy published after each build)"
        )
    return "duckdb", lambda sql, params: reader.query(sql, params)[1]


def _preview(slug: str, proposed: rules.Rule | None) -> Response:
    account = account_for(slug, Role.VIEWER)
    with control() as session:
        existing = rules.list_rules(session, account.slug)
    try:
        dialect, query = _query_function(current_app)
        found = channel_preview.preview(query, dialect, account.slug, existing, proposed)
    except channel_preview.PreviewUnavailable as exc:
        raise JsonError(409, str(exc)) from None
    except WarehouseError as exc:
        current_app.logger.warning("channel rule preview: %s", exc)
        raise JsonError(503, "the warehouse cannot be read right now; try again") from None
    return jsonify(
        window={
            "start": found.window_start.isoformat() if found.window_start else None,
            "end": found.window_end.isoformat() if found.window_end else None,
            "days": channel_preview.WINDOW_DAYS,
        },
        sessions=found.sessions,
        left_to_default_channels=found.left_to_defaults,
        rules=[
            {
                "position": r.position,
                "channel": r.channel,
                "text": r.text,
                "proposed": r.proposed,
                "matches": r.matches,
                "takes": r.takes,
            }
            for r in found.rules
        ],
    )


@bp.get("/preview")
def preview_existing(slug: str) -> Response:
    return _preview(slug, None)


@bp.post("/preview")
def preview_proposed(slug: str) -> Response:
    """``{"channel", "conditions", "position"?}``: the rules as they would be
    with this one added (at the end unless a position is given). Changes nothing."""
    account = account_for(slug, Role.VIEWER)
    channel, conditions, position = parse_rule(json_object())
    with control() as session:
        count = len(rules.list_rules(session, account.slug))
    if position is not None and not 1 <= position <= count + 1:
        raise JsonError(400, f"position: between 1 and {count + 1}", field="position")
    proposed = rules.Rule(position or count + 1, channel, tuple(conditions))
    return _preview(slug, proposed)
