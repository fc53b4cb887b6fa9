"""The relay against the local amoCRM server: order, idempotency, backoff, engagement."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.amocrm_server import (
    APPEAL_PIPELINE_ID,
    MAIN_PIPELINE_ID,
    STATUS_ACTIVE_USER,
    STATUS_CHAT_WITH_BOT,
    STATUS_CHAT_WITH_MANAGER,
    STATUS_HIGH_ENGAGEMENT,
)
from tests.unit.crm_fixtures import amo, settings, store  # noqa: F401  (fixtures)
from wewall.crm.api import AmoApi
from wewall.crm.chats import AmoChats
from wewall.crm.commands import crm_command
from wewall.crm.errors import AmoRejected, AmoUnavailable
from wewall.crm.outbox import EventConverter
from wewall.crm.relay import RateLimiter, Relay, RelayConfig, derived_msgid, engagement_stage
from wewall.crm.store import DONE, FAILED, PENDING
from wewall.crm.transport import RetryPolicy

FAST = RetryPolicy(attempts=1, backoff=0.01, backoff_max=0.01)




class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


def make_relay(store, settings, *, clock=None, chats=None, api=None, **config):
    cfg = dict(poll_seconds=0.01, backoff_seconds=1.0, backoff_max_seconds=10.0, rest_rate=0)
    cfg.update(config)
    return Relay(store, settings, api=api or AmoApi(settings, retry=FAST),
                 chats=chats or AmoChats(settings, retry=FAST), config=RelayConfig(**cfg),
                 clock=clock or time.time)


class Events:
    """Writes rows as the broker does (one converter, so button titles work too)."""

    def __init__(self, store):
        self.store = store
        self.conv = EventConverter()
        self.t = 1_700_000_000.0

    def _add(self, event):
        self.t += 1
        event.setdefault("timestamp", self.t)
        row = self.conv.convert(event)
        if row:
            self.store.append([row])
        return row

    def user(self, sender, text, **kw):
        return self._add({"sender_id": sender, "event": "user", "text": text,
                          "input_channel": "rest", **kw})

    def bot(self, sender, text, **kw):
        return self._add({"sender_id": sender, "event": "bot", "text": text, **kw})

    def command(self, sender, kind, **data):
        return self._add({"sender_id": sender, **crm_command(kind, **data)[0]})


async def drain(relay, rounds=50):
    total = 0
    for _ in range(rounds):
        n = await relay.run_once()
        total += n
        if not n and not relay.store.pending_senders(relay.clock() + 1e9):
            break
    return total


def run(coro):
    return asyncio.run(coro)


# ---------------------------------------------------------------- first contact, order


def test_first_contact_creates_contact_lead_chat_and_mirrors_in_order(amo, settings, store):
    ev = Events(store)
    ev.user("u1", "привет", metadata={"telegram": {"first_name": "Анна", "username": "anna"}})
    ev.bot("u1", "Здравствуйте! Чем помочь?")
    ev.user("u1", "что такое IRR")
    ev.bot("u1", "IRR — доходность.")

    async def go():
        relay = make_relay(store, settings)
        await drain(relay)
        await relay.close()

    run(go())
    (contact,) = amo.contacts.values()
    assert contact["name"] == "Анна"
    assert contact["custom_fields_values"][0]["values"][0]["value"] == "anna"
    (lead,) = amo.leads.values()
    assert (lead["pipeline_id"], lead["status_id"]) == (MAIN_PIPELINE_ID, STATUS_CHAT_WITH_BOT)
    assert lead["contact_ids"] == [contact["id"]]
    assert lead["custom_fields_values"][0]["values"][0]["value"] == "WEWALL AI"
    (chat,) = amo.chats.values()
    assert amo.chat_links == [{"id": amo.chat_links[0]["id"], "chat_id": chat["id"],
                               "contact_id": contact["id"]}]
    messages = amo.messages("u1")
    assert [(m["author"], m["text"]) for m in messages] == [
        ("client", "привет"), ("bot", "Здравствуйте! Чем помочь?"),
        ("client", "что такое IRR"), ("bot", "IRR — доходность.")]
    assert [m["timestamp"] for m in messages] == sorted(m["timestamp"] for m in messages)
    rows = store.rows()
    assert [m["msgid"] for m in messages] == [r["msgid"] for r in rows]
    assert all(r["status"] == DONE for r in rows)
    conv = store.conversation("u1")
    assert conv["client_messages"] == 2 and conv["lead_id"] == lead["id"]


def test_many_conversations_each_in_order(amo, settings, store):
    ev = Events(store)
    for turn in range(6):
        for c in range(12):
            ev.user(f"c{c}", f"c{c} вопрос {turn}")
            ev.bot(f"c{c}", f"c{c} ответ {turn}")

    async def go():
        relay = make_relay(store, settings, concurrency=5, batch=4)
        await drain(relay)
        await relay.close()

    run(go())
    for c in range(12):
        expected = [t for turn in range(6) for t in (f"c{c} вопрос {turn}", f"c{c} ответ {turn}")]
        assert amo.texts(f"c{c}") == expected
    assert len(amo.contacts) == len(amo.leads) == 12


def test_two_relays_share_the_work_without_duplicates(amo, settings, store):
    ev = Events(store)
    for turn in range(5):
        for c in range(8):
            ev.user(f"c{c}", f"{c}:{turn}")

    async def go():
        a, b = make_relay(store, settings), make_relay(store, settings)
        assert a.owner != b.owner
        await asyncio.gather(drain(a), drain(b))
        await a.close()
        await b.close()

    run(go())
    for c in range(8):
        assert amo.texts(f"c{c}") == [f"{c}:{turn}" for turn in range(5)]
    assert len(amo.contacts) == 8


# ---------------------------------------------------------------- crash, idempotency


class Crash(BaseException):
    """A process dying: not an Exception, nothing in the relay may catch it."""


def test_a_crash_between_send_and_mark_does_not_duplicate(amo, settings, store):
    ev = Events(store)
    ev.user("u1", "первое")
    ev.user("u1", "второе")
    clock = Clock()
    real_finish = store.finish_row
    calls = {"n": 0}

    def crashing_finish(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash()  # amoCRM has the message, the row is not marked
        return real_finish(*args, **kwargs)

    async def first_life():
        relay = make_relay(store, settings, clock=clock)
        store.finish_row = crashing_finish
        store.release = lambda *a, **k: None  # a dead process releases nothing
        with pytest.raises(Crash):
            await relay.run_once()

    run(first_life())
    assert amo.texts("u1") == ["первое"]
    assert [r["status"] for r in store.rows()] == [PENDING, PENDING]
    del store.release
    store.finish_row = real_finish

    async def second_life():
        relay = make_relay(store, settings, clock=clock)
        assert await relay.run_once() == 0  # the dead relay's lease still holds
        clock.now += 121  # the lease expires
        await drain(relay)
        await relay.close()

    run(second_life())
    assert amo.texts("u1") == ["первое", "второе"]
    sends = [r for r in amo.requests("/v2/origin/custom/") if r["method"] == "POST"
             and not r["path"].endswith("/chats")]
    assert len(sends) == 3  # "первое" was sent twice, amojo kept it once (same msgid)
    assert [r["status"] for r in store.rows()] == [DONE, DONE]


def test_a_handover_resumes_after_a_crash_without_a_second_note(amo, settings, store):
    ev = Events(store)
    ev.user("u1", "позовите менеджера")
    ev.command("u1", "handover", summary="Сводка для менеджера")
    clock = Clock()
    real_move = AmoApi.move_lead

    async def first_life():
        relay = make_relay(store, settings, clock=clock)

        async def dying_move(self, *a, **k):
            raise Crash()

        AmoApi.move_lead = dying_move
        store.release = lambda *a, **k: None
        try:
            with pytest.raises(Crash):
                await relay.run_once()
        finally:
            AmoApi.move_lead = real_move

    run(first_life())
    del store.release
    (lead_id,) = amo.leads
    assert [n["text"] for n in amo.notes(lead_id)] == ["Сводка для менеджера"]

    async def second_life():
        clock.now += 121
        relay = make_relay(store, settings, clock=clock)
        await drain(relay)
        await relay.close()

    run(second_life())
    assert [n["text"] for n in amo.notes(lead_id)] == ["Сводка для менеджера"]  # not twice
    assert amo.texts("u1") == ["позовите менеджера", "Сводка для менеджера"]
    assert amo.messages("u1")[1]["msgid"] == derived_msgid(store.rows()[1]["msgid"], "summary")
    lead = amo.leads[lead_id]
    assert (lead["pipeline_id"], lead["status_id"]) == (APPEAL_PIPELINE_ID, STATUS_CHAT_WITH_MANAGER)
    assert store.conversation("u1")["handed_over"] is True


# ---------------------------------------------------------------- outages, backoff


def test_an_outage_backs_off_and_loses_nothing(amo, settings, store):
    ev = Events(store)
    for i in range(3):
        ev.user("u1", f"m{i}")
    clock = Clock()

    async def go():
        relay = make_relay(store, settings, clock=clock)
        amo.fail("500")  # until healed
        assert await relay.run_once() == 0
        conv = store.conversation("u1")
        assert conv["failures"] == 1 and conv["retry_at"] > clock.now
        assert "500" in conv["last_error"]
        assert all(r["status"] == PENDING for r in store.rows())
        # backing off: no call at all (the relay pauses, the conversation waits)
        before = len(amo.requests())
        assert await relay.run_once() == 0
        assert len(amo.requests()) == before
        clock.now += 2
        assert await relay.run_once() == 0  # still down: the second failure
        conv = store.conversation("u1")
        assert conv["failures"] == 2
        assert conv["retry_at"] - clock.now >= 1.5 - 1e-6  # grows: 2 s × (0.75…1.25)
        amo.heal()
        clock.now += 30
        await drain(relay)
        await relay.close()

    run(go())
    assert amo.texts("u1") == ["m0", "m1", "m2"]
    assert store.conversation("u1")["failures"] == 0


def test_backoff_grows_caps_and_respects_retry_after():
    cfg = RelayConfig(backoff_seconds=2, backoff_max_seconds=60)
    mid = lambda: 0.5  # noqa: E731 (no jitter)
    assert [cfg.backoff(n, rand=mid) for n in (1, 2, 3, 6, 10)] == [2, 4, 8, 60, 60]
    assert cfg.backoff(1, retry_after=30, rand=mid) == 30


class BlockingChats(AmoChats):
    """amojo refusing or failing for one conversation only."""

    def __init__(self, *a, blocked=(), rejected_text=None, **k):
        super().__init__(*a, **k)
        self.blocked = set(blocked)
        self.rejected_text = rejected_text

    async def send_client_message(self, *, conversation_id, text, **kw):
        if conversation_id in self.blocked:
            raise AmoUnavailable("down for this one", status=503)
        if text == self.rejected_text:
            raise AmoRejected("bad message", status=400)
        return await super().send_client_message(conversation_id=conversation_id, text=text, **kw)


def test_one_blocked_conversation_does_not_block_the_others(amo, settings, store):
    ev = Events(store)
    for i in range(3):
        for c in ("stuck", "a", "b"):
            ev.user(c, f"{c}{i}")
    clock = Clock()

    async def go():
        chats = BlockingChats(settings, retry=FAST, blocked={"stuck"})
        relay = make_relay(store, settings, clock=clock, chats=chats, concurrency=1)
        for _ in range(10):
            await relay.run_once()
            clock.now += 15  # past any pause
        chats.blocked.clear()
        clock.now += 30
        await drain(relay)
        await relay.close()

    run(go())
    assert amo.texts("a") == ["a0", "a1", "a2"]
    assert amo.texts("b") == ["b0", "b1", "b2"]
    assert amo.texts("stuck") == ["stuck0", "stuck1", "stuck2"]


def test_a_refused_row_is_set_aside_after_some_tries(amo, settings, store):
    ev = Events(store)
    for text in ("раз", "плохое", "три"):
        ev.user("u1", text)
    clock = Clock()

    async def go():
        chats = BlockingChats(settings, retry=FAST, rejected_text="плохое")
        relay = make_relay(store, settings, clock=clock, chats=chats, max_rejections=3)
        for _ in range(6):
            await relay.run_once()
            clock.now += 15
        await relay.close()

    run(go())
    assert amo.texts("u1") == ["раз", "три"]
    statuses = {r["text"]: (r["status"], r["attempts"]) for r in store.rows()}
    assert statuses == {"раз": (DONE, 0), "плохое": (FAILED, 3), "три": (DONE, 0)}
    assert "bad message" in store.rows()[1]["last_error"]


# ---------------------------------------------------------------- commands, engagement


def test_engagement_by_messages_and_by_calculations(amo, settings, store):
    ev = Events(store)
    for i in range(19):
        ev.user("talker", f"m{i}")
    ev.user("calc", "посчитай")
    ev.command("calc", "calculation")

    async def go():
        relay = make_relay(store, settings)
        await drain(relay)
        lead = amo.leads[store.conversation("talker")["lead_id"]]
        assert lead["status_id"] == STATUS_CHAT_WITH_BOT  # 19 messages: not yet
        ev.user("talker", "m19")
        # a feature's own counter (calculations_count slot) counts as well
        ev._add({"sender_id": "calc", "event": "slot", "name": "calculations_count", "value": 2})
        await drain(relay)
        await relay.close()

    run(go())
    talker = amo.leads[store.conversation("talker")["lead_id"]]
    assert (talker["pipeline_id"], talker["status_id"]) == (MAIN_PIPELINE_ID, STATUS_HIGH_ENGAGEMENT)
    calc = amo.leads[store.conversation("calc")["lead_id"]]
    assert calc["status_id"] == STATUS_HIGH_ENGAGEMENT
    assert store.conversation("calc")["calculations"] == 2


def test_engagement_active_user_and_never_with_a_manager(amo, settings, store):
    ev = Events(store)
    ev.user("busy", "start")
    for _ in range(7):
        ev.command("busy", "search")
    ev.user("managed", "hi")
    ev.command("managed", "manager_on")
    for i in range(25):
        ev.user("managed", f"m{i}")

    async def go():
        relay = make_relay(store, settings)
        await drain(relay)
        lead = amo.leads[store.conversation("managed")["lead_id"]]
        assert lead["status_id"] == STATUS_CHAT_WITH_BOT  # with a manager: no move
        ev.command("managed", "manager_off", reason="amocrm")
        await drain(relay)
        await relay.close()

    run(go())
    busy = amo.leads[store.conversation("busy")["lead_id"]]
    assert busy["status_id"] == STATUS_ACTIVE_USER
    managed = store.conversation("managed")
    assert managed["manager_active"] is False
    assert amo.leads[managed["lead_id"]]["status_id"] == STATUS_HIGH_ENGAGEMENT  # after the manager
    notes = [n["text"] for n in amo.notes(managed["lead_id"])]
    assert notes[0].startswith("Менеджер подключился") and notes[1].startswith("Беседа закрыта в amoCRM")


def test_engagement_stage():
    assert [engagement_stage(m, 0) for m in (0, 19, 20, 59, 60, 500)] == [0, 0, 1, 1, 2, 2]
    assert [engagement_stage(0, a) for a in (0, 1, 2, 6, 7)] == [0, 0, 1, 1, 2]


def test_rate_limiter_spreads_calls():
    async def go():
        limiter = RateLimiter(50.0)
        start = time.monotonic()
        await asyncio.gather(*(limiter.acquire() for _ in range(11)))
        return time.monotonic() - start

    assert 0.18 <= run(go()) < 0.6


def test_processes_share_rotated_oauth_tokens_through_the_store(amo, settings, store):
    from wewall.crm.relay import shared_api

    async def go():
        worker, operator = shared_api(store, settings), shared_api(store, settings)
        assert await worker.account_amojo_id() == await operator.account_amojo_id()
        amo.expire_access_token()
        await operator.account_amojo_id()  # 401 → refresh → the new pair goes to the store
        assert amo.refresh_count == 1
        # The worker's access and refresh tokens are both dead now; it adopts the stored pair
        # instead of refreshing with a rotated refresh token (which amoCRM would refuse).
        assert await worker.account_amojo_id()
        assert amo.refresh_count == 1
        assert worker.tokens.access_token == amo.access_token
        await worker.close()
        await operator.close()

    run(go())


class SlowChats(AmoChats):
    """amojo answering slowly (as under load): each client message takes `delay` seconds."""

    def __init__(self, *a, delay=1.5, **k):
        super().__init__(*a, **k)
        self.delay = delay

    async def send_client_message(self, **kw):
        await asyncio.sleep(self.delay)
        return await super().send_client_message(**kw)


def test_a_working_relay_renews_its_lease_and_a_dead_ones_conversation_is_free_in_seconds(amo, settings, store):
    """Issue #22: a killed worker's conversations waited out a 120 s lease."""
    ev = Events(store)
    ev.user("slow", "s0")
    ev.user("orphan", "o0")

    async def go():
        working = make_relay(store, settings, chats=SlowChats(settings, retry=FAST), lease_seconds=0.6)
        other = make_relay(store, settings, lease_seconds=0.6)
        task = asyncio.ensure_future(working.process_conversation("slow"))
        await asyncio.sleep(1.0)  # longer than the lease: only its renewal keeps the conversation
        assert store.conversation("slow")["lease_owner"] == working.owner
        assert await other.process_conversation("slow") == 0
        assert await task == 1
        # a relay that died holding a conversation (it claimed and never came back)
        assert store.claim("orphan", "dead-relay", time.time(), 0.6, {}) is not None
        assert await other.process_conversation("orphan") == 0
        await asyncio.sleep(0.7)
        assert await other.process_conversation("orphan") == 1
        await working.close()
        await other.close()

    run(go())
    assert amo.texts("slow") == ["s0"] and amo.texts("orphan") == ["o0"]
    assert RelayConfig().lease_seconds <= 15


def test_a_web_session_is_not_sent_to_amocrm_in_full(amo, settings, store):
    """Issue #22: session ids appeared in amoCRM; a hash of a server-issued key stands in."""
    key = "web:0123456789abcdef01234567"
    Events(store).user(key, "привет")

    async def go():
        relay = make_relay(store, settings)
        await drain(relay)
        await relay.close()

    run(go())
    conv = store.conversation(key)
    assert conv["conversation_id"].startswith("wewall-") and "0123456789abcdef" not in conv["conversation_id"]
    assert amo.texts(conv["conversation_id"]) == ["привет"]
    sent = json.dumps([amo.chats, amo.contacts], ensure_ascii=False, default=str)
    assert "0123456789abcdef" not in sent
