"""The managers' Telegram chat on the bot's webhook: «Взял» / «Не дозвонился» mark a lead.

The Telegram channel (wewall/channels/telegram.py) hands every update from the managers'
chat (WEWALL_LEADS_TELEGRAM_CHAT_ID) here instead of to the dialogue: the chat is for
managers, not a conversation with the bot. A button's callback marks the lead in the lead
book, answers the tap, and replies under the lead with who took it and when, so the whole
chat sees it. A `lead:` callback from any other chat is refused: a client cannot forge one.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, Mapping, Optional

from wewall.leads.book import NO_ANSWER, TAKEN, format_time, get_book
from wewall.leads.config import get_lead_settings
from wewall.leads.destinations import CALLBACK_PREFIX, DeliveryError, telegram_call

log = logging.getLogger(__name__)

MARKS = {"taken": (TAKEN, "взял(а) заявку"), "no_answer": (NO_ANSWER, "не дозвонился(ась)")}


def managers_chat_id() -> Optional[str]:
    s = get_lead_settings()
    return str(s.telegram_chat_id) if s.telegram_chat_id else None


def is_managers_chat(update: Mapping[str, Any]) -> bool:
    chat_id = managers_chat_id()
    if not chat_id:
        return False
    callback = update.get("callback_query")
    message = (callback.get("message") if isinstance(callback, Mapping) else None) \
        or update.get("message") or update.get("edited_message")
    chat = message.get("chat") if isinstance(message, Mapping) else None
    return isinstance(chat, Mapping) and str(chat.get("id")) == chat_id


def is_lead_callback(update: Mapping[str, Any]) -> bool:
    callback = update.get("callback_query")
    return isinstance(callback, Mapping) and str(callback.get("data") or "").startswith(CALLBACK_PREFIX)


def _who(user: Mapping[str, Any]) -> str:
    if user.get("username"):
        return f"@{user['username']}"
    name = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))
    return name or f"id {user.get('id')}"


def parse(data: str) -> Optional[Dict[str, Any]]:
    try:
        _, lead_id, mark = data.split(":", 2)
        return {"lead_id": int(lead_id), "mark": mark} if mark in MARKS else None
    except ValueError:
        return None


async def handle_update(update: Mapping[str, Any]) -> str:
    """Handle an update from the managers' chat (or a forged lead callback); a status word."""
    callback = update.get("callback_query")
    if not isinstance(callback, Mapping):
        return "managers-chat"  # managers talking among themselves: not for the dialogue
    settings = get_lead_settings()
    answer: Dict[str, Any] = {"callback_query_id": callback.get("id")}
    if not is_managers_chat(update):
        log.warning("leads: a lead button pressed outside the managers' chat: ignored")
        await _call(settings, "answerCallbackQuery", {**answer, "text": "Недоступно."})
        return "refused"
    parsed = parse(str(callback.get("data") or ""))
    user = raw if isinstance(raw := callback.get("from"), Mapping) else {}
    who = _who(user)
    book = get_book()
    lead = None
    if parsed:
        status, words = MARKS[parsed["mark"]]
        lead = await book.run(book.mark, parsed["lead_id"], status, by=who)
    if lead is None:
        await _call(settings, "answerCallbackQuery", {**answer, "text": "Заявка не найдена."})
        return "unknown-lead"
    await _call(settings, "answerCallbackQuery", {**answer, "text": "Отмечено."})
    message = raw if isinstance(raw := callback.get("message"), Mapping) else {}
    reply: Dict[str, Any] = {"chat_id": settings.telegram_chat_id,
             "text": f"Заявка №{lead['id']}: {who} {words} — {format_time(time.time())}."}
    if isinstance(message.get("message_id"), int):
        reply["reply_to_message_id"] = message["message_id"]
        reply["allow_sending_without_reply"] = True
    await _call(settings, "sendMessage", reply)
    return "marked"


async def _call(settings, method: str, params: Dict[str, Any]) -> None:
    try:
        await telegram_call(settings, method, params)
    except DeliveryError as exc:  # the mark is kept; the courtesy reply may be lost
        log.warning("leads: %s", exc)
