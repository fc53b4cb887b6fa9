"""AmoChats (amojo) against the local server: signatures, chats, order, idempotency, retries."""

import time
import uuid

import pytest

from tests.amocrm_server import amocrm_env, amocrm_server  # noqa: F401 (fixtures)
from tests.unit.crm_fixtures import fast_settings
from wewall.crm import AmoApi, AmoChats, AmoConfigError, AmoRejected, AmoUnavailable

CONV = "tg-100500"
USER = "tg-user-100500"


def msgid() -> str:
    return str(uuid.uuid4())


async def connected(chats: AmoChats, server) -> AmoChats:
    assert await chats.connect(server.account_id) == server.scope_id
    return chats


@pytest.mark.asyncio
async def test_first_contact_flow_contact_lead_chat_link(amocrm_env):
    """What the bot does on a client's first message, end to end over both APIs."""
    server = amocrm_env
    async with AmoApi(fast_settings()) as api, AmoChats(fast_settings(scope_id=None)) as chats:
        assert chats.scope_id is None
        scope_id = await chats.connect(await api.account_amojo_id())
        assert scope_id == chats.scope_id == server.scope_id

        contact_id = await api.create_contact("Иван", telegram_username="ivan_p")
        lead_id = await api.create_lead(contact_id)
        chat_id = await chats.create_chat(CONV, user_id=USER, name="Иван",
                                          profile_link="https://t.me/ivan_p")
        await api.link_chat_to_contact(contact_id, chat_id)
        sent = await chats.send_client_message(conversation_id=CONV, msgid=msgid(),
                                               user_id=USER, name="Иван", text="Привет")

    assert server.chats[CONV]["id"] == chat_id
    assert server.chat_links == [{"id": server.chat_links[0]["id"], "chat_id": chat_id,
                                  "contact_id": contact_id}]
    assert server.leads[lead_id]["contact_ids"] == [contact_id]
    assert sent.chat_id == chat_id
    assert server.texts(CONV) == ["Привет"]


@pytest.mark.asyncio
async def test_create_chat_twice_is_the_same_chat(amocrm_env):
    async with AmoChats(fast_settings()) as chats:
        await connected(chats, amocrm_env)
        first = await chats.create_chat(CONV, user_id=USER, name="Иван", phone="+79990001122")
        second = await chats.create_chat(CONV, user_id=USER, name="Иван")
    assert first == second
    assert amocrm_env.chats[CONV]["user"]["profile"] == {"phone": "+79990001122"}


@pytest.mark.asyncio
async def test_dialogue_keeps_order_and_roles(amocrm_env, monkeypatch):
    server = amocrm_env
    async with AmoChats(fast_settings()) as chats:
        await connected(chats, server)
        await chats.create_chat(CONV, user_id=USER, name="Иван")
        t0 = time.time()
        for i, (who, text) in enumerate([("client", "Нужен офис"), ("bot", "Какой бюджет?"),
                                         ("client", "до 300 млн ₽ 🙂"), ("bot", "Ищу…")]):
            kwargs = dict(conversation_id=CONV, msgid=msgid(), user_id=USER, name="Иван",
                          text=text, timestamp=t0 + i)
            if who == "client":
                await chats.send_client_message(**kwargs)
            else:
                await chats.import_bot_message(**kwargs)

    messages = server.messages(CONV)
    assert [m["text"] for m in messages] == ["Нужен офис", "Какой бюджет?", "до 300 млн ₽ 🙂",
                                             "Ищу…"]
    assert [m["author"] for m in messages] == ["client", "bot", "client", "bot"]
    client, bot = messages[0], messages[1]
    assert client["sender"] == {"id": USER, "name": "Иван"} and client["receiver"] is None
    assert bot["sender"] == {"id": "wewall-bot-0001", "name": "WEWALL AI",
                             "ref_id": "wewall-bot-ref-0001"}
    assert bot["receiver"] == {"id": USER, "name": "Иван"}
    assert bot["timestamp"] == int(t0 + 1) and bot["msec_timestamp"] == int(round((t0 + 1) * 1000))
    assert all(m["silent"] is True for m in messages)


@pytest.mark.asyncio
async def test_same_msgid_twice_is_one_message(amocrm_env):
    server = amocrm_env
    mid = msgid()
    async with AmoChats(fast_settings()) as chats:
        await connected(chats, server)
        first = await chats.send_client_message(conversation_id=CONV, msgid=mid, user_id=USER,
                                                name="Иван", text="Привет", timestamp=1700000000)
        again = await chats.send_client_message(conversation_id=CONV, msgid=mid, user_id=USER,
                                                name="Иван", text="Привет", timestamp=1700000000)
    assert first == again
    assert first.ref_id == mid
    assert server.texts(CONV) == ["Привет"]


@pytest.mark.parametrize("mode", ["500", "timeout"])
@pytest.mark.asyncio
async def test_lost_answer_retry_does_not_duplicate(amocrm_env, mode):
    """amojo stored the message but the answer was lost: the retry carries the same msgid."""
    server = amocrm_env
    async with AmoChats(fast_settings(timeout_seconds=0.3)) as chats:
        await connected(chats, server)
        server.fail(mode, requests=1, path_prefix=f"/v2/origin/custom/{server.scope_id}",
                    after_processing=True)
        sent = await chats.send_client_message(conversation_id=CONV, msgid=msgid(),
                                               user_id=USER, name="Иван", text="Один раз")
    assert server.texts(CONV) == ["Один раз"]
    assert server.messages(CONV)[0]["amojo_msgid"] == sent.amojo_msgid
    statuses = [r["status"] for r in server.requests(f"/v2/origin/custom/{server.scope_id}")]
    assert statuses[-1] == 200 and len(statuses) == 2


@pytest.mark.asyncio
async def test_429_and_5xx_are_retried_with_a_valid_signature_each_time(amocrm_env):
    server = amocrm_env
    async with AmoChats(fast_settings()) as chats:
        await connected(chats, server)
        server.fail("429", requests=1, retry_after=0.05)
        server.fail("503", requests=1)
        await chats.send_client_message(conversation_id=CONV, msgid=msgid(), user_id=USER,
                                        name="Иван", text="Ок")
    assert [r["status"] for r in server.requests(f"/v2/origin/custom/{server.scope_id}")] == \
        [429, 503, 200]
    assert server.texts(CONV) == ["Ок"]


@pytest.mark.asyncio
async def test_unavailable_after_bounded_attempts(amocrm_env):
    server = amocrm_env
    async with AmoChats(fast_settings(retry_attempts=2)) as chats:
        await connected(chats, server)
        server.fail("500")
        with pytest.raises(AmoUnavailable):
            await chats.send_client_message(conversation_id=CONV, msgid=msgid(), user_id=USER,
                                            name="Иван", text="Ок")
    assert len(server.requests(f"/v2/origin/custom/{server.scope_id}")) == 2
    assert server.texts(CONV) == []


@pytest.mark.asyncio
async def test_bad_secret_is_403_rejected_without_retry(amocrm_env, monkeypatch):
    monkeypatch.setenv("AMOCRM_CHANNEL_SECRET", "not-the-channel-secret")
    async with AmoChats(fast_settings()) as chats:
        with pytest.raises(AmoRejected) as err:
            await chats.connect(amocrm_env.account_id)
    assert err.value.status == 403
    assert "signature" in str(err.value)
    assert [r["status"] for r in amocrm_env.requests("/v2/")] == [403]


@pytest.mark.asyncio
async def test_date_outside_15_minutes_is_refused(amocrm_env):
    amocrm_env.clock = lambda: time.time() + 16 * 60  # amojo's clock runs ahead of ours
    async with AmoChats(fast_settings()) as chats:
        with pytest.raises(AmoRejected) as err:
            await chats.connect(amocrm_env.account_id)
    assert err.value.status == 403 and "15 minutes" in err.value.body_excerpt


@pytest.mark.asyncio
async def test_message_before_connect_is_rejected(amocrm_env):
    async with AmoChats(fast_settings()) as chats:  # AMOCRM_SCOPE_ID set, but never connected
        with pytest.raises(AmoRejected) as err:
            await chats.send_client_message(conversation_id=CONV, msgid=msgid(), user_id=USER,
                                            name="Иван", text="Ок")
    assert err.value.status == 404


@pytest.mark.asyncio
async def test_missing_configuration_fails_before_any_request(amocrm_env, monkeypatch):
    monkeypatch.delenv("AMOCRM_BOT_ID")
    async with AmoChats(fast_settings(scope_id=None)) as chats:
        with pytest.raises(AmoConfigError):
            await chats.create_chat(CONV, user_id=USER, name="Иван")  # no scope yet
        await connected(chats, amocrm_env)
        with pytest.raises(AmoConfigError):
            await chats.import_bot_message(conversation_id=CONV, msgid=msgid(), user_id=USER,
                                           name="Иван", text="Ок")
    assert amocrm_env.requests(f"/v2/origin/custom/{amocrm_env.scope_id}") == []
    monkeypatch.delenv("AMOCRM_CHANNEL_SECRET")
    with pytest.raises(AmoConfigError):
        AmoChats(fast_settings())


def test_repr_hides_the_secret(amocrm_env):
    chats = AmoChats(fast_settings())
    assert amocrm_env.channel_secret not in repr(chats) + repr(chats.settings)
