"""Fixtures the amoCRM channel and relay tests share: a local amoCRM server, settings pointing
at it, and an outbox store in a temporary SQLite file."""

import pytest

from tests.amocrm_server import AmoCrmServer
from wewall.crm.config import CrmSettings
from wewall.crm.store import CrmStore


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
