from datetime import date

from orchestration.defs.ad_platforms.restatement import (
    connection_window,
    restatement_days,
    restatement_range,
)
from touchline.control import connections as store
from touchline.control.db import session_scope


def test_window_is_the_longest_of_the_accounts_connections(settings, make_account) -> None:
    make_account("acme")
    make_account("bare")
    key = settings.secret_key.get_secret_value()
    with session_scope(settings.resolved_control_db_url) as session:
        store.add_connection(session, key, "acme", "klaviyo", "K1", {"api_key": "pk_x"})
        store.add_connection(session, key, "acme", "meta", "1", {}, {"restatement_days": "40"})
    assert restatement_days(settings, "acme") == 40
    assert restatement_days(settings, "bare") == 1
    assert connection_window("google_ads", {}) == 30
    assert connection_window("google_ads", {"restatement_days": "soon"}) == 30
    assert restatement_range(date(2026, 11, 21), 28) == (date(2026, 10, 25), date(2026, 11, 21))
