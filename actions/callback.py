"""A phone number typed outside a form («запишите мой номер 89161234567, пусть перезвонят»)
becomes a callback lead, after the consent sentence (data/rules/callback.yml).

- `action_callback_offer`: the number (the `phone` entity, +7XXXXXXXXXX) and the consent
  sentence of the viewing form, with «Отправить» (/affirm) and «Не нужно» (/deny);
- `action_callback_send`: keeps the callback lead in the lead book (and hands it to amoCRM
  when it is connected), as `action_handover` does; the number stays in the `phone` slot,
  so a later viewing request does not ask for it again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.manager import answer_kept, keep_lead
from wewall.crm.commands import crm_command
from wewall.crm.config import get_crm_settings
from wewall.crm.summary import build_summary
from wewall.dialogue.contacts import CONSENT

CALLBACK_PHONE = "callback_phone"


def phone_in(tracker: Tracker) -> Optional[str]:
    """The first phone of the client's latest message, as the extractor normalised it."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        value = entity.get("value")
        if entity.get("entity") == "phone" and isinstance(value, str) and value.startswith("+7"):
            return value
    return None


def spoken(phone: str) -> str:
    """+79161234567 → «+7 916 123-45-67», the way the bot writes numbers to people."""
    d = phone[2:]
    return f"+7 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}" if len(d) == 10 else phone


PAUSED = "paused_forms"  # wewall.dialogue.forms.PAUSED
# the menu's titles: typed by hand, they are the tap (wewall/nlu/buttons.py)
RESUME = {"search_form": ("Подбор недвижимости", "/request_search", "Ответы для подбора я сохранил — продолжим?"),
          "calculation_form": ("Оценка доходности", "/request_calculation", "Ответы для расчёта я сохранил — продолжим?")}


def offer_back(dispatcher: CollectingDispatcher, paused: Optional[List[str]]) -> None:
    """The number was given in the middle of a form: the form waits with its answers, offered back here."""
    forms = [f for f in reversed(paused or []) if f in RESUME]
    if forms:
        title, payload, text = RESUME[forms[0]]
        dispatcher.utter_message(text=text, buttons=[{"title": title, "payload": payload}])


class ActionCallbackOffer(Action):
    def name(self) -> Text:
        return "action_callback_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        phone = phone_in(tracker)
        if not phone:  # the rules run this only with a phone; say what is needed all the same
            dispatcher.utter_message(response="utter_callback_no_phone")
            return [SlotSet(CALLBACK_PHONE, None)]
        dispatcher.utter_message(response="utter_callback_offer", number=spoken(phone),
                                 consent=CONSENT)
        return [SlotSet(CALLBACK_PHONE, phone)]


class ActionCallbackSend(Action):
    def name(self) -> Text:
        return "action_callback_send"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        phone = tracker.get_slot(CALLBACK_PHONE)
        if not phone:
            dispatcher.utter_message(response="utter_affirm_no_context")
            return []
        crm_enabled = get_crm_settings().enabled
        slots = {**tracker.current_slot_values(), "phone": phone}
        summary = build_summary(
            slots, reason="callback", channel=tracker.get_latest_input_channel(),
            sender_id=tracker.sender_id, now=dt.datetime.now(dt.timezone(dt.timedelta(hours=3))))
        lead = await keep_lead(tracker, "callback", summary, crm_enabled, slots=slots)
        answer_kept(dispatcher, lead, crm_enabled)
        offer_back(dispatcher, tracker.get_slot(PAUSED))
        events: List[EventType] = [SlotSet(CALLBACK_PHONE, None), SlotSet("phone", phone)]
        if crm_enabled:
            events += crm_command("handover", summary=summary, phone=phone,
                                  **({"lead_ref": lead["ref"]} if lead else {}))
        return events
