"""WewallSQLTrackerStore writes exactly what Rasa's SQLTrackerStore writes, with fewer reads, off the loop.

Each test runs on SQLite (the embedded default) and on PostgreSQL (production).
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from typing import List

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from tests.unit.test_crm_outbox import pg_url, sql_url  # noqa: F401 (fixtures)
from wewall.tracker_store import WewallSQLTrackerStore, stored_events

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, inform]
slots:
  city:
    type: text
    mappings: [{type: custom}]
responses:
  utter_greet: [{text: "Здравствуйте!"}]
""")


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: List[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def turn(tracker, n: int) -> None:
    """One client message and the bot's answer: the events a real turn appends."""
    tracker.update(UserUttered(f"сообщение {n}", {"name": "inform", "confidence": 0.9},
                               parse_data={"intent": {"name": "inform", "confidence": 0.9}, "entities": [], "text": f"сообщение {n}"}))
    tracker.update(SlotSet("city", f"город {n}"))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered(f"ответ {n}"))
    tracker.update(ActionExecuted("action_listen"))


def rows(store) -> List[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT sender_id, type_name, intent_name, action_name, data FROM events ORDER BY id"))]


async def conversation(store, sender: str, turns: int) -> None:
    """As Rasa's processor does: load (or create) the tracker, add a turn, save."""
    for n in range(turns):
        tracker = await store.get_or_create_tracker(sender)
        turn(tracker, n)
        await store.save(tracker)


@pytest.fixture
def url(sql_url):
    return sql_url


def test_rows_and_broker_events_are_those_of_rasas_store(url, tmp_path):
    ours_broker, theirs_broker = RecordingBroker(), RecordingBroker()
    ours = WewallSQLTrackerStore(domain=DOMAIN, host=url, event_broker=ours_broker)
    asyncio.run(conversation(ours, "клиент", 4))
    theirs = SQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'rasa.db'}", event_broker=theirs_broker)
    asyncio.run(conversation(theirs, "клиент", 4))

    def without_time(data):
        return [(s, t, i, a) for s, t, i, a, _ in data]

    assert len(rows(ours)) == 1 + 4 * 5  # action_listen of the new tracker, then five per turn
    assert without_time(rows(ours)) == without_time(rows(theirs))
    assert [e["event"] for e in ours_broker.published] == [e["event"] for e in theirs_broker.published]
    assert [e.get("text") for e in ours_broker.published] == [e.get("text") for e in theirs_broker.published]


def test_a_reloaded_conversation_is_the_saved_one(url):
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    asyncio.run(conversation(store, "клиент", 3))
    restarted = WewallSQLTrackerStore(domain=DOMAIN, host=url)  # a new server process
    tracker = asyncio.run(restarted.retrieve("клиент"))
    assert tracker.get_slot("city") == "город 2"
    assert [e.text for e in tracker.events if isinstance(e, BotUttered)] == ["ответ 0", "ответ 1", "ответ 2"]
    assert stored_events(tracker) == len(tracker.events)
    asyncio.run(conversation(restarted, "клиент", 1))
    assert len(rows(restarted)) == 1 + 4 * 5


def test_only_the_latest_session_is_loaded_and_stored_once(url):
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    asyncio.run(conversation(store, "клиент", 2))

    async def new_session():
        tracker = await store.retrieve("клиент")
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)

    asyncio.run(new_session())
    asyncio.run(conversation(store, "клиент", 1))
    tracker = asyncio.run(store.retrieve("клиент"))
    assert isinstance(tracker.events[0], SessionStarted)
    assert [e.text for e in tracker.events if isinstance(e, BotUttered)] == ["ответ 0"]
    full = asyncio.run(store.retrieve_full_tracker("клиент"))
    assert len(full.events) == len(rows(store)) == 1 + 2 * 5 + 3 + 5


def test_a_copy_of_a_tracker_is_not_trusted_with_the_stored_count(url):
    """A copy saved after the original must not store the original's new events a second time."""
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    asyncio.run(conversation(store, "клиент", 1))

    async def both():
        tracker = await store.retrieve("клиент")
        twin = copy.deepcopy(tracker)
        turn(tracker, 1)
        turn(twin, 1)
        await store.save(tracker)
        assert stored_events(twin) is None
        await store.save(twin)  # Rasa's way: counted in the table, nothing is new

    asyncio.run(both())
    assert len(rows(store)) == 1 + 2 * 5


def test_queries_run_off_the_event_loop(url):
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    threads = set()
    sa.event.listen(store.engine, "before_cursor_execute",
                    lambda *args: threads.add(threading.get_ident()))

    async def run():
        await conversation(store, "клиент", 2)
        return threading.get_ident()

    loop_thread = asyncio.run(run())
    assert threads and loop_thread not in threads


def test_an_unknown_conversation_is_none(url):
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    assert asyncio.run(store.retrieve("никто")) is None


def test_the_events_read_are_those_rasas_query_selects(url):
    """Our fixed SQL text against Rasa's ORM query, for both modes, on every kind of conversation."""
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    senders = ["клиент", "ещё'; DROP TABLE events; --", "новый"]
    asyncio.run(conversation(store, senders[0], 2))
    asyncio.run(conversation(store, senders[1], 1))

    async def new_session(sender):
        tracker = await store.retrieve(sender)
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)

    asyncio.run(new_session(senders[0]))
    asyncio.run(conversation(store, senders[0], 1))
    for sender in senders:
        for every_session in (False, True):
            with store.session_scope() as session:
                expected = [data for (data,) in store._event_query(session, sender, every_session)
                            .with_entities(store.SQLEvent.data).all()]
            tracker = store._retrieve_sync(sender, every_session)
            got = [event.as_dict() for event in tracker.events] if tracker else []
            assert got == [json.loads(data) for data in expected], (sender, every_session)
    assert len(rows(store)) == 1 + 2 * 5 + 3 + 5 + 1 + 5


def test_events_are_published_only_once_they_are_stored(url):
    """Issue #22: a Rasa kill between publishing and storing left a client message in amoCRM
    that the tracker did not have. The broker here checks the table as each event arrives."""

    class CheckingBroker(RecordingBroker):
        store = None

        def publish(self, event: dict) -> None:
            stored = [json.loads(data)["timestamp"] for *_, data in rows(self.store)]
            assert event["timestamp"] in stored, f"{event['event']} published before it was stored"
            super().publish(event)

    broker = CheckingBroker()
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url, event_broker=broker)
    broker.store = store
    asyncio.run(conversation(store, "клиент", 3))
    tracker = asyncio.run(store.retrieve("клиент"))
    copy = tracker.copy()  # a tracker the store does not know: the other path
    turn(copy, 9)
    asyncio.run(store.save(copy))
    assert len(broker.published) == 1 + 4 * 5
