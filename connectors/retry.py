"""Retry with exponential backoff, written once for every platform.

A platform's call raises :class:`RateLimited` (with the delay the platform
advertised, if any), :class:`TransientError` or :class:`TokenExpired`; this
loop decides what to do. The advertised delay wins over our own backoff, so a
``Retry-After: 30`` waits 30 s even on the first retry.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from connectors.errors import AuthError, RateLimited, RetriesExhausted, TokenExpired, TransientError

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay: float = 2.0
    max_delay: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def backoff(self, attempt: int) -> float:
        """attempt 1, 2, 3 … → base, 2·base, 4·base … with ±20 % jitter, capped."""
        delay = self.base_delay * 2 ** (attempt - 1)
        return min(self.max_delay, delay * random.uniform(0.8, 1.2))


def call_with_retries(
    what: str,
    call: Callable[[], T],
    policy: RetryPolicy,
    refresh: Callable[[], None] | None = None,
) -> T:
    """``call()`` until it succeeds; ``refresh()`` once on an expired token."""
    attempt = 0
    refreshed = False
    while True:
        try:
            return call()
        except TokenExpired as exc:
            if refresh is None or refreshed:
                raise AuthError(
                    f"{what}: the access token is still refused after a refresh ({exc})"
                ) from None
            log.info("%s: access token expired, refreshing it", what)
            refresh()
            refreshed = True
        except (RateLimited, TransientError) as exc:
            attempt += 1
            if attempt > policy.max_retries:
                raise RetriesExhausted(
                    f"{what}: still failing after {policy.max_retries} retries: {exc}"
                ) from None
            advertised = exc.retry_after if isinstance(exc, RateLimited) else None
            delay = advertised if advertised is not None else policy.backoff(attempt)
            delay = min(delay, policy.max_delay)
            log.warning("%s: %s; retry %d in %.1f s", what, exc, attempt, delay)
            policy.sleep(delay)
