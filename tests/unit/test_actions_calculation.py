"""The calculation actions with rasa-sdk's CollectingDispatcher, as the action server runs them."""

import asyncio
import datetime as dt

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import calculation as actions
from wewall import storage
from wewall.data import commands
from wewall.dialogue import stations


@pytest.fixture(autouse=True)
def demo_store(monkeypatch):
    with storage.writing() as db:
        commands.load_demo(db, lambda m: None, estates=5)
    stations.reset()
    monkeypatch.setattr(actions, "today", lambda: dt.date(2026, 1, 15))
    yield
    stations.reset()


def tracker(slots=None, text="", intent="inform", entities=(), latest_action="action_extract_slots", requested=None):
    """Events as Rasa 3.6 sends them: the client's message, then action_extract_slots (not
    action_listen) before the form validates; another latest action means a return to the form."""
    slots = dict(slots or {})
    slots["requested_slot"] = requested
    events = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": text}, {"event": "action", "name": "action_extract_slots"}]
    if latest_action != "action_extract_slots":
        events.append({"event": "action", "name": latest_action})
    return Tracker(
        "u1", slots, {"text": text, "intent": {"name": intent}, "entities": list(entities)}, events, False, None,
        {"name": "calculation_form"}, latest_action,
    )


def run(action, t, domain=None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, domain or {"actions": []}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}, events


def test_first_message_values_are_read_and_next_question_chosen():
    t = tracker(text="хочу посчитать офис 700 м²", intent="request_calculation",
                entities=[{"entity": "area_m2", "value": 700}, {"entity": "estate_type", "value": "office"}])
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert slots["area_m2"] == 700.0 and slots["requested_slot"] == "calc_kind"


def test_answer_sets_slot_and_progress():
    t = tracker({"calc_kind": "finished_office"}, "семьсот", entities=[{"entity": "number", "value": 700}], requested="area_m2")
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert slots["area_m2"] == 700.0
    assert slots["requested_slot"] == "price_per_m2"
    assert slots["calc_remaining"] == "(осталось 6 вопросов)"
    assert messages == []


def test_unrecognised_answer_keeps_the_form_with_a_hint():
    t = tracker({"calc_kind": "finished_office"}, "ээ", intent="nlu_fallback", requested="area_m2")
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert slots["area_m2"] is None and slots["requested_slot"] == "area_m2"
    assert "Не понял площадь" in messages[0]["text"]


def test_return_after_a_step_back_reads_nothing_new():
    t = tracker({"calc_kind": "finished_office"}, "назад", intent="go_back", entities=[{"entity": "number", "value": 5}],
                latest_action="action_calc_go_back", requested="price_per_m2")
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert messages == [] and "area_m2" not in slots and slots["requested_slot"] == "area_m2"


def test_a_question_is_answered_and_the_same_question_asked_again():
    t = tracker({"calc_kind": "finished_office"}, "что такое irr", intent="faq", requested="area_m2")
    t.latest_message["response_selector"] = {"faq": {"response": {"utter_action": "utter_faq/irr"}}}
    messages, slots, events = run(actions.ValidateCalculationForm(), t)
    assert messages[0]["response"] == "utter_faq/irr"
    assert slots["requested_slot"] == "area_m2" and slots["area_m2"] is None
    assert not any(e["event"] in ("active_loop", "followup") for e in events)


def test_station_checked_against_the_store():
    t = tracker({"calc_kind": "finished_office"}, "белоруская", requested="metro_station")
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert slots["metro_station"] == "Белорусская"


def test_go_back_clears_the_previous_answer():
    t = tracker({"calc_kind": "finished_office", "area_m2": 700.0}, "назад", intent="go_back", requested="price_per_m2")
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert slots["area_m2"] is None and slots["requested_slot"] == "area_m2"
    assert "предыдущему" in messages[0]["text"]


@pytest.mark.parametrize("text, intent", [("отмена", "cancel"), ("/cancel", "cancel"), ("отмена", "inform"),
                                          ("стоп хватит", "out_of_scope")])
def test_cancel_closes_the_form_and_empties_it(text, intent):
    t = tracker({"calc_kind": "finished_office", "area_m2": 700.0}, text, intent=intent, requested="price_per_m2")
    messages, slots, events = run(actions.ValidateCalculationForm(), t)
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)
    assert slots["next_actions"] == {"after": "calculation_form", "then": []}
    assert slots["area_m2"] is None and slots["calc_kind"] is None
    assert "расчёт отменён" in messages[0]["text"]


FULL = {
    "calc_kind": "finished_office", "area_m2": 700.0, "price_per_m2": 500000.0, "estate_class": "A",
    "metro_station": "Белорусская", "distance_to_metro_m": 400, "repairs": "full", "nds_rate": 5, "calc_confirmed": True,
}


def test_calculate_sends_result_chart_and_spreadsheet_and_records_it():
    messages, slots, _ = run(actions.ActionCalculate(), tracker(FULL))
    assert "IRR при сдаче в аренду" in messages[0]["text"]
    chart_url = messages[1]["image"]
    assert chart_url.startswith("http://localhost:5005/webhooks/files/calc-") and chart_url.endswith(".png")
    from wewall.settings import get_settings

    name = chart_url.rsplit("/", 1)[1]
    assert (get_settings().files_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ".xlsx" in messages[2]["text"]
    record = slots["calc_result"]
    assert record["inputs"]["metro_station"] == "Белорусская" and isinstance(record["rent_irr"], float)
    assert slots["calc_kind"] is None and slots["calculations_count"] == 1


def test_vat_20_hands_over_instead_of_computing():
    slots = {**FULL, "nds_rate": 20, "calc_confirmed": None}
    messages, out, events = run(actions.ActionCalculate(), tracker(slots), {"actions": ["action_handover"]})
    assert messages[0]["response"] == "utter_calc_vat_manager"
    assert any(e["event"] == "followup" and e["name"] == "action_handover" for e in events)
    assert "calc_result" not in out


def test_summary_is_asked_with_buttons():
    messages, _, _ = run(actions.ActionAskCalcConfirmed(), tracker(FULL))
    assert messages[0]["text"].startswith("Проверьте, пожалуйста: готовый офис")
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/go_back", "/cancel"]


def test_telegram_gets_the_spreadsheet_as_a_file():
    t = tracker(FULL)
    t.events.append({"event": "user", "text": "да", "input_channel": "telegram"})
    messages, _, _ = run(actions.ActionCalculate(), t)
    assert messages[2]["custom"]["document"].endswith(".xlsx")
    assert "http" not in messages[3]["text"]
