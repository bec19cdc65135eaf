"""Account collection settings with a short in-process cache.

The collector serves thousands of hits a second; asking the control database
for every one of them would make it the bottleneck. Settings change rarely,
so an account's are remembered for ``ttl`` seconds (the "live" interval of a
configuration change, 30 s by default). Unknown tokens and keys are
remembered too (shorter), so a misconfigured site flooding us with a wrong
token costs one query every few seconds, not one per hit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Generic, TypeVar

from touchline.control.db import session_scope
from touchline.control.registry import (
    CollectionConfig,
    all_account_domains,
    collection_config_for_token,
    collection_config_for_write_key,
    cookieless_salt,
    hash_api_key,
)

T = TypeVar("T")


class TtlCache(Generic[T]):
    def __init__(
        self,
        load: Callable[[str], T | None],
        ttl: float,
        negative_ttl: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._negative_ttl = negative_ttl
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, T | None]] = {}

    def get(self, key: str) -> T | None:
        now = self._clock()
        entry = self._entries.get(key)  # a dict read is atomic; no lock on the hot path
        if entry is not None and entry[0] > now:
            return entry[1]
        # The query runs outside the lock: a slow database must not stall hits
        # whose keys are already cached. Two threads may both miss; harmless.
        value = self._load(key)
        expires = now + (self._ttl if value is not None else self._negative_ttl)
        with self._lock:
            if len(self._entries) >= self._max_entries:
                # Random garbage keys must not grow memory without bound.
                self._entries.clear()
            self._entries[key] = (expires, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class AccountSettings:
    """Collection settings by tracking token or write key, and every account's domains."""

    def __init__(
        self,
        control_db_url: str,
        ttl: float = 30.0,
        negative_ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = control_db_url
        negative_ttl = min(ttl, negative_ttl)
        self._tokens: TtlCache[CollectionConfig] = TtlCache(
            self._by_token, ttl, negative_ttl, clock=clock
        )
        # Keyed by the key's hash: the plaintext write key is not kept in memory.
        self._keys: TtlCache[CollectionConfig] = TtlCache(
            self._by_key_hash, ttl, negative_ttl, clock=clock
        )
        self._pending_key: threading.local = threading.local()
        self._domains: TtlCache[frozenset[str]] = TtlCache(
            self._all_domains, ttl, negative_ttl, clock=clock
        )
        self._salts: dict[date, str] = {}
        self._salt_lock = threading.Lock()

    def _by_token(self, token: str) -> CollectionConfig | None:
        with session_scope(self._url) as session:
            return collection_config_for_token(session, token)

    def _by_key_hash(self, _hash: str) -> CollectionConfig | None:
        with session_scope(self._url) as session:
            return collection_config_for_write_key(session, self._pending_key.value)

    def _all_domains(self, _key: str) -> frozenset[str]:
        with session_scope(self._url) as session:
            return all_account_domains(session)

    def by_token(self, token: str) -> CollectionConfig | None:
        return self._tokens.get(token)

    def by_write_key(self, write_key: str) -> CollectionConfig | None:
        self._pending_key.value = write_key
        try:
            return self._keys.get(hash_api_key(write_key))
        finally:
            self._pending_key.value = None

    def any_account_allows(self, host: str | None) -> bool:
        """For CORS before the account is known (a preflight has no body)."""
        if not host:
            return False
        domains = self._domains.get("all") or frozenset()
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in domains)

    def salt(self, day: date) -> str:
        """The day's cookieless salt: shared by every instance through the control DB."""
        salt = self._salts.get(day)
        if salt is None:
            with self._salt_lock, session_scope(self._url) as session:
                salt = cookieless_salt(session, day)
                self._salts = {day: salt}  # yesterday's is forgotten at once
        return salt

    def clear(self) -> None:
        self._tokens.clear()
        self._keys.clear()
        self._domains.clear()
