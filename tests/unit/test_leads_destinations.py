"""Leads to the managers' Telegram chat (local Bot API server) and by e-mail (local SMTP
server, aiosmtpd), sent by the worker's job with retries; the managers' buttons."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import re
import socket
import time
from typing import List

import pytest
from aiosmtpd.controller import Controller

from tests.telegram_server import TelegramServer
from wewall.channels.telegram import TelegramConfig, WewallTelegramInput
from wewall.leads.book import DONE, EMAIL, NO_ANSWER, PENDING, TAKEN, TELEGRAM, get_book, reset_books
from wewall.leads.config import get_lead_settings, reset_lead_settings
from wewall.leads.job import LeadDeliveryJob, job_factory
from wewall.worker import build_context, build_jobs

MANAGERS = "-1001234567890"
SECRET = "s3cret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every letter as the SMTP server received it."""

    def __init__(self):
        self.letters: List[email.message.EmailMessage] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.letters.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture(scope="module")
def tg():
    with TelegramServer() as server:
        yield server


@pytest.fixture(autouse=True)
def env(monkeypatch, tmp_path):
    for key in [k for k in os.environ if k.startswith(("AMOCRM_", "WEWALL_LEADS_", "TELEGRAM_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("WEWALL_LEADS_URL", f"sqlite:///{tmp_path / 'leads.db'}")
    monkeypatch.setenv("WEWALL_LEADS_RETRY_SECONDS", "0.01")
    monkeypatch.setenv("WEWALL_LEADS_RETRY_MAX_SECONDS", "0.05")
    reset_lead_settings(), reset_books()
    yield monkeypatch
    reset_lead_settings(), reset_books()


def configure(monkeypatch, **values):
    for key, value in values.items():
        monkeypatch.setenv(key, str(value))
    reset_lead_settings()
    return get_lead_settings()


def telegram_env(tg):
    return {"TELEGRAM_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
            "WEWALL_LEADS_TELEGRAM_CHAT_ID": MANAGERS}


def smtp_env(smtp):
    return {"WEWALL_LEADS_SMTP_HOST": "127.0.0.1", "WEWALL_LEADS_SMTP_PORT": smtp.port,
            "WEWALL_LEADS_EMAIL_TO": "sales@wewall.ru, boss@wewall.ru"}


def keep(destinations, **kw):
    lead = {"kind": "viewing", "sender_id": "777", "channel": "telegram", "name": "Анна <b>",
            "phone": "+79161234567", "telegram_username": "anna_k", "viewing_time": "в четверг",
            "summary": "WEWALL AI: передача клиента менеджеру.\nКлиент хочет записаться на просмотр.\n"
                       "Выбранное предложение: БЦ «Аврора». Ссылка: https://wewall.ru/o/17."}
    lead.update(kw)
    return get_book().add(lead, destinations)


def drain(job, rounds=20):
    async def go():
        for _ in range(rounds):
            if not await job.run_once():
                await asyncio.sleep(0.06)  # past the test's retry cap
                if not await job.run_once():
                    return
    asyncio.run(go())


def states(lead_id):
    return {d["destination"]: d for d in get_book().get(lead_id)["deliveries"]}


# ------------------------------------------------------------------ worker wiring


def test_the_worker_runs_the_job_only_when_a_destination_is_configured(env, tg):
    assert job_factory() is None
    assert "lead-delivery" not in [j.name for j in build_jobs(build_context())]
    configure(env, **telegram_env(tg))
    assert "lead-delivery" in [j.name for j in build_jobs(build_context())]


# ------------------------------------------------------------------ Telegram


def test_a_lead_reaches_the_managers_chat_with_its_buttons(env, tg):
    settings = configure(env, **telegram_env(tg))
    lead = keep([TELEGRAM])
    since = tg.mark()
    drain(LeadDeliveryJob(get_book(), settings))
    (call,) = tg.calls_of("sendMessage", MANAGERS, since)
    text = call.params["text"]
    assert text.startswith(f"<b>Заявка №{lead['id']}</b> — Просмотр объекта")
    assert "Анна &lt;b&gt;, +79161234567, @anna_k" in text  # escaped for parse_mode HTML
    assert "https://wewall.ru/o/17" in text and call.params["parse_mode"] == "HTML"
    buttons = [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [(b["text"], b["callback_data"]) for b in buttons] == [
        ("Взял", f"lead:{lead['id']}:taken"), ("Не дозвонился", f"lead:{lead['id']}:no_answer")]
    d = states(lead["id"])[TELEGRAM]
    assert d["status"] == DONE and d["external"]["message_id"] >= 1000
    drain(LeadDeliveryJob(get_book(), settings))
    assert len(tg.calls_of("sendMessage", MANAGERS, since)) == 1  # sent once


def test_telegram_down_is_retried_until_it_answers(env, tg):
    settings = configure(env, **{**telegram_env(tg), "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}"})
    lead = keep([TELEGRAM])
    job = LeadDeliveryJob(get_book(), settings)
    asyncio.run(job.run_once())
    d = states(lead["id"])[TELEGRAM]
    assert (d["status"], d["attempts"]) == (PENDING, 1) and "ClientConnectorError" in d["last_error"]
    since = tg.mark()
    settings.telegram_api_base_url = tg.base_url  # the Bot API is back
    drain(job)
    assert states(lead["id"])[TELEGRAM]["status"] == DONE
    assert len(tg.calls_of("sendMessage", MANAGERS, since)) == 1


def test_a_refused_token_is_kept_pending_and_explained(env, tg):
    settings = configure(env, **{**telegram_env(tg), "TELEGRAM_TOKEN": "1:wrong"})
    lead = keep([TELEGRAM])
    asyncio.run(LeadDeliveryJob(get_book(), settings).run_once())
    d = states(lead["id"])[TELEGRAM]
    assert d["status"] == PENDING and "HTTP 401" in d["last_error"]


def channel(tg):
    return WewallTelegramInput(TelegramConfig(token=tg.token, secret_token=SECRET,
                                              api_base_url=tg.base_url, bot_username=tg.username))


def press(ch, chat_id, data, message_id=1000, username="olga_m"):
    seen = []

    async def on_new_message(message):
        seen.append(message)

    update = {"update_id": int(time.time() * 1000) % 10**9, "callback_query": {
        "id": "cb1", "chat_instance": "1", "data": data,
        "from": {"id": 5, "is_bot": False, "first_name": "Ольга", "username": username},
        "message": {"message_id": message_id, "date": 0, "chat": {"id": int(chat_id), "type": "supergroup"}}}}

    async def go():
        status, body = await ch.process_webhook({"X-Telegram-Bot-Api-Secret-Token": SECRET},
                                                json.dumps(update).encode(), on_new_message)
        return status, body

    status, body = asyncio.run(go())
    return status, body, seen


@pytest.mark.parametrize("data, status, words", [
    ("taken", TAKEN, "взял(а) заявку"),
    ("no_answer", NO_ANSWER, "не дозвонился(ась)"),
])
def test_a_managers_button_marks_the_lead(env, tg, data, status, words):
    configure(env, **telegram_env(tg))
    lead = keep([])
    since = tg.mark()
    code, body, seen = press(channel(tg), MANAGERS, f"lead:{lead['id']}:{data}")
    assert (code, body, seen) == (200, {"status": "marked"}, [])  # not a dialogue turn
    marked = get_book().get(lead["id"])
    assert (marked["status"], marked["handled_by"]) == (status, "@olga_m")
    (answer,) = tg.calls_of("answerCallbackQuery", since=since)
    assert answer.params["callback_query_id"] == "cb1"
    (reply,) = tg.calls_of("sendMessage", MANAGERS, since)
    assert reply.params["text"].startswith(f"Заявка №{lead['id']}: @olga_m {words}")
    assert reply.params["reply_to_message_id"] == 1000


def test_a_lead_button_from_a_clients_chat_is_refused(env, tg):
    configure(env, **telegram_env(tg))
    lead = keep([])
    code, body, seen = press(channel(tg), 777, f"lead:{lead['id']}:taken")
    assert body == {"status": "refused"} and seen == []
    assert get_book().get(lead["id"])["status"] == "new"


def test_an_unknown_lead_is_answered_not_crashed(env, tg):
    configure(env, **telegram_env(tg))
    since = tg.mark()
    code, body, _ = press(channel(tg), MANAGERS, "lead:999:taken")
    assert body == {"status": "unknown-lead"}
    assert tg.calls_of("answerCallbackQuery", since=since)[0].params["text"] == "Заявка не найдена."


def test_managers_talking_in_their_chat_is_not_a_dialogue(env, tg):
    configure(env, **telegram_env(tg))
    seen = []

    async def on_new_message(message):
        seen.append(message)

    update = {"update_id": 99, "message": {"message_id": 5, "date": 0, "text": "кто возьмёт?",
                                           "chat": {"id": int(MANAGERS), "type": "supergroup"},
                                           "from": {"id": 5, "first_name": "Ольга"}}}
    status, body = asyncio.run(channel(tg).process_webhook(
        {"X-Telegram-Bot-Api-Secret-Token": SECRET}, json.dumps(update).encode(), on_new_message))
    assert body == {"status": "managers-chat"} and seen == []


# ------------------------------------------------------------------ e-mail


def test_a_lead_arrives_by_email(env, smtp):
    settings = configure(env, **smtp_env(smtp))
    lead = keep([EMAIL])
    drain(LeadDeliveryJob(get_book(), settings))
    (letter,) = smtp.letters
    assert smtp.envelopes[0].rcpt_tos == ["sales@wewall.ru", "boss@wewall.ru"]
    assert letter["Subject"] == f"Заявка №{lead['id']}: Просмотр объекта — Анна <b>"
    body = letter.get_content()
    assert "Клиент: Анна <b>, +79161234567, @anna_k" in body
    assert "Удобное время: в четверг" in body and "https://wewall.ru/o/17" in body
    d = states(lead["id"])[EMAIL]
    assert d["status"] == DONE and d["external"]["message_id"] == letter["Message-ID"]


def test_smtp_down_is_retried_until_it_answers(env, smtp):
    settings = configure(env, **{**smtp_env(smtp), "WEWALL_LEADS_SMTP_PORT": free_port()})
    lead = keep([EMAIL])
    job = LeadDeliveryJob(get_book(), settings)
    asyncio.run(job.run_once())
    d = states(lead["id"])[EMAIL]
    assert (d["status"], d["attempts"]) == (PENDING, 1) and "ConnectionRefusedError" in d["last_error"]
    assert smtp.letters == []
    settings.smtp_port = smtp.port  # the server is back
    drain(job)
    assert states(lead["id"])[EMAIL]["status"] == DONE and len(smtp.letters) == 1


def test_both_destinations_of_one_lead(env, tg, smtp):
    settings = configure(env, **telegram_env(tg), **smtp_env(smtp))
    lead = keep([TELEGRAM, EMAIL])
    since = tg.mark()
    drain(LeadDeliveryJob(get_book(), settings))
    assert {k: v["status"] for k, v in states(lead["id"]).items()} == {TELEGRAM: DONE, EMAIL: DONE}
    assert len(tg.calls_of("sendMessage", MANAGERS, since)) == 1 and len(smtp.letters) == 1


def test_a_huge_summary_still_reaches_telegram_whole(env, tg):
    settings = configure(env, **telegram_env(tg))
    lead = keep([TELEGRAM], summary="Пожелания: «R&D-офис» & <склад> " * 400)
    since = tg.mark()
    drain(LeadDeliveryJob(get_book(), settings))
    (call,) = tg.calls_of("sendMessage", MANAGERS, since)
    text = call.params["text"]
    assert len(text) <= 4096 and text.endswith("…") and "&amp;" in text
    assert not re.search(r"&[a-z]*…$", text) and not re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;)", text)
    assert states(lead["id"])[TELEGRAM]["status"] == DONE
