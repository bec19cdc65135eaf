"""Tracking-token lookup with a short in-process cache.

The collector serves thousands of hits a second; asking the control database
for every one of them would make it the bottleneck. Accounts change rarely,
so a token's account is remembered for ``ttl`` seconds. Unknown tokens are
remembered too (shorter), so a misconfigured site flooding us with a wrong
token costs one query every few seconds, not one per hit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from touchline.control.db import session_scope
from touchline.control.registry import AccountInfo, account_for_tracking_token


class TokenCache:
    def __init__(
        self,
        control_db_url: str,
        ttl: float = 30.0,
        negative_ttl: float = 5.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = control_db_url
        self._ttl = ttl
        self._negative_ttl = negative_ttl
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, AccountInfo | None]] = {}

    def lookup(self, token: str) -> AccountInfo | None:
        """The account the token belongs to, or None when no account has it."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(token)
        if entry is not None and entry[0] > now:
            return entry[1]
        # The query runs outside the lock: a slow database must not stall hits
        # whose tokens are already cached. Two threads may both miss; harmless.
        with session_scope(self._url) as session:
            account = account_for_tracking_token(session, token)
        expires = now + (self._ttl if account is not None else self._negative_ttl)
        with self._lock:
            if len(self._entries) >= self._max_entries:
                # Random garbage tokens must not grow memory without bound.
                self._entries.clear()
            self._entries[token] = (expires, account)
        return account

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
