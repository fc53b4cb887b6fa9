"""A conversation as the bot stored it before the renames of issue #21: a calculation half-way
(kind and area answered, the price asked), under the old slot names. Shared by the unit test of
the migration (tests/unit/test_slot_renames.py) and the end-to-end one (tests/e2e/).
"""

from __future__ import annotations

import time
from typing import List, Optional

from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SessionStarted, SlotSet, UserUttered

AREA = 700.0


def _user(text: str, intent: str, entities: Optional[list] = None) -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 1.0}, "entities": entities or [], "text": text}
    return UserUttered(text, parse["intent"], entities or [], parse_data=parse, input_channel="rest")


def _bot(text: str, response: str) -> BotUttered:
    return BotUttered(text, metadata={"utter_action": response})


def half_filled_calculation(start: Optional[float] = None, paused: Optional[List[str]] = None) -> List[Event]:
    """The events, with timestamps a minute old (the session has not expired)."""
    events: List[Event] = [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        _user("хочу посчитать доходность офиса", "request_calculation"),
        ActionExecuted("calculation_form"), ActiveLoop("calculation_form"), SlotSet("requested_slot", "calc_kind"),
        _bot("Посчитаю доходность. Что за объект?", "utter_ask_calc_kind"), ActionExecuted("action_listen"),
        _user('/inform{"calc_kind":"finished_office"}', "inform", [{"entity": "calc_kind", "value": "finished_office"}]),
        ActionExecuted("calculation_form"), SlotSet("calc_kind", "finished_office"),
        SlotSet("requested_slot", "area_m2"), SlotSet("calc_remaining", "(осталось 7 вопросов)"),
        _bot("Какая площадь помещения, м²? (осталось 7 вопросов)", "utter_ask_area_m2"), ActionExecuted("action_listen"),
        _user("700", "inform", [{"entity": "number", "value": 700, "start": 0, "end": 3}]),
        ActionExecuted("calculation_form"), SlotSet("area_m2", AREA),
        SlotSet("requested_slot", "price_per_m2"), SlotSet("calc_remaining", "(осталось 6 вопросов)"),
        _bot("Какая цена покупки? (осталось 6 вопросов)", "utter_ask_price_per_m2"),
    ]
    if paused:
        events.append(SlotSet("paused_forms", list(paused)))
    events.append(ActionExecuted("action_listen"))
    start = time.time() - 60 if start is None else start
    for i, event in enumerate(events):
        event.timestamp = start + i * 0.01
    return events
