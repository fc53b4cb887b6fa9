"""End-to-end harness: the servers of wewall/devservers.py (shared with bench/), as the tests name them."""

import contextlib
from typing import Iterator

import pytest

from wewall.devservers import (  # noqa: F401
    BIN,
    MODEL_INPUTS,
    PROJECT_ROOT,
    REST_HEADERS,
    REST_TOKEN,
    BotServers,
    base_env,
    conversation_key,
    free_port,
    postgres_admin_url,
    postgres_database,
    postgres_reachable,
    reachable,
    stop_group,
    trained_model,
)


def demo_bot(model, folder, offers: int = 60) -> Iterator[BotServers]:
    """The bot's servers on `offers` demo offers, running while the generator is (module fixtures
    `yield from` it)."""
    servers = BotServers(model, folder)
    servers.load_demo(offers)
    with servers:
        yield servers


@contextlib.contextmanager
def pg_database(prefix: str) -> Iterator[str]:
    """A throw-away PostgreSQL database for one test, or the test skipped when no server listens."""
    if not postgres_reachable():
        pytest.skip(f"PostgreSQL is not reachable at {postgres_admin_url()}")
    pytest.importorskip("psycopg2")
    with postgres_database(prefix) as url:
        yield url
