from datetime import date

from orchestration.defs.ad_platforms.account_days import selected_accounts_and_days
from orchestration.defs.partitions import account_day_key


def test_accounts_and_days_of_a_range_run() -> None:
    keys = [account_day_key(a, f"2026-11-0{d}") for a in ("b", "a") for d in (3, 1, 2)]
    keys.append(str(account_day_key("a", "2026-11-02")))  # the string form, repeated
    assert selected_accounts_and_days(keys) == {
        "a": [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)],
        "b": [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)],
    }
    assert selected_accounts_and_days([]) == {}
