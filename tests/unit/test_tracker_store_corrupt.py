"""Issue #22: a corrupt SQLite tracker database stops the server with a clear message instead of
Rasa's silent in-memory fallback (history gone for those clients, every new turn lost at restart)."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from wewall.tracker_store import TrackerStoreCorrupt, WewallSQLTrackerStore

DOMAIN = Domain.empty()


def _database_with_conversations(path):
    url = f"sqlite:///{path}"
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    for n in range(200):
        tracker = DialogueStateTracker.from_events(f"tg:{n}", [ActionExecuted("action_listen"),
                                                                UserUttered("привет " * 20, {"name": "greet"})])
        asyncio.run(store.save(tracker))
    store.engine.dispose()  # checkpoints the WAL into the file
    return url


def _garbage_over_pages(path):
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    assert len(data) > 4 * page
    data[page:len(data) - page] = b"\xa5" * (len(data) - 2 * page)  # header page kept
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["not_a_database", "pages"])
def test_a_corrupt_database_stops_the_server_with_its_name(tmp_path, damage, caplog):
    path = tmp_path / "tracker.db"
    url = _database_with_conversations(path)
    if damage == "not_a_database":
        path.write_bytes(b"this is not a database" * 500)
    else:
        _garbage_over_pages(path)
    for name in ("tracker.db-wal", "tracker.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    with pytest.raises(TrackerStoreCorrupt) as raised:
        # the way Rasa builds it from endpoints.yml: no fallback on the way
        create_tracker_store(EndpointConfig(url=url, type="wewall.tracker_store.WewallSQLTrackerStore"), DOMAIN)
    assert str(path) in str(raised.value) and "остановлен" in str(raised.value)
    assert str(path) in caplog.text
    assert isinstance(raised.value, SystemExit)  # no `except Exception` swallows it


def test_a_sound_database_starts_as_before(tmp_path):
    url = _database_with_conversations(tmp_path / "tracker.db")
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    assert asyncio.run(store.retrieve("tg:7")) is not None


def test_the_message_hides_a_password():
    from wewall.tracker_store import _stop

    error = _stop("postgresql://wewall:s3cret-pass@db:5432/wewall", RuntimeError("boom"))
    assert "s3cret-pass" not in str(error) and "db:5432/wewall" in str(error)
