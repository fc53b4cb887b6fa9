"""Hand-over to a manager and the manager chat (product.md «Hand-over to a manager»).

- `action_handover`: any feature's way to a manager («Связаться с менеджером», /manager, a
  VAT-20 % calculation, a viewing request). Keeps the request in the lead book first
  (wewall/leads: the worker sends it to the managers' Telegram chat and e-mail when they are
  configured), then tells the client, and queues for amoCRM (through the outbox, never
  inline) the summary and the move to "chat with manager". Without amoCRM the client hears
  the truth: the request is kept and a manager calls back in working hours.
- `action_relay_manager_message`: run by the amoCRM channel when a manager writes; shows the
  text with «Закрыть чат с менеджером» and sets `manager_active` (the bot goes silent).
- `action_close_manager_chat`: the client's button; `action_manager_chat_closed`: the talk
  was closed in amoCRM. Both give the conversation back to the bot and note it in amoCRM.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from wewall.crm.commands import crm_command
from wewall.crm.config import get_crm_settings
from wewall.crm.summary import build_summary
from wewall.dialogue import contacts as ct
from wewall.leads.book import get_book, new_ref
from wewall.leads.config import destinations as lead_destinations
from wewall.leads.intake import lead_from_conversation, normalize_phone, reachable
from wewall.slots import MANAGER_ACTIVE

log = logging.getLogger(__name__)

MANAGER_MESSAGE = "manager_message"
# Bot messages with this metadata are the manager's words: the outbox does not mirror them.
MANAGER_SOURCE = {"wewall_source": "manager"}
CLOSE_BUTTON = {"title": "Закрыть чат с менеджером", "payload": "/close_manager_chat"}
# The same request again within this time is the lead already kept (no second message to
# the managers); the client hears the same answer.
REPEAT_WINDOW_SECONDS = 30 * 60


def _reason(tracker: Tracker) -> str:
    intent = (tracker.latest_message or {}).get("intent", {}).get("name")
    if intent == "book_viewing":
        return "viewing"
    if intent in ("nlu_fallback", "out_of_scope"):
        return "fallback"
    last_bot = next((e for e in reversed(tracker.events) if e.get("event") == "bot"), None)
    if last_bot and (last_bot.get("metadata") or {}).get("utter_action") == "utter_calc_vat_manager":
        return "vat"  # the calculation hands over a VAT-20 % case (actions/calculation.py)
    return "request"


def contacts_in(tracker: Tracker) -> Dict[str, str]:
    """The phone (+7…) and the name the client's latest message carries («Анна, 8 916 555 44 33»)."""
    found: Dict[str, str] = {}
    for entity in (tracker.latest_message or {}).get("entities") or []:
        value, name = entity.get("value"), entity.get("entity")
        if name == "phone" and isinstance(value, str) and value.startswith("+7"):
            found.setdefault(ct.PHONE, value)
        elif name == "person_name" and isinstance(value, str) and value.strip():
            found.setdefault(ct.NAME, value.strip())
    return found


def _back_to_bot(reason: str) -> List[EventType]:
    return ([SlotSet(MANAGER_ACTIVE, False)] + crm_command("manager_off", reason=reason)
            + [ActiveLoop(None), SlotSet("requested_slot", None)])


async def keep_lead(tracker: Tracker, kind: str, summary: str, crm_enabled: bool,
                    slots: Optional[Dict[str, Any]] = None) -> Optional[Dict[str, Any]]:
    """The lead, kept in the lead book before the client is answered; None if it could not be."""
    lead = lead_from_conversation(
        kind=kind, summary=summary, slots=slots if slots is not None else tracker.current_slot_values(),
        events=tracker.events,
        sender_id=tracker.sender_id, channel=tracker.get_latest_input_channel(), ref=new_ref())
    try:
        book = get_book()
        return await book.run(book.add, lead, lead_destinations(crm_enabled),
                              repeat_window=REPEAT_WINDOW_SECONDS)
    except Exception:  # the database is down: say so below rather than promise a call
        log.exception("leads: cannot keep the lead of %s", tracker.sender_id)
        return None


def answer_kept(dispatcher: CollectingDispatcher, lead: Optional[Dict[str, Any]],
                crm_enabled: bool) -> None:
    """What the client hears once the request is kept (or, rarely, could not be kept)."""
    if crm_enabled:
        # The outbox carries the hand-over even when the lead book is down.
        dispatcher.utter_message(response="utter_handover")
    elif lead is None:
        dispatcher.utter_message(response="utter_lead_not_saved")
    elif reachable(lead):
        dispatcher.utter_message(response="utter_lead_saved")
    else:
        dispatcher.utter_message(response="utter_lead_saved_ask_phone")


class ActionHandover(Action):
    def name(self) -> Text:
        return "action_handover"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        crm_enabled = get_crm_settings().enabled
        reason = _reason(tracker)
        slots = tracker.current_slot_values()
        # «мой телефон 8903…, перезвоните»: the number is in the request itself; asking for it again
        # after «Заявка сохранена» reads as if the bot did not listen
        given = contacts_in(tracker)
        events: List[EventType] = [SlotSet(k, v) for k, v in given.items() if slots.get(k) != v]
        slots.update(given)  # the number written now is the one to call, even if another was given earlier
        summary = build_summary(
            slots, reason=reason,
            channel=tracker.get_latest_input_channel(), sender_id=tracker.sender_id,
            now=dt.datetime.now(dt.timezone(dt.timedelta(hours=3))))  # Moscow time for managers
        if reason == "request" and slots.get("book_viewing_confirmed") is True:
            reason = "viewing"  # the viewing contact form ends here (as build_summary reads it)
        lead = await keep_lead(tracker, reason, summary, crm_enabled, slots=slots)
        answer_kept(dispatcher, lead, crm_enabled)
        if not crm_enabled:
            return events
        extra = {"lead_ref": lead["ref"]} if lead else {}
        phone = normalize_phone(slots.get("phone"))
        if phone:
            extra["phone"] = phone
        return events + crm_command("handover", summary=summary, **extra)


class ActionRelayManagerMessage(Action):
    def name(self) -> Text:
        return "action_relay_manager_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        data = tracker.get_slot(MANAGER_MESSAGE)
        text = (data or {}).get("text") if isinstance(data, dict) else None
        if not text:
            return [SlotSet(MANAGER_MESSAGE, None)]
        dispatcher.utter_message(text=f"Менеджер WEWALL:\n{text}", buttons=[CLOSE_BUTTON],
                                 **MANAGER_SOURCE)
        events: List[EventType] = [SlotSet(MANAGER_MESSAGE, None), SlotSet(MANAGER_ACTIVE, True)]
        if not tracker.get_slot(MANAGER_ACTIVE):
            events += crm_command("manager_on")
        return events


class ActionCloseManagerChat(Action):
    def name(self) -> Text:
        return "action_close_manager_chat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if not tracker.get_slot(MANAGER_ACTIVE):
            dispatcher.utter_message(response="utter_manager_chat_not_open")
            return []
        dispatcher.utter_message(response="utter_manager_chat_closed")
        dispatcher.utter_message(response="utter_main_menu")
        return _back_to_bot("client")


class ActionManagerChatClosed(Action):
    def name(self) -> Text:
        return "action_manager_chat_closed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if not tracker.get_slot(MANAGER_ACTIVE):
            return []
        dispatcher.utter_message(response="utter_manager_chat_closed_by_manager")
        dispatcher.utter_message(response="utter_main_menu")
        return _back_to_bot("amocrm")
