"""The hand-over keeps a lead before it answers, and tells the client the truth."""

from __future__ import annotations

import asyncio
import os

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.manager import ActionHandover
from tests.amocrm_server import amocrm_env, amocrm_server  # noqa: F401 (fixtures)
from wewall.crm.config import reset_crm_settings
from wewall.crm.outbox import EventConverter
from wewall.leads.book import AMOCRM, EMAIL, PENDING, TELEGRAM, get_book, reset_books
from wewall.leads.config import reset_lead_settings

VIEWING = {"person_name": "Анна", "phone": "+79161234567", "viewing_time": "в четверг после 15:00",
           "book_viewing_confirmed": True,
           "chosen_offer": {"name": "БЦ «Аврора»", "link": "https://wewall.ru/o/17", "area_m2": 120}}


def tracker(slots=None, intent="request_manager", channel="telegram", metadata=None, events=None):
    user = {"event": "user", "text": "x", "input_channel": channel,
            "parse_data": {"intent": {"name": intent}}, "metadata": metadata or {}}
    return Tracker("u1", slots or {}, {"intent": {"name": intent}}, (events or []) + [user],
                   False, None, {}, "")


def run(t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionHandover().run(dispatcher, t, {}))
    return [m.get("response") for m in dispatcher.messages], events


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    for key in [k for k in os.environ if k.startswith(("AMOCRM_", "WEWALL_LEADS_", "TELEGRAM_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("WEWALL_LEADS_URL", f"sqlite:///{tmp_path / 'leads.db'}")
    reset_crm_settings(), reset_lead_settings(), reset_books()
    yield
    reset_crm_settings(), reset_lead_settings(), reset_books()


def only_lead():
    (lead,) = get_book().list()
    return lead


def test_a_viewing_with_no_destination_is_kept_and_the_client_told_so():
    responses, events = run(tracker(VIEWING, intent="affirm"))
    assert responses == ["utter_lead_saved"] and events == []
    lead = only_lead()
    assert (lead["kind"], lead["name"], lead["phone"], lead["viewing_time"]) == (
        "viewing", "Анна", "+79161234567", "в четверг после 15:00")
    assert "https://wewall.ru/o/17" in lead["summary"]  # the offer's link, for managers
    assert lead["deliveries"] == []  # nowhere to send: `wewall leads list` shows it


def test_contacts_come_from_telegram_and_the_start_payload():
    meta = {"telegram": {"username": "anna_k", "user_id": 4242, "first_name": "Анна",
                         "last_name": "К."}}
    first = {"event": "user", "text": "/start", "metadata": {**meta, "lead_source": "promo42"}}
    responses, _ = run(tracker({"phone": "8 (916) 123-45-67"}, metadata=meta, events=[first]))
    lead = only_lead()
    assert (lead["telegram_username"], lead["telegram_user_id"], lead["name"]) == (
        "anna_k", 4242, "Анна К.")
    assert lead["lead_source"] == "promo42" and lead["channel"] == "telegram"
    assert lead["phone"] == "+79161234567"  # normalised
    assert lead["kind"] == "request" and responses == ["utter_lead_saved"]


def test_no_way_to_reach_the_client_asks_for_a_phone():
    responses, _ = run(tracker(channel="rest"))
    assert responses == ["utter_lead_saved_ask_phone"]
    assert only_lead()["phone"] is None


def test_a_vat_calculation_is_its_own_kind():
    t = tracker({"phone": "+79161234567"}, intent="inform")
    t.events.append({"event": "bot", "text": "С НДС 20 % …",
                     "metadata": {"utter_action": "utter_calc_vat_manager"}})
    run(t)
    assert only_lead()["kind"] == "vat"


def test_configured_destinations_get_pending_deliveries(monkeypatch):
    monkeypatch.setenv("TELEGRAM_TOKEN", "1:x")
    monkeypatch.setenv("WEWALL_LEADS_TELEGRAM_CHAT_ID", "-100500")
    monkeypatch.setenv("WEWALL_LEADS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("WEWALL_LEADS_EMAIL_TO", "sales@wewall.ru")
    reset_lead_settings()
    responses, _ = run(tracker(VIEWING))
    assert responses == ["utter_lead_saved"]
    assert [(d["destination"], d["status"]) for d in only_lead()["deliveries"]] == [
        (TELEGRAM, PENDING), (EMAIL, PENDING)]


def test_with_amocrm_the_handover_carries_our_request_id(amocrm_env):
    reset_crm_settings()
    responses, events = run(tracker(VIEWING))
    assert responses == ["utter_handover"]
    lead = only_lead()
    (row,) = [r for r in (EventConverter().convert({"sender_id": "u1", **e}) for e in events) if r]
    assert row["data"]["lead_ref"] == lead["ref"]
    assert [(d["destination"], d["status"]) for d in lead["deliveries"]] == [(AMOCRM, PENDING)]


def test_a_lead_book_that_is_down_is_not_hidden(monkeypatch):
    monkeypatch.setenv("WEWALL_LEADS_URL", "postgresql://nobody@127.0.0.1:1/leads")
    reset_books()
    responses, events = run(tracker(VIEWING))
    assert responses == ["utter_lead_not_saved"] and events == []


def test_a_lead_book_that_is_down_does_not_stop_amocrm(monkeypatch, amocrm_env):
    monkeypatch.setenv("WEWALL_LEADS_URL", "postgresql://nobody@127.0.0.1:1/leads")
    reset_crm_settings(), reset_books()
    responses, events = run(tracker(VIEWING))
    assert responses == ["utter_handover"]
    (row,) = [r for r in (EventConverter().convert({"sender_id": "u1", **e}) for e in events) if r]
    assert row["data"]["type"] == "handover" and "lead_ref" not in row["data"]


def test_asking_again_is_one_lead_and_the_same_answer():
    first = run(tracker({"phone": "+79161234567"}))
    second = run(tracker({"phone": "+79161234567"}))
    assert first == second == (["utter_lead_saved"], [])
    assert len(get_book().list()) == 1


def test_a_phone_in_the_request_for_a_manager_is_the_leads_phone_not_asked_again():
    """«мой телефон 89031234567, перезвоните»: the bot used to answer «напишите ваш номер телефона»."""
    t = tracker(intent="request_manager")
    t.latest_message["entities"] = [{"entity": "phone", "value": "+79031234567"},
                                    {"entity": "person_name", "value": "Анна"}]
    responses, events = run(t)
    assert responses == ["utter_lead_saved"]
    lead = only_lead()
    assert (lead["phone"], lead["name"]) == ("+79031234567", "Анна")
    assert {(e["name"], e["value"]) for e in events if e["event"] == "slot"} == {
        ("phone", "+79031234567"), ("person_name", "Анна")}


def test_a_phone_in_the_request_replaces_an_earlier_one():
    t = tracker({"phone": "+79161234567"}, intent="request_manager")
    t.latest_message["entities"] = [{"entity": "phone", "value": "+79031234567"}]
    responses, events = run(t)
    assert only_lead()["phone"] == "+79031234567"
    assert [(e["name"], e["value"]) for e in events if e["event"] == "slot"] == [("phone", "+79031234567")]
