"""The calculation actions with rasa-sdk's CollectingDispatcher, as the action server runs them."""

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import calculation as actions
from wewall import storage
from wewall.data import commands
from wewall.dialogue import calculation as calc
from wewall.dialogue import stations

ROOT = Path(__file__).resolve().parents[2]


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
    assert slots["calc_area_m2"] == 700.0 and slots["requested_slot"] == "calc_kind"


def test_answer_sets_slot_and_progress():
    t = tracker({"calc_kind": "finished_office"}, "семьсот", entities=[{"entity": "number", "value": 700}], requested="calc_area_m2")
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert slots["calc_area_m2"] == 700.0
    assert slots["requested_slot"] == "calc_price_per_m2"
    assert slots["calc_remaining"] == "(осталось 6 вопросов)"
    assert messages == []


def test_unrecognised_answer_keeps_the_form_with_a_hint():
    t = tracker({"calc_kind": "finished_office"}, "ээ", intent="nlu_fallback", requested="calc_area_m2")
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert slots["calc_area_m2"] is None and slots["requested_slot"] == "calc_area_m2"
    assert "Не понял площадь" in messages[0]["text"]


def test_return_after_a_step_back_reads_nothing_new():
    t = tracker({"calc_kind": "finished_office"}, "назад", intent="go_back", entities=[{"entity": "number", "value": 5}],
                latest_action="action_calc_go_back", requested="calc_price_per_m2")
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert messages == [] and "calc_area_m2" not in slots and slots["requested_slot"] == "calc_area_m2"


def test_a_question_is_answered_and_the_same_question_asked_again():
    t = tracker({"calc_kind": "finished_office"}, "что такое irr", intent="faq", requested="calc_area_m2")
    t.latest_message["response_selector"] = {"faq": {"response": {"utter_action": "utter_faq/irr"}}}
    messages, slots, events = run(actions.ValidateCalculationForm(), t)
    assert messages[0]["response"] == "utter_faq/irr"
    assert slots["requested_slot"] == "calc_area_m2" and slots["calc_area_m2"] is None
    assert not any(e["event"] in ("active_loop", "followup") for e in events)


def test_station_checked_against_the_store():
    t = tracker({"calc_kind": "finished_office"}, "белоруская", requested="calc_metro_station")
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert slots["calc_metro_station"] == "Белорусская"


def test_go_back_clears_the_previous_answer():
    t = tracker({"calc_kind": "finished_office", "calc_area_m2": 700.0}, "назад", intent="go_back", requested="calc_price_per_m2")
    messages, slots, _ = run(actions.ValidateCalculationForm(), t)
    assert slots["calc_area_m2"] is None and slots["requested_slot"] == "calc_area_m2"
    assert "предыдущему" in messages[0]["text"]


@pytest.mark.parametrize("text, intent", [("отмена", "cancel"), ("/cancel", "cancel"), ("отмена", "inform"),
                                          ("стоп хватит", "out_of_scope")])
def test_cancel_closes_the_form_and_empties_it(text, intent):
    t = tracker({"calc_kind": "finished_office", "calc_area_m2": 700.0}, text, intent=intent, requested="calc_price_per_m2")
    messages, slots, events = run(actions.ValidateCalculationForm(), t)
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)
    assert slots["next_actions"] == {"after": "calculation_form", "then": []}
    assert slots["calc_area_m2"] is None and slots["calc_kind"] is None
    assert "расчёт отменён" in messages[0]["text"]


FULL = {
    "calc_kind": "finished_office", "calc_area_m2": 700.0, "calc_price_per_m2": 500000.0, "calc_estate_class": "A",
    "calc_metro_station": "Белорусская", "calc_distance_to_metro_m": 400, "calc_repairs": "full", "calc_nds_rate": 5, "calc_confirmed": True,
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


def test_vat_20_keeps_the_answers_and_asks_once_manager_or_without_vat():
    from tests.unit.calc_phrases import read

    slots = {**FULL, "calc_nds_rate": 20, "calc_confirmed": None}
    messages, out, events = run(actions.ActionCalculate(), tracker(slots), {"actions": ["action_handover"]})
    # nothing said yet, nothing handed over, no answer lost: the form reopens on the VAT question
    assert messages == []
    assert not any(e["event"] == "followup" and e["name"] == "action_handover" for e in events)
    assert any(e["event"] == "followup" and e["name"] == "calculation_form" for e in events)
    assert out["calc_nds_rate"] is None and "calc_area_m2" not in out and "calc_kind" not in out
    assert out["calc_result"]["inputs"]["area_m2"] == 700.0 and out["calc_result"]["inputs"]["nds_rate"] == 20
    kept = {**slots, **out}
    assert calc.next_slot(kept) == "calc_nds_rate"
    # the VAT question comes back once as the hand-over choice, with its two buttons
    asked, _, _ = run(actions.ActionAskNdsRate(), tracker(kept))
    assert [m["response"] for m in asked] == ["utter_calc_vat_manager"]
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(ROOT / "domain")).as_dict()
    buttons = domain["responses"]["utter_calc_vat_manager"][0]["buttons"]
    assert [b["title"] for b in buttons] == ["Передать менеджеру", "Посчитать без НДС для ориентира"]
    # «Посчитать без НДС для ориентира» answers the VAT question with 0 and the form goes on
    answer = read(buttons[1]["payload"], kept, "calc_nds_rate")
    assert answer.slots["calc_nds_rate"] == 0 and answer.slots[calc.DOUBT] is None
    assert calc.next_slot({**kept, **answer.slots}) == "calc_confirmed"
    # without a VAT-20 answer the VAT question is the usual one
    plain, _, _ = run(actions.ActionAskNdsRate(), tracker(FULL))
    assert [m["response"] for m in plain] == ["utter_ask_calc_nds_rate"]


def test_vat_20_record_is_what_the_manager_sees():
    from wewall.crm.summary import calculation_lines

    record = calc.vat_manager_record(calc.to_inputs({**FULL, "calc_nds_rate": 20}, dt.date(2026, 1, 15)))
    line = " ".join(calculation_lines({"calc_result": record}))
    assert "700 м²" in line and "Белорусская" in line and "НДС 20 %" in line and "менеджер" in line


def test_summary_is_asked_with_buttons():
    messages, _, _ = run(actions.ActionAskCalcConfirmed(), tracker(FULL))
    assert messages[0]["text"].startswith("Проверьте, пожалуйста: готовый офис")
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/go_back", "/cancel"]


def test_telegram_gets_the_spreadsheet_as_a_file():
    t = tracker(FULL)
    t.events.append({"event": "user", "text": "да", "input_channel": "telegram"})
    messages, _, _ = run(actions.ActionCalculate(), t)
    assert messages[2]["custom"]["document"].endswith(".xlsx")
    assert messages[3]["custom"]["document"].endswith(".pdf")
    assert "http" not in messages[4]["text"] and "PDF" in messages[4]["text"]


def test_web_chat_gets_a_pdf_link_and_the_result_names_its_assumptions():
    from wewall.settings import get_settings

    messages, slots, _ = run(actions.ActionCalculate(), tracker(FULL))
    assert "На чём основан расчёт:" in messages[0]["text"] and "«Белорусская»" in messages[0]["text"]
    link = messages[2]["text"].split("(PDF): ")[1].split()[0]
    assert link.endswith(".pdf") and slots["calc_result"]["pdf_url"] == link
    assert (get_settings().files_dir / link.rsplit("/", 1)[1]).read_bytes()[:5] == b"%PDF-"


def _offer_tracker(offer_id, text="/request_calculation", entities=({"entity": "calc_kind", "value": "from_offer"},)):
    t = tracker({"search_ids": [offer_id], "search_index": 0, "search_stage": "offers"}, text,
                intent="request_calculation", entities=entities)
    t.active_loop = {}
    return t


def test_calculation_from_the_shown_offer_prefills_and_asks_the_rest():
    with storage.writing() as db:
        offer = next((d for d in db[storage.ESTATES].find({"deal": "sale"}) if d.get("calc_price_per_m2")), None)
    if offer is None:
        pytest.skip("no demo sale offer in the store")
    messages, out, events = run(actions.ActionCalcFromOffer(), _offer_tracker(offer["_id"]))
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "calculation_form"
    assert out["calc_area_m2"] == float(offer["area_m2"]) and out["calc_price_per_m2"] == float(offer["price_per_m2"])
    assert out["calc_metro_station"] == offer["metro"][0]["station"]
    assert "Спрошу только недостающее" in messages[0]["text"]
    assert calc.next_slot(out) in ("calc_nds_rate", "calc_monthly_rent_rub", "calc_estate_class", "calc_tranches", "calc_readiness_quarter")
    # «а какая у него доходность?» does the same; «Новый расчёт» starts an empty form
    _, same, _ = run(actions.ActionCalcFromOffer(), _offer_tracker(offer["_id"], "а какая у него доходность?", ()))
    assert same["calc_area_m2"] == out["calc_area_m2"]
    said, fresh, events = run(actions.ActionCalcFromOffer(), _offer_tracker(offer["_id"], "/request_calculation", ()))
    assert said == [] and fresh["calc_kind"] is None and events[-1]["name"] == "calculation_form"


def test_payment_question_names_quarters_still_ahead():
    messages, _, _ = run(actions.ActionAskTranches(), tracker({"calc_remaining": "(последний вопрос)"}))
    text = messages[0]["text"]
    # today is 15.01.2026 (1Q2026): the example starts with the next quarter, never a past one
    assert "60 % 2 кв 2026, 20 % 4 кв 2026, 20 % 2 кв 2027" in text and "1 кв 2026" not in text
    assert text.endswith("(последний вопрос)") and len(messages[0]["buttons"]) == 2


@pytest.mark.parametrize("action,slot", [(actions.ActionAskPricePerM2(), "calc_price_per_m2"),
                                         (actions.ActionAskMonthlyRentRub(), "calc_monthly_rent_rub"),
                                         (actions.ActionAskSalePricePerM2Ready(), "calc_sale_price_per_m2_ready")])
def test_a_sum_question_is_silent_while_its_basis_question_waits(action, slot):
    assert action.name() == f"action_ask_{slot}"
    waiting = {"calc_kind": "building_retail", "calc_doubt": {"slot": slot, "raw": 5e6, "period": None, "ask": "basis"}}
    assert run(action, tracker(waiting))[0] == []
    other = {"calc_kind": "building_retail", "calc_doubt": {"slot": "calc_area_m2", "value": 3.0}}
    assert [m["response"] for m in run(action, tracker(other))[0]] == [f"utter_ask_{slot}"]


def test_a_form_reopened_by_its_submit_action_does_not_read_the_message_again():
    from actions.forms import ran_this_turn

    user = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": "20 % (осно)"}]
    reopened = user + [{"event": "action", "name": "calculation_form"}, {"event": "action", "name": "action_calculate"},
                       {"event": "action", "name": "calculation_form"}]
    opened = user + [{"event": "action", "name": "action_search_reset"}, {"event": "action", "name": "calculation_form"}]
    t = lambda events: Tracker("u1", {}, {}, events, False, None, {}, "action_listen")  # noqa: E731
    assert ran_this_turn(t(reopened), "calculation_form")
    assert not ran_this_turn(t(opened), "calculation_form") and not ran_this_turn(t(user), "calculation_form")
