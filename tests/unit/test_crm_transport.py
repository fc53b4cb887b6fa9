"""Backoff arithmetic, Retry-After parsing, masking, and error types."""

import datetime as dt
from email.utils import format_datetime

import aiohttp
import pytest

from wewall.crm.errors import AmoAuthError, AmoError, AmoRejected, AmoUnavailable
from wewall.crm.transport import RetryPolicy, Transport, mask, parse_retry_after


def test_backoff_doubles_is_capped_and_jittered_downwards():
    policy = RetryPolicy(backoff=0.5, backoff_max=3.0, jitter=0.5)
    no_jitter = [policy.delay(n, rand=lambda: 0.0) for n in range(1, 6)]
    assert no_jitter == [0.5, 1.0, 2.0, 3.0, 3.0]
    full_jitter = [policy.delay(n, rand=lambda: 1.0) for n in range(1, 6)]
    assert full_jitter == [0.25, 0.5, 1.0, 1.5, 1.5]
    assert all(0.25 <= policy.delay(1) <= 0.5 for _ in range(100))


def test_retry_after_wins_when_longer():
    policy = RetryPolicy(backoff=0.5, jitter=0.0)
    assert policy.delay(1, retry_after=2.0) == 2.0
    assert policy.delay(1, retry_after=0.1) == 0.5


@pytest.mark.parametrize("header, expected", [
    ("2", 2.0), (" 0.5 ", 0.5), ("-3", 0.0), ("", None), (None, None), ("soon", None),
])
def test_parse_retry_after_seconds(header, expected):
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date():
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=90)
    assert 85 <= parse_retry_after(format_datetime(later, usegmt=True)) <= 90
    past = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    assert parse_retry_after(format_datetime(past, usegmt=True)) == 0.0


def test_mask_keeps_only_a_short_tail():
    token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-part"
    assert mask(token) == "…part" and token[:-4] not in mask(token)
    assert mask("short") == "****" and mask(None) == "<none>"


def test_error_hierarchy_and_message():
    assert issubclass(AmoAuthError, AmoRejected) and issubclass(AmoRejected, AmoError)
    assert issubclass(AmoUnavailable, AmoError) and not issubclass(AmoUnavailable, AmoRejected)
    err = AmoRejected("refused", method="POST", path="/api/v4/leads", status=400,
                      body=b'{"title":"Bad Request"}' + b"x" * 1000)
    assert str(err).startswith('refused (POST /api/v4/leads -> 400): {"title":"Bad Request"}')
    assert len(err.body_excerpt) == 500
    assert AmoUnavailable("down", retry_after=5).retry_after == 5


def test_a_base_url_path_is_part_of_the_signed_path():
    # amojo signs the whole URL path: a proxy prefix in the base URL must be signed too.
    transport = Transport("http://proxy.local/amojo/")
    assert transport.base_url == "http://proxy.local/amojo"
    assert transport.full_path("/v2/origin/custom/s") == "/amojo/v2/origin/custom/s"


@pytest.mark.asyncio
async def test_a_session_passed_in_is_not_closed():
    async with aiohttp.ClientSession() as session:
        transport = Transport("http://127.0.0.1:9", session=session)
        await transport.close()
        assert not session.closed
