"""The amoCRM input channel: what it accepts, what it refuses, and that it stores first."""

import asyncio
import hashlib
import hmac
import itertools
import json
import types

import pytest
from sanic import Sanic
from sanic_testing.testing import SanicTestClient

from tests.unit.crm_fixtures import amo, settings, store  # noqa: F401  (fixtures)
from wewall.channels.amocrm import AmoCrmInput, BadWebhook, InboxProcessor, parse_manager_message, parse_talk_updates
from wewall.crm.config import CrmSettings
from wewall.crm.store import DONE, SKIPPED

_names = itertools.count()




def client_for(channel: AmoCrmInput) -> SanicTestClient:
    app = Sanic(f"amocrm_test_{next(_names)}")

    async def handler(message):  # the channel never makes user messages
        raise AssertionError("unexpected user message")

    app.blueprint(channel.blueprint(handler), url_prefix="/webhooks/amocrm")
    return SanicTestClient(app, port=None)


@pytest.fixture
def client(settings, store):
    return client_for(AmoCrmInput(settings, store=store, process_inbox=False))


def signed(amo, text="Добрый день!", conversation="u1", **kw):
    return amo.manager_message_webhook(conversation, text, record=False, **kw)


def post(client, path, body, headers):
    _, resp = client.post(path, data=body, headers=headers)
    return resp


def test_a_signed_manager_message_is_stored_and_answered_at_once(amo, client, store):
    body, headers = signed(amo, msgid="amojo-msg-1")
    resp = post(client, f"/webhooks/amocrm/webhook/{amo.scope_id}", body, headers)
    assert resp.status == 200 and resp.json["status"] == "accepted"
    (row,) = store.inbox_rows()
    assert (row["kind"], row["external_id"], row["status"]) == ("manager_message", "amojo-msg-1", "pending")
    assert json.loads(row["body"])["message"]["message"]["text"] == "Добрый день!"
    # amoCRM repeating the same message: stored once
    resp = post(client, f"/webhooks/amocrm/webhook/{amo.scope_id}", body, headers)
    assert resp.json["status"] == "duplicate" and len(store.inbox_rows()) == 1


def test_a_signed_webhook_without_a_message_id_cannot_be_replayed(amo, client, store):
    """Issue #22: without `message.id` a captured signed webhook could be relayed again and again."""
    body, _ = signed(amo, text="Перезвоню вам завтра")
    payload = json.loads(body)
    del payload["message"]["message"]["id"]
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json",
               "X-Signature": hmac.new(amo.channel_secret.encode(), body, hashlib.sha1).hexdigest()}
    path = f"/webhooks/amocrm/webhook/{amo.scope_id}"
    assert post(client, path, body, headers).json["status"] == "accepted"
    assert post(client, path, body, headers).json["status"] == "duplicate"
    (row,) = store.inbox_rows()
    assert row["external_id"] == "sha256:" + hashlib.sha256(body).hexdigest()


def test_the_old_location_path_works_too(amo, client, store):
    body, headers = signed(amo)
    resp = post(client, f"/webhooks/amocrm/location/{amo.scope_id}", body, headers)
    assert resp.status == 200 and len(store.inbox_rows()) == 1


@pytest.mark.parametrize("forge", ["wrong secret", "missing", "garbage", "body changed", "non-ascii"])
def test_forged_messages_get_401_and_change_nothing(amo, client, store, forge):
    body, headers = signed(amo, bad_signature=(forge == "wrong secret"))
    if forge == "missing":
        headers.pop("X-Signature")
    elif forge == "garbage":
        headers["X-Signature"] = "deadbeef"
    elif forge == "body changed":
        body = body.replace("Добрый".encode(), "Злобный".encode())
    elif forge == "non-ascii":
        headers["X-Signature"] = "подпись".encode()
    resp = post(client, f"/webhooks/amocrm/webhook/{amo.scope_id}", body, headers)
    assert resp.status == 401
    assert store.inbox_rows() == []


def _sign(amo, body: bytes):
    return {"Content-Type": "application/json",
            "X-Signature": hmac.new(amo.channel_secret.encode(), body, hashlib.sha1).hexdigest()}


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"message": 5}', b'{"message": {"conversation": {}, "message": {"text": "x"}}}',
    b'{"message": {"conversation": {"id": "c"}, "message": {"text": "  "}}}',
    "\xff\xfe".encode("latin-1"),
])
def test_malformed_but_signed_gets_400(amo, client, store, body):
    resp = post(client, f"/webhooks/amocrm/webhook/{amo.scope_id}", body, _sign(amo, body))
    assert resp.status == 400
    assert store.inbox_rows() == []


def test_oversized_gets_413_before_anything_else(amo, client, store):
    body = json.dumps({"pad": "x" * 70000}).encode()
    resp = post(client, f"/webhooks/amocrm/webhook/{amo.scope_id}", body, _sign(amo, body))
    assert resp.status == 413
    assert store.inbox_rows() == []


def test_talk_update_needs_our_scope(amo, client, store):
    body, headers = amo.talk_update_webhook(talk_id=5, chat_id="chat-1", contact_id=7)
    assert post(client, "/webhooks/amocrm/webhook/somebody-elses-scope", body, headers).status == 401
    assert store.inbox_rows() == []
    resp = post(client, f"/webhooks/amocrm/webhook/{amo.scope_id}", body, headers)
    assert resp.status == 200
    (row,) = store.inbox_rows()
    assert row["kind"] == "talk_update"
    assert post(client, f"/webhooks/amocrm/webhook/{amo.scope_id}", b"a=1", headers).status == 400


def test_talk_update_with_a_token(amo, settings, store):
    client = client_for(AmoCrmInput(settings, store=store, process_inbox=False, talk_token="s3cret"))
    body, headers = amo.talk_update_webhook(talk_id=5, chat_id="chat-1", contact_id=7)
    path = f"/webhooks/amocrm/webhook/{amo.scope_id}"
    assert post(client, path, body, headers).status == 401
    assert post(client, path + "?token=wrong", body, headers).status == 401
    assert post(client, path + "?token=s3cret", body, headers).status == 200


def test_with_the_crm_off_webhooks_get_503(amo, store, monkeypatch):
    monkeypatch.setenv("AMOCRM_ENABLED", "false")
    client = client_for(AmoCrmInput(CrmSettings(), store=store, process_inbox=False))
    body, headers = signed(amo)
    assert post(client, f"/webhooks/amocrm/webhook/{amo.scope_id}", body, headers).status == 503
    _, resp = client.get("/webhooks/amocrm/")
    assert resp.json == {"status": "ok", "crm": False}


def test_parsers():
    body = json.dumps({"message": {"conversation": {"id": "chat", "client_id": "u1"},
                                   "sender": {"name": "Анна"},
                                   "message": {"id": "m1", "text": "", "media": "https://f/x.pdf",
                                               "file_name": "x.pdf"}}}).encode()
    parsed = parse_manager_message(body)
    assert (parsed["client_id"], parsed["chat_id"], parsed["media"], parsed["manager"]) == \
        ("u1", "chat", "https://f/x.pdf", "Анна")
    updates = parse_talk_updates(b"talk[update][0][talk_id]=1&talk[update][0][is_in_work]=0"
                                 b"&talk[update][1][talk_id]=2&account[id]=5")
    assert updates == [{"talk_id": "1", "is_in_work": "0"}, {"talk_id": "2"}]
    with pytest.raises(BadWebhook):
        parse_talk_updates(b"account[id]=5")


# ---------------------------------------------------------------- processing


class FakeAgent:
    def __init__(self):
        self.ran = []

    def is_ready(self):
        return True


def test_processing_skips_chats_nobody_maps_and_retries_when_the_model_is_not_ready(amo, store):
    app = types.SimpleNamespace(ctx=types.SimpleNamespace(agent=None, input_channels=[]))
    processor = InboxProcessor(app, store)
    body, _ = signed(amo, conversation=None)  # a chat a manager started: nobody's
    row_id = store.inbox_add("manager_message", body.decode(), "m1")

    async def go():
        (row,) = await store.run(store.inbox_claim, 0.0)
        await processor.process(row)  # no agent yet: retried later
        (after,) = store.inbox_rows()
        assert (after["status"], after["attempts"]) == ("pending", 1)
        app.ctx.agent = FakeAgent()
        row = dict(after, status="processing")
        await processor.process(row)

    asyncio.run(go())
    (row,) = store.inbox_rows()
    assert row["id"] == row_id and row["status"] == SKIPPED and "no conversation" in row["result"]


def test_output_channel_is_the_clients_own():
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput

    sio = SocketIOInput()
    sio.sio = object()  # as after the blueprint was built
    app = types.SimpleNamespace(ctx=types.SimpleNamespace(input_channels=[sio]))
    processor = InboxProcessor(app, store=None)
    assert isinstance(processor.output_channel("socketio"), SocketIOOutput)
    assert isinstance(processor.output_channel("rest"), CollectingOutputChannel)
    assert isinstance(processor.output_channel(None), CollectingOutputChannel)


def test_rasas_telegram_input_is_used_without_its_asyncio_run():
    from rasa.core.channels.telegram import TelegramInput, TelegramOutput

    tg = TelegramInput("123:" + "a" * 35, "wewall_bot", "https://x/webhook")

    def boom():
        raise AssertionError("get_output_channel() calls asyncio.run() and setWebhook")

    tg.get_output_channel = boom  # on the instance: the class attribute stays Rasa's
    app = types.SimpleNamespace(ctx=types.SimpleNamespace(input_channels=[tg]))
    out = InboxProcessor(app, store=None).output_channel("telegram")
    assert isinstance(out, TelegramOutput)


def test_processed_rows_are_done(amo, store):
    class Agent(FakeAgent):
        pass

    app = types.SimpleNamespace(ctx=types.SimpleNamespace(agent=Agent(), input_channels=[]))
    processor = InboxProcessor(app, store)
    body, _ = amo.talk_update_webhook(talk_id=9, chat_id="nobodys-chat", contact_id=1, is_in_work=True)
    store.inbox_add("talk_update", body.decode(), None)

    async def go():
        (row,) = await store.run(store.inbox_claim, 0.0)
        await processor.process(row)

    asyncio.run(go())
    (row,) = store.inbox_rows()
    assert row["status"] == DONE and "in work" in row["result"]


def test_a_managers_turn_logs_its_conversation(caplog):
    """The actions an amoCRM webhook runs log under the client's conversation, as client turns do."""
    import logging

    from rasa.core.lock_store import InMemoryLockStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from wewall import logs
    from wewall.channels.amocrm import RELAY_ACTION

    logs.install()  # as building any of our channels does
    logger = logging.getLogger("wewall.test.amocrm")

    class Processor:
        domain = Domain.from_dict({"actions": [RELAY_ACTION]})
        nlg = None

        async def get_tracker(self, sender_id):
            return DialogueStateTracker.from_events(sender_id, [])

        async def execute_action(self, sender_id, action_name, output, nlg, prediction):
            logger.info("ran %s", action_name)
            return DialogueStateTracker.from_events(sender_id, [ActionExecuted(action_name), BotUttered("ok")])

    agent = types.SimpleNamespace(processor=Processor(), lock_store=InMemoryLockStore())
    processor = InboxProcessor(types.SimpleNamespace(ctx=types.SimpleNamespace(input_channels=[])), store=None)
    with caplog.at_level(logging.INFO, logger="wewall.test.amocrm"):
        asyncio.run(processor.run_action(agent, "tg:777000666", RELAY_ACTION, {}, expect_reply=True))
    records = [r for r in caplog.records if r.name == "wewall.test.amocrm"]
    assert [r.getMessage() for r in records] == [f"ran {RELAY_ACTION}", "ran action_listen"]
    assert all(r.conversation_id == "tg:777000666" for r in records)
