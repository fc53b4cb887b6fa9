"""Messages the NLU files under another intent, read by what they say: with no form open
(`action_route_facts`) a phone with a name goes to the callback offer like a phone alone and a name
alone is answered; a viewing request heard as a new search books the offer shown; «а есть дешевле?»
(not understood) about the offers shown asks what to change."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import NEXT_ACTIONS, ActionRouteFacts


def tracker(text, entities, events=()):
    message = {"intent": {"name": "inform"}, "entities": entities, "text": text}
    user = {"event": "user", "text": text, "parse_data": message}
    return Tracker("u1", {}, message, list(events) + [user], False, None, {}, "")


def run(t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionRouteFacts().run(dispatcher, t, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


ASKED_PHONE = {"event": "bot", "text": "…напишите, пожалуйста, ваш номер телефона…",
               "metadata": {"utter_action": "utter_lead_saved_ask_phone"}}


def test_a_phone_with_a_name_goes_to_the_callback_offer():
    """«Анна, 8 916 555 44 33» after «напишите ваш номер»: the callback rules match a phone alone,
    so this message used to get the main menu."""
    messages, slots = run(tracker("Анна, 8 916 555 44 33", [
        {"entity": "person_name", "value": "Анна"}, {"entity": "phone", "value": "+79165554433"}], [ASKED_PHONE]))
    assert messages == []
    assert slots == {"person_name": "Анна", NEXT_ACTIONS: {"after": "action_route_facts", "then": ["action_callback_offer"]}}


def test_a_name_after_the_phone_was_asked_asks_for_the_phone_by_name():
    messages, slots = run(tracker("Иван", [{"entity": "person_name", "value": "Иван"}], [ASKED_PHONE]))
    assert slots == {"person_name": "Иван"}
    assert len(messages) == 1 and messages[0]["text"].startswith("Спасибо, Иван!") and "телефон" in messages[0]["text"]


def test_a_name_out_of_the_blue_is_greeted_with_the_menu():
    messages, slots = run(tracker("меня зовут Иван", [{"entity": "person_name", "value": "Иван"}]))
    assert slots == {"person_name": "Иван"}
    assert "Иван" in messages[0]["text"] and messages[0]["buttons"]


def test_a_viewing_request_heard_as_a_new_search_books_the_offer_shown():
    """«хочу посмотреть этот офис завтра в 11, я Петр 8999…» (NLU: request_search) while offers are shown
    used to drop the offers and start a new search asking «Купить или арендовать?»."""
    from actions.search_form import ActionSearchReset

    t = tracker("хочу посмотреть этот офис завтра в 11, я Петр 89991234567", [])
    t.slots["search_stage"] = "offers"
    events = asyncio.run(ActionSearchReset().run(CollectingDispatcher(), t, {}))
    assert events == [{"event": "slot", "timestamp": None, "name": NEXT_ACTIONS,
                       "value": {"after": "action_search_reset", "then": ["action_viewing_start", "book_viewing_form"]}}]
    t.slots["search_stage"] = None  # no offer shown: a search it is
    events = asyncio.run(ActionSearchReset().run(CollectingDispatcher(), t, {}))
    assert all(e["name"] != NEXT_ACTIONS for e in events)


def test_a_cheaper_please_about_the_offers_shown_asks_the_new_budget():
    from actions.clarify import ActionClarify

    t = Tracker("u1", {"search_stage": "offers", "search_deal": "rent", "search_type": "office",
                       "search_budget": 3_000_000.0}, {"intent": {"name": "nlu_fallback"}, "entities": [],
                                                      "text": "а есть дешевле?"}, [], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionClarify().run(dispatcher, t, {}))
    (message,) = dispatcher.messages
    assert "бюджетом до 3" in message["text"] and "в месяц" in message["text"] and message["buttons"]
    t.slots["search_stage"] = None  # nothing shown: the usual «не понял»
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionClarify().run(dispatcher, t, {}))
    assert dispatcher.messages[0]["response"] in ("utter_default", "utter_clarify")
