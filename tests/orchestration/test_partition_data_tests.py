"""dbt's data tests run per partition: one account's bad data fails that
account's run, says which test failed, and never fails another account's run
or its report rows."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from dagster import DagsterEventType, DagsterInstance

from orchestration.local_runs import materialize_range
from touchline.contract import LandedHit
from touchline.control import registry
from touchline.control.db import session_scope
from touchline.landing import LandingWriter
from touchline.warehouse import Warehouse

DAY = date(2026, 11, 20)


def pageview(account: str, visitor: str | None, minute: int) -> LandedHit:
    at = datetime(2026, 11, 20, 10, minute, tzinfo=timezone.utc)
    return LandedHit.model_construct(
        **{
            **LandedHit(
                hit_id=str(uuid.uuid4()),
                type="pageview",
                account=account,
                event_at=at,
                received_at=at,
                visitor_id="placeholder",
                url="https://shop.example.com/",
            ).model_dump(),
            # A line no collector of ours writes (a hand-edited or foreign
            # landing file): the warehouse loads it, dbt's tests must catch it.
            "visitor_id": visitor,
        }
    )


def failure_messages(instance: DagsterInstance, run_id: str) -> str:
    return "\n".join(
        str(record.dagster_event.event_specific_data.error)
        for record in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    )


def test_bad_data_fails_only_its_own_account_and_names_the_test(settings, pipeline) -> None:
    with session_scope(settings.resolved_control_db_url) as session:
        for name in ("good", "bad"):
            registry.create_account(session, name, name.title(), "UTC", "EUR", [])
    LandingWriter(settings.resolved_landing_root, instance="t").write(
        [
            pageview("good", "v1", 0),
            pageview("good", "v2", 5),
            pageview("bad", "v3", 0),
            pageview("bad", None, 5),  # no visitor: int_sessions.visitor_id is null
        ]
    )
    good_first = materialize_range("good", DAY, DAY, pipeline)
    bad = materialize_range("bad", DAY, DAY, pipeline)
    good_again = materialize_range("good", DAY, DAY, pipeline)
    failures = failure_messages(pipeline, bad.run_id)

    assert good_first.success and good_again.success
    assert not bad.success
    # The failure names the failing test in dbt's words, not a stack trace.
    assert "not_null_int_sessions_visitor_id" in failures, failures
    assert "Traceback" not in failures

    warehouse = Warehouse(settings.resolved_warehouse_url)
    rows = warehouse.query(
        "SELECT account, sum(sessions) AS sessions FROM fct_channel_daily "
        "WHERE date_day = ? GROUP BY account ORDER BY account",
        [DAY],
    )
    # The good account's report is whole; the bad account's run stopped at the
    # failing test, before its report tables.
    assert [(r["account"], int(r["sessions"])) for r in rows] == [("good", 2)]
