"""Each ad platform's account id as the tests connect it: the one table a new
platform adds a line to, so that every platform runs through the same tests."""

from __future__ import annotations

ACCOUNT_IDS = {
    "google_ads": "1234567890",
    "microsoft_ads": "445566",
    "meta": "1122334455",
    "klaviyo": "KLAV0001",
    "tiktok": "7000000001",
    "pinterest": "549755885175",
}
