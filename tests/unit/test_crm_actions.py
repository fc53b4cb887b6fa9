"""Hand-over and manager-chat actions: what the client sees, what goes to the outbox."""

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.manager import ActionCloseManagerChat, ActionHandover, ActionManagerChatClosed, ActionRelayManagerMessage
from tests.amocrm_server import amocrm_env, amocrm_server, clear_amocrm_env  # noqa: F401 (fixtures)
from wewall.crm.config import reset_crm_settings
from wewall.crm.outbox import EventConverter


def tracker(slots=None, intent="request_manager", channel="telegram"):
    events = [{"event": "user", "text": "x", "input_channel": channel,
               "parse_data": {"intent": {"name": intent}}}]
    return Tracker("u1", slots or {}, {"intent": {"name": intent}}, events, False, None, {}, "")


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def commands(events):
    conv = EventConverter()
    rows = [conv.convert({"sender_id": "u1", **e}) for e in events]
    return [r["data"] for r in rows if r]


@pytest.fixture
def crm_on(amocrm_env):
    reset_crm_settings()
    yield amocrm_env
    reset_crm_settings()


@pytest.fixture
def crm_off(monkeypatch):
    clear_amocrm_env(monkeypatch)
    yield
    reset_crm_settings()


def test_handover_tells_the_client_and_queues_the_summary(crm_on):
    slots = {"calc_result": {"inputs": {"kind": "finished_office", "area_m2": 100}, "rent_irr": 9.5},
             "phone": "+79161234567"}
    messages, events = run(ActionHandover(), tracker(slots))
    assert [m["response"] for m in messages] == ["utter_handover"]
    (cmd,) = commands(events)
    assert cmd["type"] == "handover"
    assert "готовый офис, 100 м²" in cmd["summary"] and "+79161234567" in cmd["summary"]
    assert "канал telegram, id u1" in cmd["summary"]
    assert events[-1] == {"event": "slot", "name": "crm_event", "value": None}  # not carried over


def test_handover_after_a_vat_calculation_says_why(crm_on):
    t = tracker(intent="inform")
    t.events.append({"event": "bot", "text": "С НДС 20 % …",
                     "metadata": {"utter_action": "utter_calc_vat_manager"}})
    (cmd,) = commands(run(ActionHandover(), t)[1])
    assert "НДС 20 %" in cmd["summary"]


def test_handover_with_the_crm_off_keeps_the_lead_and_says_so(crm_off):
    # the lead book's own tests: tests/unit/test_leads_actions.py
    messages, events = run(ActionHandover(), tracker({"phone": "+79161234567"}))
    assert [m["response"] for m in messages] == ["utter_lead_saved"]
    assert events == []  # nothing for an outbox nobody drains


def test_relay_shows_the_manager_text_with_the_close_button():
    t = tracker({"manager_message": {"text": "Добрый день! Я Анна.", "manager": "Анна"}})
    messages, events = run(ActionRelayManagerMessage(), t)
    (m,) = messages
    assert m["text"] == "Менеджер WEWALL:\nДобрый день! Я Анна."
    assert m["buttons"] == [{"title": "Закрыть чат с менеджером", "payload": "/close_manager_chat"}]
    assert m["wewall_source"] == "manager"  # the outbox does not mirror it back
    assert {"event": "slot", "name": "manager_active", "value": True, "timestamp": None} in events
    assert [c["type"] for c in commands(events)] == ["manager_on"]
    # a second message of the same manager chat: no second "manager_on"
    t = tracker({"manager_active": True, "manager_message": {"text": "Ещё"}})
    assert commands(run(ActionRelayManagerMessage(), t)[1]) == []


def test_relay_without_text_does_nothing():
    messages, events = run(ActionRelayManagerMessage(), tracker({"manager_message": None}))
    assert messages == [] and [e["name"] for e in events] == ["manager_message"]


def test_close_gives_the_conversation_back():
    messages, events = run(ActionCloseManagerChat(), tracker({"manager_active": True}))
    assert [m["response"] for m in messages] == ["utter_manager_chat_closed", "utter_main_menu"]
    assert {"event": "slot", "name": "manager_active", "value": False, "timestamp": None} in events
    assert commands(events) == [{"type": "manager_off", "id": commands(events)[0]["id"],
                                 "reason": "client"}]
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)


def test_close_without_a_manager_says_so():
    messages, events = run(ActionCloseManagerChat(), tracker({"manager_active": False}))
    assert [m["response"] for m in messages] == ["utter_manager_chat_not_open"] and events == []


def test_closed_in_amocrm():
    messages, events = run(ActionManagerChatClosed(), tracker({"manager_active": True}))
    assert [m["response"] for m in messages] == ["utter_manager_chat_closed_by_manager",
                                                 "utter_main_menu"]
    assert commands(events)[0]["reason"] == "amocrm"
    assert run(ActionManagerChatClosed(), tracker({"manager_active": False})) == ([], [])
