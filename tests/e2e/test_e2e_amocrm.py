"""amoCRM end to end: REST client → Rasa (outbox broker, amoCRM channel) → `wewall worker` →
the local amoCRM server, and its webhooks back to the client's conversation."""

from __future__ import annotations

import json
import statistics
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List

import pytest

from tests.amocrm_server import (
    APPEAL_PIPELINE_ID,
    MAIN_PIPELINE_ID,
    STATUS_CHAT_WITH_BOT,
    STATUS_CHAT_WITH_MANAGER,
    AmoCrmServer,
)
from tests.e2e.harness import BIN, PROJECT_ROOT, BotServers, conversation_key
from wewall.crm.outbox import EventConverter

pytestmark = pytest.mark.e2e

RELAY_ENV = {
    # Quick polling and short backoffs, so the test waits seconds, not minutes.
    "WEWALL_CRM_POLL_SECONDS": "0.2",
    "WEWALL_CRM_BACKOFF_SECONDS": "1",
    "WEWALL_CRM_BACKOFF_MAX_SECONDS": "5",
    # The local server has no rate limit; production keeps the default (6/s).
    "WEWALL_CRM_REST_RATE": "30",
    "WEWALL_LOG_LEVEL": "INFO",
}


def wait_for(check: Callable[[], object], timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


@pytest.fixture(scope="module")
def amo():
    server = AmoCrmServer().start()  # not connected: `wewall amocrm connect` does it below
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot(model, tmp_path_factory, amo):
    servers = BotServers(model, tmp_path_factory.mktemp("amocrm"), env={**amo.env(), **RELAY_ENV})
    # The operator's first step: connect the channel; it prints the scope_id.
    out = subprocess.run([str(BIN / "wewall"), "amocrm", "connect"], cwd=PROJECT_ROOT,
                         env=servers.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == amo.scope_id
    servers.load_demo()
    with servers:
        servers.start_worker()
        yield servers
        servers.stop_process("worker")


def webhook_url(bot, amo, path="webhook"):
    return f"{bot.url}/webhooks/amocrm/{path}/{amo.scope_id}"


class Dialogue:
    """Sends over REST and keeps what amoCRM should end up with, in order."""

    def __init__(self, bot, sender: str):
        # the conversation's key: what amoCRM and the tracker know it by (harness.send takes it)
        self.bot, self.sender = bot, conversation_key(sender)
        self.conv = EventConverter()  # the broker's rendering of texts and pressed buttons
        self.expected: List[tuple] = []
        self.latencies: List[float] = []

    def say(self, text: str, mirrored: bool = True) -> List[dict]:
        start = time.perf_counter()
        replies = self.bot.send(self.sender, text)
        self.latencies.append(time.perf_counter() - start)
        row = self.conv.convert({"sender_id": self.sender, "event": "user", "text": text})
        if mirrored:
            self.expected.append(("client", row["text"]))
        for reply in replies:
            event = {"sender_id": self.sender, "event": "bot", "text": reply.get("text"),
                     "data": {"buttons": reply.get("buttons"), "image": reply.get("image")}}
            bot_row = self.conv.convert(event)
            if bot_row and mirrored:
                self.expected.append(("bot", bot_row["text"]))
        return replies

    def expect(self, author: str, text: str) -> None:
        self.expected.append((author, text))


def mirrored(amo, sender) -> List[tuple]:
    return [(m["author"], m["text"]) for m in amo.messages(sender) if m["author"] != "manager"]


def tracker_slots(bot, sender) -> Dict[str, object]:
    return bot.tracker(sender)["slots"]


def bot_texts(bot, sender) -> List[str]:
    return [e.get("text") or "" for e in bot.tracker(sender)["events"] if e["event"] == "bot"]


# ---------------------------------------------------------------- mirroring


def test_a_new_client_gets_contact_lead_chat_and_every_message_in_order(bot, amo):
    d = Dialogue(bot, "e2e-amo-mirror")
    turns = ["привет", "кто ты?", "что такое IRR", "спасибо", "какая у вас комиссия",
             "что такое ТТК", "/show_faq", "чем класс А отличается от класса В",
             "что такое капитализация", "до свидания"]
    for text in turns[:5]:
        d.say(text)
    # The worker stops (a deploy, a crash): messages wait in the outbox, none is lost.
    bot.stop_process("worker")
    for text in turns[5:]:
        d.say(text)
    assert all(len(r) for r in d.expected)
    bot.start_worker()
    wait_for(lambda: len(mirrored(amo, d.sender)) >= len(d.expected), 90, "the dialogue in amoCRM")
    assert mirrored(amo, d.sender) == d.expected
    assert len(d.expected) >= 20  # 10 client messages and at least 10 bot replies

    messages = amo.messages(d.sender)
    assert len({m["msgid"] for m in messages}) == len(messages)
    assert [m["msec_timestamp"] for m in messages] == sorted(m["msec_timestamp"] for m in messages)
    (chat,) = [c for c in amo.chats.values() if c["conversation_id"] == d.sender]
    contacts = [c for c in amo.contacts.values() if c["name"] == f"Клиент {d.sender}"]
    assert len(contacts) == 1
    (lead,) = [lead for lead in amo.leads.values() if lead["contact_ids"] == [contacts[0]["id"]]]
    assert (lead["pipeline_id"], lead["status_id"]) == (MAIN_PIPELINE_ID, STATUS_CHAT_WITH_BOT)
    assert {"chat_id": chat["id"], "contact_id": contacts[0]["id"]}.items() <= \
        [link for link in amo.chat_links if link["chat_id"] == chat["id"]][0].items()


# ---------------------------------------------------------------- the manager


def test_handover_manager_chat_close_button_and_talk_closed(bot, amo):
    d = Dialogue(bot, "e2e-amo-manager")
    d.say("привет")
    replies = d.say("/request_manager")
    assert "менеджер" in replies[0]["text"].lower() and "продолжаю отвечать" in replies[0]["text"]
    conv_sender = d.sender

    def lead():
        chats = [c for c in amo.chats.values() if c["conversation_id"] == conv_sender]
        links = [link for link in amo.chat_links if chats and link["chat_id"] == chats[0]["id"]]
        if not links:
            return None
        leads = [x for x in amo.leads.values() if x["contact_ids"] == [links[0]["contact_id"]]]
        return leads[0] if leads else None

    # The summary: a note and a bot-side chat message; the lead moves to "chat with manager".
    handed = wait_for(lambda: lead() if lead() and lead()["status_id"] == STATUS_CHAT_WITH_MANAGER
                      else None, 60, "the hand-over in amoCRM")
    assert handed["pipeline_id"] == APPEAL_PIPELINE_ID
    notes = amo.notes(handed["id"])
    assert notes and notes[0]["text"].startswith("WEWALL AI: передача клиента менеджеру.")
    assert f"id {d.sender}" in notes[0]["text"]
    wait_for(lambda: any(t.startswith("WEWALL AI: передача") for a, t in mirrored(amo, d.sender)),
             30, "the summary in the chat")
    d.expect("bot", notes[0]["text"])

    # A forged manager message: 401, nothing reaches the client.
    status, _ = amo.send_manager_message(webhook_url(bot, amo), d.sender, "Подделка",
                                         bad_signature=True, record=False)
    assert status == 401
    # The manager writes: the client gets it (in the tracker, for REST) and the bot goes quiet.
    status, body = amo.send_manager_message(webhook_url(bot, amo), d.sender, "Здравствуйте, я Анна.")
    assert status == 200 and json.loads(body)["status"] == "accepted"
    wait_for(lambda: "Менеджер WEWALL:\nЗдравствуйте, я Анна." in bot_texts(bot, d.sender), 30,
             "the manager's message in the tracker")
    assert tracker_slots(bot, d.sender)["manager_active"] is True
    assert not any("Подделка" in t for t in bot_texts(bot, d.sender))
    manager_event = [e for e in bot.tracker(d.sender)["events"]
                     if e["event"] == "bot" and "Анна" in (e.get("text") or "")][0]
    assert manager_event["data"]["buttons"] == [{"title": "Закрыть чат с менеджером",
                                                 "payload": "/close_manager_chat"}]

    assert d.say("а сколько стоит аренда?") == []  # silent, but mirrored
    assert d.say("привет") == []
    # The old path works as well.
    status, _ = amo.send_manager_message(webhook_url(bot, amo, "location"), d.sender, "Минуту.")
    assert status == 200
    wait_for(lambda: "Менеджер WEWALL:\nМинуту." in bot_texts(bot, d.sender), 30, "the second message")

    # The close button gives the conversation back.
    replies = d.say("/close_manager_chat")
    assert replies[0]["text"].startswith("Чат с менеджером закрыт")
    assert tracker_slots(bot, d.sender)["manager_active"] is False
    assert d.say("привет")[0]["text"].startswith("Здравствуйте")

    # Again with a manager; this time the talk is closed in amoCRM.
    amo.send_manager_message(webhook_url(bot, amo), d.sender, "Есть ещё вопрос?")
    wait_for(lambda: tracker_slots(bot, d.sender)["manager_active"] is True, 30, "manager again")
    assert d.say("да, про налоги") == []
    chat_id = [c for c in amo.chats.values() if c["conversation_id"] == d.sender][0]["id"]
    forged = amo.talk_update_webhook(talk_id=77, chat_id=chat_id, contact_id=1, is_in_work=False)
    import requests

    resp = requests.post(f"{bot.url}/webhooks/amocrm/webhook/not-our-scope", data=forged[0],
                         headers=forged[1], timeout=10)
    assert resp.status_code == 401
    time.sleep(1)
    assert tracker_slots(bot, d.sender)["manager_active"] is True  # nothing changed
    status, _ = amo.send_talk_update(webhook_url(bot, amo), talk_id=77, chat_id=chat_id,
                                     contact_id=handed["contact_ids"][0], is_in_work=False)
    assert status == 200
    wait_for(lambda: tracker_slots(bot, d.sender)["manager_active"] is False, 30, "talk closed")
    assert any(t.startswith("Менеджер завершил чат") for t in bot_texts(bot, d.sender))
    assert d.say("привет")[0]["text"].startswith("Здравствуйте")

    # amoCRM: every client message (also the silent ones), every bot reply, the summary; the
    # manager's own words are not echoed back as the bot's; notes for both closings.
    def complete():
        got = mirrored(amo, d.sender)
        done = sum(a == "client" for a, _ in got) == 8 and got[-1][0] == "bot"
        return got if done else None

    client_texts = [t for a, t in wait_for(complete, 60, "the whole dialogue") if a == "client"]
    assert client_texts == ["привет", "Нажата кнопка «Связаться с менеджером»", "а сколько стоит аренда?",
                            "привет", "Нажата кнопка «Закрыть чат с менеджером»", "привет",
                            "да, про налоги", "привет"]
    bot_side = [t for a, t in mirrored(amo, d.sender) if a == "bot"]
    assert not any("Здравствуйте, я Анна" in t for t in bot_side)
    assert any(t.startswith("Чат с менеджером закрыт") for t in bot_side)
    assert any(t.startswith("Менеджер завершил чат") for t in bot_side)
    notes = [n["text"] for n in wait_for(lambda: amo.notes(handed["id"]) if len(amo.notes(handed["id"])) >= 5
                                         else None, 30, "notes")]
    assert [n.split(":")[0] for n in notes] == [
        "WEWALL AI", "Менеджер подключился к чату", "Клиент закрыл чат с менеджером",
        "Менеджер подключился к чату", "Беседа закрыта в amoCRM"]


# ---------------------------------------------------------------- outage


def _percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def test_an_outage_during_50_conversations_loses_and_slows_nothing(bot, amo):
    n = 50
    phase_turns = ["привет", "что такое IRR"]
    dialogues = [Dialogue(bot, f"e2e-fault-{i:02d}") for i in range(n)]
    latencies: Dict[str, List[float]] = {"before": [], "during": []}
    lock = threading.Lock()

    def phase(name: str) -> None:
        def one(d: Dialogue) -> None:
            for text in phase_turns:
                start = time.perf_counter()
                d.say(text)
                with lock:
                    latencies[name].append(time.perf_counter() - start)

        with ThreadPoolExecutor(max_workers=n) as pool:
            list(pool.map(one, dialogues))

    phase("before")
    failed_before = len([r for r in amo.requests() if r["status"] == 500])
    outage_start = time.monotonic()
    amo.fail("500", seconds=30)
    phase("during")
    during_elapsed = time.monotonic() - outage_start
    assert during_elapsed < 30, f"the outage phase took {during_elapsed:.1f}s: not all inside it"
    # Nothing of the outage phase can be in amoCRM yet beyond what went out before it.
    failed = len([r for r in amo.requests() if r["status"] == 500]) - failed_before
    time.sleep(max(0.0, 30 - (time.monotonic() - outage_start)))
    for d in dialogues:  # after the outage, one more turn each
        d.say("спасибо")

    def all_there():
        return all(len(mirrored(amo, d.sender)) >= len(d.expected) for d in dialogues)

    start_wait = time.monotonic()
    wait_for(all_there, 180, "every message after the outage")
    caught_up = time.monotonic() - start_wait

    total = 0
    for d in dialogues:
        messages = amo.messages(d.sender)
        assert [(m["author"], m["text"]) for m in messages] == d.expected, d.sender
        assert len({m["msgid"] for m in messages}) == len(messages)
        total += len(messages)
    p = {k: (statistics.median(v), _percentile(v, 0.95)) for k, v in latencies.items()}
    print(f"\noutage test: {n} conversations, {total} messages delivered exactly once and in order; "
          f"{failed} amoCRM requests answered 500 during the outage; caught up {caught_up:.1f}s "
          f"after it; REST turn latency before p50 {p['before'][0]*1000:.0f} ms / p95 "
          f"{p['before'][1]*1000:.0f} ms, during p50 {p['during'][0]*1000:.0f} ms / p95 "
          f"{p['during'][1]*1000:.0f} ms")
    assert failed > 0  # the relay did meet the outage
    assert p["during"][1] < 2 * p["before"][1] + 0.5
    assert p["during"][0] < 2 * p["before"][0] + 0.5
