"""The HTTP layer both amoCRM clients share: timeouts, bounded retries, backoff, no secrets in logs.

Retried: 429, 5xx, connection errors, timeouts. Not retried: every other status, returned to
the client, which turns it into `AmoRejected` (401 is the REST client's business: it refreshes
the token). When attempts run out the caller gets `AmoUnavailable` and its outbox decides when
to try again; we never sleep longer than `retry_after_max` inside one call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Mapping, Optional, Union
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDict

from wewall.crm.errors import AmoError, AmoUnavailable

log = logging.getLogger(__name__)

HeadersArg = Union[None, Mapping[str, str], Callable[[], Mapping[str, str]]]


def mask(secret: Optional[str]) -> str:
    """A token as it may appear in a log: enough to tell two tokens apart, not to use one."""
    if not secret:
        return "<none>"
    return f"…{secret[-4:]}" if len(secret) >= 16 else "****"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5
    backoff_max: float = 8.0
    # Fraction of the delay that is randomised, so many callers failing together spread out.
    jitter: float = 0.5
    retry_after_max: float = 30.0

    def delay(self, retry_number: int, retry_after: Optional[float] = None,
              rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number `retry_number` (1 for the first retry)."""
        base = min(self.backoff_max, self.backoff * (2 ** (retry_number - 1)))
        backoff = base * (1 - self.jitter * rand())
        # amoCRM's own Retry-After wins when it asks for longer than our backoff.
        return max(backoff, retry_after or 0.0)


@dataclass
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    method: str = ""
    path: str = ""

    def json(self) -> Any:
        """Parsed body; amoCRM answers `application/hal+json`, so no content-type check."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise AmoError("response is not JSON", method=self.method, path=self.path,
                           status=self.status, body=self.body) from exc


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds from a Retry-After header: delta-seconds (fractions tolerated) or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


def is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


@dataclass
class Transport:
    base_url: str
    timeout: aiohttp.ClientTimeout = field(
        default_factory=lambda: aiohttp.ClientTimeout(total=10, connect=5))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    session: Optional[aiohttp.ClientSession] = None
    name: str = "amocrm"

    @classmethod
    def from_settings(cls, base_url: str, settings: Any, *, session=None, name: str = "amocrm",
                      retry: Optional[RetryPolicy] = None) -> Transport:
        """Timeouts and retry policy from CrmSettings (duck-typed to keep this module leaf)."""
        return cls(
            base_url,
            timeout=aiohttp.ClientTimeout(total=settings.timeout_seconds,
                                          connect=settings.connect_timeout_seconds),
            retry=retry or RetryPolicy(
                attempts=settings.retry_attempts,
                backoff=settings.retry_backoff_seconds,
                backoff_max=settings.retry_backoff_max_seconds,
                retry_after_max=settings.retry_after_max_seconds,
            ),
            session=session,
            name=name,
        )

    def __post_init__(self):
        self.base_url = self.base_url.rstrip("/")
        # The path part of the base URL belongs to every request path (and to amojo signatures).
        self.base_path = urlsplit(self.base_url).path.rstrip("/")
        self._own_session = self.session is None

    def full_path(self, path: str) -> str:
        return self.base_path + path

    async def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(timeout=self.timeout)
            self._own_session = True
        return self.session

    async def close(self) -> None:
        if self._own_session and self.session is not None and not self.session.closed:
            await self.session.close()

    async def send(
        self,
        method: str,
        path: str,
        *,
        body: Optional[bytes] = None,
        headers: HeadersArg = None,
        params: Optional[Mapping[str, str]] = None,
    ) -> HttpResponse:
        """One logical call: up to `retry.attempts` HTTP attempts with the same body bytes.

        `headers` may be a callable, evaluated per attempt: a signed request gets a fresh Date
        (amojo refuses dates older than 15 minutes) over the very same bytes.
        """
        session = await self._session()
        url = self.base_url + path
        attempts = max(1, self.retry.attempts)
        last_status: Optional[int] = None
        last_body: Optional[bytes] = None
        last_exc: Optional[BaseException] = None
        retry_after: Optional[float] = None

        for attempt in range(1, attempts + 1):
            hdrs = dict(headers() if callable(headers) else (headers or {}))
            retry_after = None
            try:
                async with session.request(
                    method, url, data=body, headers=hdrs, params=params,
                    allow_redirects=False, timeout=self.timeout,
                ) as resp:
                    data = await resp.read()
                    # Case-insensitive: a proxy may send "retry-after" in lower case.
                    response = HttpResponse(resp.status, CIMultiDict(resp.headers), data,
                                            method, path)
            except asyncio.TimeoutError as exc:
                last_exc, last_status, last_body, what = exc, None, None, "timeout"
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                last_exc, last_status, last_body = exc, None, None
                what = type(exc).__name__
            except aiohttp.ClientError as exc:
                # Anything else (invalid URL, bad headers) will not get better by retrying.
                raise AmoError(f"{self.name} request failed: {type(exc).__name__}",
                               method=method, path=path) from exc
            else:
                if not is_retryable_status(response.status):
                    if attempt > 1:
                        log.info("%s %s %s: %s after %d attempts",
                                 self.name, method, path, response.status, attempt)
                    return response
                last_exc, last_status, last_body = None, response.status, response.body
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                what = str(response.status)

            if retry_after is not None and retry_after > self.retry.retry_after_max:
                # Sleeping minutes inside a request would hold a worker; the outbox can wait.
                raise AmoUnavailable(
                    f"{self.name} asks to retry after {retry_after:.0f}s", retry_after=retry_after,
                    method=method, path=path, status=last_status, body=last_body,
                ) from last_exc
            if attempt == attempts:
                break
            delay = self.retry.delay(attempt, retry_after)
            log.warning("%s %s %s: %s (attempt %d/%d), retrying in %.2fs",
                        self.name, method, path, what, attempt, attempts, delay)
            await asyncio.sleep(delay)

        raise AmoUnavailable(
            f"{self.name} unavailable after {attempts} attempts ({what})",
            retry_after=retry_after, method=method, path=path, status=last_status,
            body=last_body,
        ) from last_exc
