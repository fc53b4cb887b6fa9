"""The production stores on real services: PostgreSQL tracker store, Redis lock store, RabbitMQ.

Each test skips with the reason when its service is not reachable (a developer's laptop); this
machine and CI run PostgreSQL (127.0.0.1:5432, user postgres, trust), Redis (127.0.0.1:6379) and
RabbitMQ (127.0.0.1:5672, guest/guest). Override with WEWALL_TEST_POSTGRES_URL (a URL of a
database the tests may create databases from), WEWALL_TEST_REDIS_HOST/PORT, WEWALL_TEST_RABBITMQ_URL.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import os
import uuid
from typing import List

import pytest
import requests

from tests.e2e.harness import REST_HEADERS, BotServers, conversation_key, pg_database, reachable

pytestmark = pytest.mark.e2e

REDIS_HOST = os.environ.get("WEWALL_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("WEWALL_TEST_REDIS_PORT", "6379"))
RABBITMQ_URL = os.environ.get("WEWALL_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture
def postgres_url():
    """A fresh database `wewall_test_<random>`, dropped afterwards."""
    with pg_database("wewall_test") as url:
        yield url


@pytest.fixture
def redis_db():
    if not reachable(REDIS_HOST, REDIS_PORT):
        pytest.skip(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}")
    return {"WEWALL_LOCK_STORE_TYPE": "wewall.lock_store.WewallRedisLockStore", "WEWALL_REDIS_HOST": REDIS_HOST,
            "WEWALL_REDIS_PORT": str(REDIS_PORT), "WEWALL_REDIS_DB": "1"}


def _user_and_bot_turns(events: List[dict]) -> List[dict]:
    """[{text, bot: [texts]}] in tracker order; checks the turn structure on the way."""
    turns: List[dict] = []
    for event in events:
        if event["event"] == "user":
            if turns:
                assert turns[-1]["listened"], f"user message before the previous turn ended: {event.get('text')!r}"
            turns.append({"text": event.get("text"), "bot": [], "listened": False})
        elif turns and event["event"] == "bot":
            assert not turns[-1]["listened"], "a bot message after the turn ended"
            turns[-1]["bot"].append(event.get("text"))
        elif turns and event["event"] == "action" and event.get("name") == "action_listen":
            turns[-1]["listened"] = True
    return turns


def test_a_conversation_survives_a_rasa_restart_with_postgres(model, tmp_path, postgres_url):
    import psycopg2

    bot = BotServers(model, tmp_path / "bot", env={"WEWALL_TRACKER_STORE_URL": postgres_url})
    bot.load_demo()
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    with bot:
        bot.send(sender, '/start{"lead_source": "restart_test"}')
        first = bot.send(sender, "/request_calculation")
        assert first, "no question"
        before = bot.tracker(sender)
        assert before["active_loop"].get("name") == "calculation_form"

        bot.stop_process("rasa")  # mid-form: the next answer goes to a new process
        bot.start_rasa()
        bot.wait_ready()

        after = bot.send(sender, "готовый офис")
        tracker = bot.tracker(sender)
        # nothing lost: every event from before the restart, then the new turn, in the same form
        assert tracker["events"][:len(before["events"])] == before["events"]
        assert tracker["active_loop"].get("name") == "calculation_form", after
        assert tracker["slots"]["requested_slot"], tracker["slots"]
        assert tracker["slots"]["lead_source"] == "restart_test"
        assert after and after[0].get("text"), after
        texts = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        assert texts == ['/start{"lead_source": "restart_test"}', "/request_calculation", "готовый офис"]
    conn = psycopg2.connect(postgres_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM events WHERE sender_id = %s AND type_name = 'user'",
                        (conversation_key(sender),))
            assert cur.fetchone()[0] == 3
    finally:
        conn.close()


MESSAGES = ["привет", "спасибо", "что такое irr", "кто ты такой?", "что такое ттк", "пока",
            "привет", "чем класс а отличается от класса в", "спасибо", "помощь"]


def test_two_rasa_servers_share_conversations_under_the_redis_lock(model, tmp_path, postgres_url, redis_db):
    env = dict(redis_db, WEWALL_TRACKER_STORE_URL=postgres_url)
    first = BotServers(model, tmp_path / "a", env=env)
    first.load_demo()
    with first:
        second = BotServers(model, tmp_path / "b", env=dict(
            env, WEWALL_ACTION_ENDPOINT_URL=first.env["WEWALL_ACTION_ENDPOINT_URL"],
            WEWALL_DATA_DIR=first.env["WEWALL_DATA_DIR"]))
        second.start_rasa()
        try:
            second.wait_ready()
            urls = [first.url, second.url]
            senders = [f"lock-{uuid.uuid4().hex[:8]}" for _ in range(3)]
            jobs = [(s, text, urls[(i + n) % 2]) for n, s in enumerate(senders) for i, text in enumerate(MESSAGES)]

            def send(job):
                sender, text, url = job
                reply = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                      headers=REST_HEADERS, timeout=180)
                assert reply.status_code == 200, reply.text
                return sender, text, [m.get("text") for m in reply.json()]

            # every message of a conversation at once, half to each server (round robin)
            with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
                results = list(pool.map(send, jobs))

            for sender in senders:
                tracker = requests.get(f"{first.url}/conversations/{conversation_key(sender)}/tracker", timeout=30).json()
                turns = _user_and_bot_turns(tracker["events"])
                assert collections.Counter(t["text"] for t in turns) == collections.Counter(MESSAGES)
                assert all(t["bot"] for t in turns), [t for t in turns if not t["bot"]]
                # what each HTTP caller got is exactly the bot part of its own turn in the tracker
                in_tracker = collections.Counter((t["text"], tuple(t["bot"])) for t in turns)
                answered = collections.Counter((text, tuple(bot)) for s, text, bot in results if s == sender)
                assert in_tracker == answered
                timestamps = [e["timestamp"] for e in tracker["events"]]
                assert timestamps == sorted(timestamps)
        finally:
            second.stop()
    assert "Traceback" not in first.log("rasa") + second.log("rasa")


def test_events_reach_rabbitmq(model, tmp_path):
    aio_pika = pytest.importorskip("aio_pika")
    from urllib.parse import urlsplit

    url = urlsplit(RABBITMQ_URL)
    if not reachable(url.hostname or "127.0.0.1", url.port or 5672):
        pytest.skip(f"RabbitMQ is not reachable at {url.hostname}:{url.port or 5672}")
    queue_name = f"wewall_test_{uuid.uuid4().hex[:8]}"
    sender = f"amqp-{uuid.uuid4().hex[:8]}"
    received: List[dict] = []

    async def scenario() -> None:
        connection = await aio_pika.connect_robust(RABBITMQ_URL)
        try:
            channel = await connection.channel()
            # Rasa's pika broker publishes to the fanout exchange `rasa-exchange`: a temporary
            # queue of our own sees every event without taking them from other consumers.
            exchange = await channel.declare_exchange("rasa-exchange", aio_pika.ExchangeType.FANOUT)
            probe = await channel.declare_queue("", exclusive=True, auto_delete=True)
            await probe.bind(exchange)
            bot = BotServers(model, tmp_path / "bot", env={"WEWALL_RABBITMQ_URL": RABBITMQ_URL,
                                                            "WEWALL_RABBITMQ_QUEUE": queue_name})
            await asyncio.get_running_loop().run_in_executor(None, bot.start)
            try:
                await asyncio.get_running_loop().run_in_executor(None, bot.send, sender, "привет")
                await asyncio.get_running_loop().run_in_executor(None, bot.send, sender, "спасибо")
                deadline = asyncio.get_running_loop().time() + 60
                while asyncio.get_running_loop().time() < deadline:
                    message = await probe.get(no_ack=True, fail=False)
                    if message is None:
                        if sum(1 for e in received if e.get("event") == "user") >= 2 and \
                                sum(1 for e in received if e.get("event") == "bot") >= 2:
                            break
                        await asyncio.sleep(0.2)
                        continue
                    event = json.loads(message.body)
                    if event.get("sender_id") == conversation_key(sender):
                        received.append(event)
            finally:
                await asyncio.get_running_loop().run_in_executor(None, bot.stop)
                await channel.queue_delete(queue_name)
        finally:
            await connection.close()

    asyncio.run(scenario())
    kinds = [e["event"] for e in received]
    users = [e.get("text") for e in received if e["event"] == "user"]
    assert users == ["привет", "спасибо"], kinds
    assert kinds.count("bot") >= 2
    assert kinds.index("user") < kinds.index("bot")
