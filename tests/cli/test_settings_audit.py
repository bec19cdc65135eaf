"""Settings changed at the command line land in the same audit log as changes
made through the API, under the operator's name."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_users import ok, touchline
from touchline.control import audit, registry
from touchline.control.db import session_scope


def test_cli_settings_changes_are_audited(settings, data_dir: Path) -> None:
    url = settings.resolved_control_db_url
    with session_scope(url) as session:
        registry.create_account(session, "acme", domains=["acme.test"])

    change = ("--add-domain", "shop.acme.test", "--block-ip", "203.0.113.7", "--rotate-write-key")
    updated = ok(touchline(data_dir, "accounts", "update", "acme", *change))
    write_key = updated.split("server write key: ")[1].split()[0]
    ok(touchline(data_dir, "accounts", "attribution", "acme", "--lookback-days", "14"))
    ok(touchline(data_dir, "accounts", "channel-rules", "add", "acme", "Partners",
                 "--when", "source contains partner"))  # fmt: skip
    # Showing settings changes nothing, so it writes nothing.
    ok(touchline(data_dir, "accounts", "attribution", "acme"))

    with session_scope(url) as session:
        found = audit.entries(session, "acme")
    by_action = {e.action: e for e in found}
    assert [e.action for e in found] == [
        "channel_rule.add",
        "attribution.update",
        "account.update",
    ]
    assert all(e.actor.startswith("cli:") for e in found)
    update = by_action["account.update"]
    assert update.before["domains"] == ["acme.test"]
    assert update.after["domains"] == ["acme.test", "shop.acme.test"]
    assert update.after["blacklist"] == ["ip 203.0.113.7"]
    # Only what changed is recorded, and never the key itself.
    assert "timezone" not in update.after
    assert write_key not in str([(e.before, e.after) for e in found])
    assert by_action["attribution.update"].before == {"lookback_days": 30}
    assert by_action["attribution.update"].after == {"lookback_days": 14}
    rules = by_action["channel_rule.add"].after["rules"]
    assert [(r["position"], r["channel"]) for r in rules] == [(1, "Partners")]
