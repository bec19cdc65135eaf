"""What can go wrong when talking to a platform, in words fit for a run log.

No message here ever includes a token, a secret or a full request URL with a
key in it: connectors build messages from codes and the platform's own text.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A connector failed; the message names what to fix."""


class AuthError(ConnectorError):
    """The platform refused the credentials for good (revoked, wrong scope):
    someone has to reconnect the account."""


class TokenExpired(ConnectorError):
    """The access token is stale; refreshing it and retrying may succeed."""


class RateLimited(ConnectorError):
    """The platform asked us to slow down, possibly saying for how long."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """A server-side hiccup (5xx, INTERNAL) worth retrying."""


class RetriesExhausted(ConnectorError):
    """Still failing after every retry."""
