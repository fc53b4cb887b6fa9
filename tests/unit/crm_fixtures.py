"""Fixtures the amoCRM channel and relay tests share: a local amoCRM server, settings pointing
at it, and an outbox store in a temporary SQLite file."""

import pytest

from tests.amocrm_server import AmoCrmServer
from wewall.crm.config import CrmSettings
from wewall.crm.store import CrmStore

# Short timeouts and retries: a test of a failure does not wait for production's limits.
FAST = dict(timeout_seconds=1.0, connect_timeout_seconds=0.5, retry_attempts=3,
            retry_backoff_seconds=0.01, retry_backoff_max_seconds=0.05,
            retry_after_max_seconds=2.0)


def fast_settings(**overrides) -> CrmSettings:
    """CrmSettings from the environment (a test's amoCRM server) with FAST limits and `overrides`."""
    return CrmSettings(**{**FAST, **overrides})


@pytest.fixture
def amo():
    server = AmoCrmServer(connected=True).start()
    yield server
    server.stop()


@pytest.fixture
def settings(amo, monkeypatch):
    for key, value in amo.env().items():
        monkeypatch.setenv(key, value)
    return CrmSettings()


@pytest.fixture
def store(tmp_path):
    s = CrmStore(f"sqlite:///{tmp_path / 'outbox.db'}")
    yield s
    s.dispose()
