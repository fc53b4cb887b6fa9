"""The Telegram channel against the local Bot API server (no Rasa model, no Telegram)."""

from __future__ import annotations

import asyncio
import json
from typing import List

import pytest
from rasa.core.channels.channel import UserMessage

from tests.telegram_server import TelegramServer
from wewall.channels import telegram as tg
from wewall.channels.telegram import (
    ButtonRegistry,
    TelegramConfig,
    WewallTelegramInput,
    WewallTelegramOutput,
    command_to_text,
)

SECRET = "s3cret-token_1"

MENU = [
    {"title": "Оценка доходности", "payload": "/request_calculation"},
    {"title": "Подбор недвижимости", "payload": "/request_search"},
    {"title": "Вопросы", "payload": "/show_faq"},
    {"title": "Связаться с менеджером", "payload": "/request_manager"},
]


@pytest.fixture(scope="module")
def server():
    with TelegramServer() as s:
        yield s


def make_channel(server: TelegramServer, **overrides) -> WewallTelegramInput:
    config = TelegramConfig(
        token=server.token, bot_username=server.username, webhook_url="http://127.0.0.1:9/webhooks/telegram/webhook",
        secret_token=SECRET, api_base_url=server.base_url,
    )
    for key, value in overrides.items():
        setattr(config, key, value)
    return WewallTelegramInput(config)


class Recorder:
    """Stands in for Rasa: records user messages, answers with the menu."""

    def __init__(self, reply: bool = True):
        self.messages: List[UserMessage] = []
        self.reply = reply

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.reply:
            await message.output_channel.send_text_with_buttons(message.sender_id, "Меню:", MENU)


def headers(secret=SECRET):
    return {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}


async def post(channel, update, on_new_message, secret=SECRET):
    body = json.dumps(update, ensure_ascii=False).encode()
    return await channel.process_webhook(headers(secret), body, on_new_message)


async def close(channel):
    out = channel.get_output_channel()
    if isinstance(out, WewallTelegramOutput):
        await out.session.close()


# --- pure functions -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected, source",
    [
        ("/start", "/start", None),
        ("/start promo42", '/start{"lead_source": "promo42"}', "promo42"),
        ("/start@wewall_test_bot ad-2024_x", '/start{"lead_source": "ad-2024_x"}', "ad-2024_x"),
        ("/start@other_bot promo", "/start@other_bot promo", None),
        ("/restart", "/start", None),
        ("/faq", "faq", None),
        ("/session_start", "session_start", None),
        ("/estate_search", "/request_search", None),
        ("/finance_model", "/request_calculation", None),
        ("/manager", "/request_manager", None),
        ('/inform{"calc_kind":"finished_office"}', 'inform{"calc_kind":"finished_office"}', None),
        ("привет", "привет", None),
    ],
)
def test_commands_become_intents(text, expected, source):
    assert command_to_text(text, "wewall_test_bot") == (expected, source)


def test_long_payloads_fit_callback_data_and_come_back():
    registry = ButtonRegistry()
    long_payload = "Чем класс А отличается от класса В и что выбрать?"
    assert len(long_payload.encode()) > 64
    data = registry.register(long_payload)
    assert len(data.encode()) <= 64 and data.startswith("#h:")
    assert registry.resolve_callback(data, None) == long_payload
    assert registry.register("/request_search") == "/request_search"
    # another process sent it: the button's title is the fallback
    other = ButtonRegistry()
    message = {"reply_markup": {"inline_keyboard": [[{"text": "Классы А и В", "callback_data": data}]]}}
    assert other.resolve_callback(data, message) == "Классы А и В"


def test_domain_buttons_are_known_to_every_process():
    class Domain:
        responses = {
            "utter_faq_topics": [{"text": "…", "buttons": [{"title": "Классы", "payload": "Чем класс А отличается от класса В и что выбрать?"}]}],
            "utter_manager_joined": [{"text": "…", "button_type": "reply",
                                      "buttons": [{"title": "Закрыть чат с менеджером", "payload": "/close_manager_chat"}]}],
        }

    registry = ButtonRegistry()
    registry.load_domain(Domain())
    data = ButtonRegistry.callback_data("Чем класс А отличается от класса В и что выбрать?")
    assert registry.resolve_callback(data, None) == "Чем класс А отличается от класса В и что выбрать?"
    assert registry.resolve_reply("Закрыть чат с менеджером") == "/close_manager_chat"


def test_config_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TELEGRAM_TOKEN", "1:abc")
    monkeypatch.setenv("TELEGRAM_SUBSCRIPTION_CHANNEL", "@wewall_news")
    monkeypatch.delenv("TELEGRAM_API_BASE_URL", raising=False)
    config = TelegramConfig.from_env(None)
    assert config.token == "1:abc" and config.api_base_url == "https://api.telegram.org"
    assert config.subscription_url == "https://t.me/wewall_news"
    assert TelegramConfig.from_env({"access_token": "2:def"}).token == "2:def"


# --- over HTTP with the local Bot API server --------------------------------------------------------
@pytest.mark.asyncio
async def test_registration_sets_secret_webhook_and_menu(server):
    channel = make_channel(server)
    since = server.mark()
    try:
        await channel.register_webhook()
        await channel.register_webhook()
    finally:
        await close(channel)
    webhook = server.calls_of("setWebhook", since=since)[-1].params
    assert webhook["secret_token"] == SECRET
    assert webhook["url"].endswith("/webhooks/telegram/webhook")
    commands = server.calls_of("setMyCommands", since=since)[-1].params["commands"]
    assert [c["command"] for c in commands] == ["start", "estate_search", "finance_model", "manager"]
    assert len(server.calls_of("getMe", since=since)) == 1  # cached


@pytest.mark.asyncio
async def test_refusals(server):
    channel = make_channel(server)
    rec = Recorder()
    update = server.text_update(11, "привет")
    try:
        assert (await post(channel, update, rec, secret=None))[0] == 401
        assert (await post(channel, update, rec, secret="wrong"))[0] == 403
        assert (await channel.process_webhook(headers(), b"{not json", rec))[0] == 400
        assert (await channel.process_webhook(headers(), b"[1, 2]", rec))[0] == 400
        assert (await channel.process_webhook(headers(), b"[" * 20_000 + b"]" * 20_000, rec))[0] == 400
        assert (await channel.process_webhook(headers(), b'{"update_id": "x"}', rec))[0] == 400
        status, body = await channel.process_webhook(headers(), b"x" * 100_000, rec)
        assert status == 413 and "error" in body
        assert rec.messages == []
        disabled = make_channel(server, token="")
        assert (await disabled.process_webhook(headers(), json.dumps(update).encode(), rec))[0] == 503
    finally:
        await close(channel)


@pytest.mark.asyncio
async def test_start_with_payload_is_the_lead_source(server):
    channel = make_channel(server)
    rec = Recorder()
    since = server.mark()
    try:
        update = server.text_update(12, "/start promo42")
        assert await post(channel, update, rec) == (200, {"status": "ok"})
        assert await post(channel, update, rec) == (200, {"status": "duplicate"})
    finally:
        await close(channel)
    assert len(rec.messages) == 1
    message = rec.messages[0]
    assert message.text == '/start{"lead_source": "promo42"}'
    assert message.sender_id == "tg:12" and message.input_channel == "telegram"
    assert message.metadata["lead_source"] == "promo42"
    assert message.metadata["telegram"]["username"] == "user12"
    sent = server.calls_of("sendMessage", 12, since)
    assert len(sent) == 1
    keyboard = sent[0].params["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in keyboard] == [[b["title"]] for b in MENU]


@pytest.mark.asyncio
async def test_button_tap_answers_the_callback_and_sends_the_payload(server):
    channel = make_channel(server)
    rec = Recorder()
    since = server.mark()
    message = {"message_id": 77, "date": 0, "chat": {"id": 13, "type": "private"}, "text": "Меню"}
    try:
        update = {"update_id": 5001, "callback_query": {"id": "cb-1", "from": {"id": 13, "is_bot": False, "first_name": "A"},
                                                         "chat_instance": "1", "message": message, "data": "/request_search"}}
        assert (await post(channel, update, rec))[0] == 200
    finally:
        await close(channel)
    assert [m.text for m in rec.messages] == ["/request_search"]
    assert server.calls_of("answerCallbackQuery", since=since)[-1].params["callback_query_id"] == "cb-1"
    edit = server.calls_of("editMessageReplyMarkup", since=since)[-1].params
    assert str(edit["chat_id"]) == "13" and str(edit["message_id"]) == "77"


@pytest.mark.asyncio
async def test_non_text_is_answered_without_the_bot(server):
    channel = make_channel(server)
    rec = Recorder()
    since = server.mark()
    update = server.text_update(14, "x")
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "s"}
    try:
        assert await post(channel, update, rec) == (200, {"status": "non-text"})
        contact = server.text_update(14, "x")
        del contact["message"]["text"]
        contact["message"]["contact"] = {"phone_number": "+79991234567", "first_name": "Иван"}
        await post(channel, contact, rec)
    finally:
        await close(channel)
    assert server.texts(14, since)[0] == tg.NON_TEXT_REPLY
    assert [m.text for m in rec.messages] == ["+79991234567"]


@pytest.mark.asyncio
async def test_control_characters_are_removed(server):
    channel = make_channel(server)
    rec = Recorder(reply=False)
    try:
        await post(channel, server.text_update(15, "a\x00b\x07c"), rec)
    finally:
        await close(channel)
    assert rec.messages[0].text == "a b c"


@pytest.mark.asyncio
async def test_subscription_gate(server):
    channel = make_channel(server, subscription_channel="@wewall_news", subscription_url="https://t.me/wewall_news")
    rec = Recorder(reply=False)
    since = server.mark()
    server.members.pop(16, None)
    try:
        assert await post(channel, server.text_update(16, "/start promo7"), rec) == (200, {"status": "gated"})
        assert rec.messages == []
        buttons = server.last_keyboard(16, since)
        assert buttons[0] == {"text": "Подписаться", "url": "https://t.me/wewall_news"}
        assert buttons[1]["text"] == "Проверить подписку"
        check = buttons[1]["callback_data"]
        assert check == "#subpromo7"
        # pressed before subscribing: an alert, nothing for the bot
        assert (await post(channel, {"update_id": 6001, "callback_query": {
            "id": "c1", "from": {"id": 16, "is_bot": False, "first_name": "A"}, "chat_instance": "1",
            "message": {"message_id": 5, "date": 0, "chat": {"id": 16, "type": "private"}}, "data": check}}, rec))[1] == {"status": "gated"}
        assert server.calls_of("answerCallbackQuery", since=since)[-1].params["show_alert"] in (True, "True", "true")
        server.members[16] = "member"
        await post(channel, {"update_id": 6002, "callback_query": {
            "id": "c2", "from": {"id": 16, "is_bot": False, "first_name": "A"}, "chat_instance": "1",
            "message": {"message_id": 5, "date": 0, "chat": {"id": 16, "type": "private"}}, "data": check}}, rec)
        assert [m.text for m in rec.messages] == ['/start{"lead_source": "promo7"}']
        await post(channel, server.text_update(16, "привет"), rec)  # cached membership
        assert rec.messages[-1].text == "привет"
    finally:
        await close(channel)
    assert server.calls_of("getChatMember", since=since)[-1].params["chat_id"] == "@wewall_news"


@pytest.mark.asyncio
async def test_failures_inside_the_bot_are_not_redelivered(server):
    channel = make_channel(server)

    async def broken(_: UserMessage) -> None:
        raise RuntimeError("tracker store down")

    since = server.mark()
    try:
        assert await post(channel, server.text_update(17, "привет"), broken) == (200, {"status": "failed"})
    finally:
        await close(channel)
    # and the client is not left in silence
    from wewall.channels.replies import SORRY

    assert [c.params["text"] for c in server.calls_of("sendMessage", chat_id=17, since=since)] == [SORRY]


@pytest.mark.asyncio
async def test_conversations_are_keyed_by_channel_and_replies_reach_the_bare_chat(server):
    """`tg:<chat>` is the conversation; Telegram itself is called with the chat id."""
    channel = make_channel(server)
    seen = []

    async def bot(message: UserMessage) -> None:
        seen.append(message.sender_id)
        await message.output_channel.send_response(message.sender_id, {"text": "ответ"})

    since = server.mark()
    try:
        assert await post(channel, server.text_update(777000666, "привет"), bot) == (200, {"status": "ok"})
        # a follow-up or a manager's message later goes out by the conversation key
        await channel.get_output_channel().send_response("tg:777000666", {"text": "напоминание"})
    finally:
        await close(channel)
    assert seen == ["tg:777000666"]
    texts = [c.params["text"] for c in server.calls_of("sendMessage", chat_id=777000666, since=since)]
    assert texts == ["ответ", "напоминание"]


# --- the output channel ------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_output_keyboards_documents_and_photos(server, tmp_path):
    from wewall.settings import get_settings

    files = get_settings().files_dir
    files.mkdir(parents=True, exist_ok=True)
    (files / "calc_abc.png").write_bytes(b"\x89PNG" + b"0" * 500)
    (files / "calc_abc.xlsx").write_bytes(b"PK" + b"0" * 300)
    base = get_settings().public_base_url.rstrip("/")
    channel = make_channel(server)
    out = channel.get_output_channel()
    assert channel.get_output_channel() is out  # one per process, made without asyncio.run
    since = server.mark()
    try:
        await out.send_response("20", {"text": "Закрыть?", "buttons": [
            {"title": "Закрыть чат с менеджером", "payload": "/close_manager_chat"}], "button_type": "reply"})
        await out.send_response("20", {"image": f"{base}/calc_abc.png"})
        await out.send_response("20", {"image": "https://example.com/chart.png"})
        await out.send_response("20", {"custom": {"document": f"{base}/calc_abc.xlsx", "caption": "Модель"}})
        await out.send_response("20", {"custom": {"text": "Чат закрыт", "remove_keyboard": True}})
        await out.send_response("20", {"text": "Темы", "buttons": [
            {"title": "Классы А и В", "payload": "Чем класс А отличается от класса В и что выбрать?"}]})
        await out.send_response("20", {"text": "а" * 5000})
    finally:
        await close(channel)
    messages = server.calls_of("sendMessage", 20, since)
    reply = messages[0].params["reply_markup"]
    assert reply["keyboard"] == [[{"text": "Закрыть чат с менеджером"}]] and reply["resize_keyboard"] in (True, "true")
    assert channel.registry.resolve_reply("Закрыть чат с менеджером") == "/close_manager_chat"
    photos = server.calls_of("sendPhoto", 20, since)
    assert photos[0].files.get("photo", 0) > 500  # our chart is uploaded
    assert photos[1].params["photo"] == "https://example.com/chart.png"
    document = server.calls_of("sendDocument", 20, since)[0]
    assert document.files.get("document", 0) > 300 and document.params["caption"] == "Модель"
    assert messages[1].params["reply_markup"] == {"remove_keyboard": True}
    data = messages[2].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    assert [len(m.params["text"]) for m in messages[3:]] == [4096, 904]


@pytest.mark.asyncio
async def test_a_blocked_user_does_not_break_the_turn(server, monkeypatch):
    channel = make_channel(server)
    out = channel.get_output_channel()

    def blocked(_params):
        from aiohttp import web

        return web.json_response({"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}, status=403)

    monkeypatch.setattr(server, "_m_sendmessage", blocked)
    try:
        await out.send_text_message("21", "привет")  # no exception
    finally:
        await close(channel)


@pytest.mark.asyncio
async def test_get_output_channel_inside_a_running_loop():
    """RasaHQ/rasa#10666: the stock channel calls asyncio.run() here and fails."""
    channel = WewallTelegramInput(TelegramConfig(token="123:" + "a" * 35, api_base_url="http://127.0.0.1:9"))
    assert asyncio.get_running_loop()
    assert isinstance(channel.get_output_channel(), WewallTelegramOutput)


@pytest.mark.asyncio
async def test_manager_close_button_is_a_reply_keyboard_and_its_tap_removes_it(server):
    """actions/manager.py sends «Закрыть чат с менеджером» as an ordinary button."""
    channel = make_channel(server)
    out = channel.get_output_channel()
    since = server.mark()
    seen: List[UserMessage] = []

    async def bot(message: UserMessage) -> None:
        seen.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": "Чат с менеджером закрыт."})

    try:
        await out.send_response("22", {"text": "Менеджер WEWALL:\nДобрый день!", "buttons": [
            {"title": "Закрыть чат с менеджером", "payload": "/close_manager_chat"}], "wewall_source": "manager"})
        await post(channel, server.text_update(22, "Закрыть чат с менеджером"), bot)
    finally:
        await close(channel)
    sent = server.calls_of("sendMessage", 22, since)
    assert sent[0].params["reply_markup"]["keyboard"] == [[{"text": "Закрыть чат с менеджером"}]]
    assert [m.text for m in seen] == ["/close_manager_chat"]
    assert sent[1].params["reply_markup"] == {"remove_keyboard": True}
