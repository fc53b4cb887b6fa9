"""Typed failures of the amoCRM clients.

The split is what a durable outbox needs: `AmoUnavailable` means "try the same call again
later" (amoCRM down, throttling, a timeout), `AmoRejected` means "the same call will fail again"
(bad data, bad signature, wrong ids) and needs a person or a code fix.
"""

from __future__ import annotations

from typing import Optional

# Enough of a response body to see amoCRM's validation message, not a whole HTML error page.
_EXCERPT = 500


class AmoError(Exception):
    """Any amoCRM failure. `path` never includes the host or query (no secrets in either)."""

    def __init__(
        self,
        message: str,
        *,
        method: Optional[str] = None,
        path: Optional[str] = None,
        status: Optional[int] = None,
        body: Optional[bytes] = None,
    ):
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.body_excerpt = (body or b"")[:_EXCERPT].decode("utf-8", "replace")
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = " ".join(part for part in (self.method, self.path) if part)
        status = f" -> {self.status}" if self.status is not None else ""
        detail = f": {self.body_excerpt}" if self.body_excerpt else ""
        return f"{self.message} ({where}{status}){detail}" if where else f"{self.message}{detail}"


class AmoUnavailable(AmoError):
    """Temporary: retries are exhausted (429, 5xx, connection error, timeout).

    `retry_after` (seconds) is set when amoCRM said how long to wait.
    """

    def __init__(self, message: str, *, retry_after: Optional[float] = None, **kwargs):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class AmoRejected(AmoError):
    """Permanent: a 4xx other than 429 (validation error, 403 bad signature, 404)."""


class AmoAuthError(AmoRejected):
    """401 that a token refresh did not cure, or the refresh itself was refused."""


class AmoConfigError(AmoError):
    """A call needs configuration that is absent (e.g. no scope_id, no bot id)."""
