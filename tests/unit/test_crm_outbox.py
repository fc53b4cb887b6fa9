"""The outbox: Rasa events → rows, written off the event loop, in order, without loss."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

from tests.amocrm_server import amocrm_env, amocrm_server, clear_amocrm_env  # noqa: F401 (fixtures)
from tests.e2e.harness import pg_database, reachable
from wewall.crm.commands import crm_command
from wewall.crm.outbox import EventConverter, OutboxEventBroker, OutboxWriter, bot_text
from wewall.crm.store import BOT, CLIENT, COMMAND, DONE, FAILED, PENDING, CrmStore


@pytest.fixture
def pg_url():
    """A throw-away PostgreSQL database (skipped when there is no server)."""
    with pg_database("wewall_outbox") as url:
        try:
            yield url
        finally:
            from wewall.crm.store import reset_stores

            reset_stores()


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request, tmp_path):
    """The same tests on the embedded default and on PostgreSQL (production)."""
    return (f"sqlite:///{tmp_path / 'state.db'}" if request.param == "sqlite"
            else request.getfixturevalue("pg_url"))


@pytest.fixture
def store(sql_url):
    s = CrmStore(sql_url)
    yield s
    s.dispose()


def user(sender, text, ts=None, **extra):
    return {"sender_id": sender, "event": "user", "text": text,
            "timestamp": ts or time.time(), "input_channel": "rest", **extra}


def bot(sender, text, ts=None, buttons=None, metadata=None):
    return {"sender_id": sender, "event": "bot", "text": text, "timestamp": ts or time.time(),
            "data": {"buttons": buttons} if buttons else {}, "metadata": metadata or {}}


# ---------------------------------------------------------------- conversion


def test_user_and_bot_events_become_rows_others_do_not():
    c = EventConverter()
    row = c.convert(user("u1", "привет", 100.0))
    assert (row["kind"], row["text"], row["ts"], row["channel"]) == (CLIENT, "привет", 100.0, "rest")
    assert uuid.UUID(row["msgid"])
    assert c.convert(bot("u1", "Здравствуйте!"))["kind"] == BOT
    for event in ({"sender_id": "u1", "event": "action", "name": "action_listen"},
                  {"sender_id": "u1", "event": "session_started"},
                  {"sender_id": "u1", "event": "slot", "name": "area_m2", "value": 5},
                  user("u1", "EXTERNAL: reminder"), user("u1", "   "), user("u1", None),
                  {"event": "user", "text": "no sender"}):
        assert c.convert(event) is None


def test_msgids_are_unique_per_row():
    c = EventConverter()
    ids = {c.convert(user("u1", "a"))["msgid"] for _ in range(100)}
    assert len(ids) == 100


def test_bot_text_shows_buttons_and_images_for_the_manager():
    event = bot("u1", "Выберите:", buttons=[{"title": "Офис", "payload": "/a"},
                                            {"title": "Ритейл", "payload": "/b"}])
    assert bot_text(event) == "Выберите:\n[кнопки: Офис | Ритейл]"
    assert bot_text({"text": None, "data": {"image": "http://x/c.png"}}) == "[изображение] http://x/c.png"
    assert bot_text({"text": None, "data": {"custom": {"a": 1}}}) is None


def test_a_pressed_button_reads_as_its_title():
    c = EventConverter()
    c.convert(bot("u1", "Меню", buttons=[{"title": "Связаться с менеджером",
                                          "payload": "/request_manager"}]))
    assert c.convert(user("u1", "/request_manager"))["text"] == \
        "Нажата кнопка «Связаться с менеджером»"
    assert c.convert(user("u2", "/request_manager"))["text"] == "/request_manager"  # not u2's button


def test_the_managers_own_words_are_not_mirrored_back():
    c = EventConverter()
    assert c.convert(bot("u1", "Менеджер WEWALL:\nДобрый день",
                         metadata={"wewall_source": "manager"})) is None


def test_client_fields_from_channel_metadata():
    c = EventConverter()
    row = c.convert(user("u1", "hi", metadata={
        "lead_source": "site", "telegram": {"first_name": "Анна", "username": "anna", "chat_id": 5}}))
    assert row["data"]["client"] == {"first_name": "Анна", "username": "anna", "lead_source": "site"}


def test_commands_and_counters_from_slots():
    c = EventConverter()
    set_, reset = crm_command("handover", summary="Сводка")
    row = c.convert({"sender_id": "u1", **set_, "timestamp": 5.0})
    assert (row["kind"], row["text"], row["data"]["summary"]) == (COMMAND, "handover", "Сводка")
    assert c.convert({"sender_id": "u1", **reset}) is None
    row = c.convert({"sender_id": "u1", "event": "slot", "name": "calculations_count", "value": 3})
    assert row["data"] == {"type": "calculation", "count": 3}
    assert c.convert({"sender_id": "u1", "event": "slot", "name": "crm_event",
                      "value": {"type": "drop_tables"}}) is None
    with pytest.raises(ValueError):
        crm_command("drop_tables")


def test_long_texts_are_clipped():
    row = EventConverter().convert(user("u1", "я" * 10000))
    assert len(row["text"]) == 4000 and row["text"].endswith("…")


# ---------------------------------------------------------------- writing


def test_broker_writes_in_publish_order(store):
    broker = OutboxEventBroker(store=store, record=True)
    for i in range(200):
        broker.publish(user(f"u{i % 7}", f"m{i}", ts=1000.0 + i))
    assert broker.flush(10)
    rows = store.rows()
    assert [r["text"] for r in rows] == [f"m{i}" for i in range(200)]
    assert all(r["status"] == PENDING for r in rows)
    assert store.pending_senders(time.time())[:3] == ["u0", "u1", "u2"]
    asyncio.run(broker.close())


def test_publish_is_cheap_and_never_waits_for_the_database(tmp_path):
    gate = threading.Event()

    class SlowStore:
        def append(self, rows):
            gate.wait(5)  # a database that hangs

    broker = OutboxEventBroker(store=SlowStore(), record=True)
    start = time.perf_counter()
    for i in range(2000):
        broker.publish(user("u1", f"m{i}"))
    elapsed = time.perf_counter() - start
    gate.set()
    assert elapsed < 0.5, f"2000 publishes took {elapsed:.3f}s"
    assert broker.flush(10)


def test_writer_keeps_rows_while_the_database_is_down(tmp_path):
    real = CrmStore(f"sqlite:///{tmp_path / 'o.db'}")
    failures = {"left": 3}

    class Flaky:
        def append(self, rows):
            if failures["left"]:
                failures["left"] -= 1
                raise RuntimeError("database is down")
            real.append(rows)

    writer = OutboxWriter(Flaky(), retry_seconds=0.01)
    rows = EventConverter()
    for i in range(50):
        writer.put(rows.convert(user("u1", f"m{i}")))
    assert writer.flush(10)
    assert [r["text"] for r in real.rows()] == [f"m{i}" for i in range(50)]
    assert writer.close()


def test_close_flushes_what_is_queued(tmp_path):
    store = CrmStore(f"sqlite:///{tmp_path / 'o.db'}")
    broker = OutboxEventBroker(store=store, record=True)
    for i in range(100):
        broker.publish(user("u1", f"m{i}"))
    asyncio.run(broker.close())
    assert len(store.rows()) == 100


def test_with_the_crm_off_nothing_is_recorded(monkeypatch, tmp_path, caplog):
    from wewall.crm.config import reset_crm_settings

    clear_amocrm_env(monkeypatch)
    url = f"sqlite:///{tmp_path / 'off.db'}"
    with caplog.at_level("WARNING"):
        broker = OutboxEventBroker(url)
    assert broker.record is False and broker.store is None
    assert "amoCRM выключен" in caplog.text
    broker.publish(user("u1", "привет"))
    assert broker.flush()
    assert not (tmp_path / "off.db").exists()
    reset_crm_settings()


def test_no_broker_at_all_when_the_crm_is_off_and_no_rabbitmq(monkeypatch, tmp_path, caplog):
    from rasa.core.brokers.broker import EventBroker
    from rasa.utils.endpoints import EndpointConfig

    from wewall.crm.config import reset_crm_settings

    clear_amocrm_env(monkeypatch)
    monkeypatch.delenv("WEWALL_RABBITMQ_URL", raising=False)
    cfg = EndpointConfig(url=f"sqlite:///{tmp_path / 'x.db'}", type="wewall.crm.outbox.OutboxEventBroker")
    with caplog.at_level("WARNING"):
        assert asyncio.run(EventBroker.create(cfg)) is None
    assert caplog.text.count("amoCRM выключен") == 1
    reset_crm_settings()


def test_from_endpoint_config_with_the_crm_on(amocrm_env, tmp_path):
    from rasa.core.brokers.broker import EventBroker
    from rasa.utils.endpoints import EndpointConfig

    from wewall.crm.config import reset_crm_settings

    reset_crm_settings()
    url = f"sqlite:///{tmp_path / 'on.db'}"
    cfg = EndpointConfig(url=url, type="wewall.crm.outbox.OutboxEventBroker")

    async def go():
        broker = await EventBroker.create(cfg)
        assert isinstance(broker, OutboxEventBroker) and broker.record
        broker.publish(user("u1", "привет"))
        await broker.close()

    asyncio.run(go())
    assert [r["text"] for r in CrmStore(url).rows()] == ["привет"]
    reset_crm_settings()


# ---------------------------------------------------------------- store


def test_rows_and_conversations(store):
    conv = EventConverter()
    store.append([conv.convert(user("a", "1")), conv.convert(user("b", "2")),
                  conv.convert(user("a", "3"))])
    now = time.time()
    assert store.pending_senders(now) == ["a", "b"]
    claimed = store.claim("a", "w1", now, 60, {})
    assert claimed["sender_id"] == "a" and claimed["lease_owner"] == "w1"
    assert store.claim("a", "w2", now, 60, {}) is None  # held by w1
    assert store.pending_senders(now) == ["b"]  # a is leased
    rows = store.pending_rows("a")
    store.finish_row(rows[0]["id"], "a", DONE, conversation={"client_messages": 1})
    assert [r["text"] for r in store.pending_rows("a")] == ["3"]
    store.release("a", "w1", retry_at=now + 100, failures=1)
    assert store.pending_senders(now) == ["b"]  # a backs off
    assert store.claim("a", "w2", now, 60, {}) is None
    assert store.claim("a", "w2", now + 101, 60, {})["client_messages"] == 1
    assert store.claim("a", "w3", now + 101 + 61, 60, {}) is not None  # w2's lease expired


def test_failed_rows_can_be_requeued(store):
    store.append([EventConverter().convert(user("a", "1"))])
    row = store.rows()[0]
    assert store.row_rejected(row["id"], "400") == 1
    store.finish_row(row["id"], "a", FAILED, error="400")
    assert store.stats()["outbox"] == {"failed": 1}
    assert store.requeue_failed() == 1
    assert store.rows()[0]["status"] == PENDING


def test_inbox_stores_each_webhook_once_and_claims_it_once(store):
    first = store.inbox_add("manager_message", "{}", "amojo-1")
    assert store.inbox_add("manager_message", "{}", "amojo-1") is None
    now = time.time()
    assert [r["id"] for r in store.inbox_claim(now)] == [first]
    assert store.inbox_claim(now) == []  # claimed
    assert [r["id"] for r in store.inbox_claim(now + 121)] == [first]  # its process died
    assert store.inbox_retry(first, "boom", now + 10) == PENDING
    assert store.inbox_claim(now + 200)[0]["attempts"] == 1
    store.inbox_finish(first)
    assert store.inbox_claim(now + 500) == []


def test_tokens_roundtrip(store):
    from wewall.crm.store import SqlTokenStore
    from wewall.crm.tokens import OAuthTokens

    ts = SqlTokenStore(store)

    async def go():
        assert await ts.load() is None
        await ts.save(OAuthTokens("access", "refresh", 123.0))
        await ts.save(OAuthTokens("access2", "refresh2", 456.0))
        return await ts.load()

    assert asyncio.run(go()) == OAuthTokens("access2", "refresh2", 456.0)


# ---------------------------------------------------------------- RabbitMQ


def test_events_also_reach_rabbitmq_when_configured(tmp_path):
    if not reachable("127.0.0.1", 5672):
        pytest.skip("no RabbitMQ on 127.0.0.1:5672")
    import json

    import aio_pika

    queue_name = f"wewall-test-{uuid.uuid4().hex[:8]}"
    url = "amqp://guest:guest@127.0.0.1:5672/"

    async def go():
        broker = OutboxEventBroker(store=CrmStore(f"sqlite:///{tmp_path / 'o.db'}"), record=True,
                                   rabbitmq_url=url, rabbitmq_queue=queue_name)
        broker.start_rabbitmq(asyncio.get_running_loop())
        broker.publish(user("u1", "привет"))  # before the connection: kept and sent later
        for _ in range(100):
            if broker._pika_ready:
                break
            await asyncio.sleep(0.05)
        broker.publish(bot("u1", "Здравствуйте!"))
        connection = await aio_pika.connect_robust(url)
        received = []
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(queue_name, durable=True)
            for _ in range(100):
                message = await queue.get(no_ack=True, fail=False)
                if message is not None:
                    received.append(json.loads(message.body))
                if len(received) == 2:
                    break
                if message is None:
                    await asyncio.sleep(0.05)
            await queue.delete(if_unused=False, if_empty=False)
        await broker.close()
        return received

    received = asyncio.run(go())
    assert [(e["event"], e["text"]) for e in received] == [("user", "привет"), ("bot", "Здравствуйте!")]
