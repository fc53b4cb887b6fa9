"""The search and viewing actions with rasa-sdk's CollectingDispatcher, on 300 demo offers."""

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import search_form as actions
from wewall import storage
from wewall.data import commands
from wewall.dialogue import search as sd
from wewall.search import reset_engines


@pytest.fixture(autouse=True)
def demo_store():  # per test: tests/conftest.py gives each test its own data dir
    with storage.writing() as db:
        commands.load_demo(db, lambda m: None, estates=300)
    reset_engines()
    yield
    reset_engines()


def tracker(slots=None, text="", intent="inform", entities=(), latest_action="action_listen", requested=None,
            loop="search_form"):
    slots = dict(slots or {})
    slots["requested_slot"] = requested
    events = [{"event": "action", "name": latest_action}]
    if latest_action == "action_listen":
        events.append({"event": "user", "text": text})
    return Tracker("u1", slots, {"text": text, "intent": {"name": intent}, "entities": list(entities)}, events,
                   False, None, {"name": loop} if loop else {}, latest_action)


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {"actions": []}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}, events


RENT_DONE = {sd.TYPE: "office", sd.DEAL: "rent", sd.BUDGET: 3_000_000.0, sd.AREA: sd.ANY, sd.METRO: sd.ANY,
             sd.ZONE: sd.ANY, sd.CLASS: sd.ANY, sd.FINISH: sd.ANY, sd.WISHES: "", sd.CONFIRMED: True}


def test_the_request_itself_fills_several_slots():
    t = tracker(RENT_DONE, text="офис в аренду до 500 тысяч 100 метров", intent="request_search", loop=None,
                entities=[{"entity": "estate_type", "value": "office"}, {"entity": "deal", "value": "rent"},
                          {"entity": "money_rub", "value": 500000}, {"entity": "area_m2", "value": 100}])
    _, slots, events = run(actions.ActionSearchReset(), t)
    assert slots[sd.DEAL] is None and slots["search_ids"] is None  # the previous search is forgotten
    t.slots.update(slots)
    messages, slots, _ = run(actions.ValidateSearchForm(), t)
    assert slots[sd.TYPE] == "office" and slots[sd.DEAL] == "rent" and slots[sd.BUDGET] == 500000
    assert slots[sd.AREA] == 100 and slots["requested_slot"] == sd.METRO
    assert messages[0]["text"].startswith("Записал:") and "аренда" in messages[0]["text"]


def test_validate_answer_and_next_question():
    t = tracker({sd.TYPE: "office"}, "аренда", entities=[{"entity": "deal", "value": "rent"}], requested=sd.DEAL)
    messages, slots, _ = run(actions.ValidateSearchForm(), t)
    assert slots[sd.DEAL] == "rent" and slots["requested_slot"] == sd.BUDGET and messages == []
    t = tracker({sd.TYPE: "office", sd.DEAL: "rent"}, latest_action="action_search_go_back")
    assert run(actions.ValidateSearchForm(), t)[1] == {"requested_slot": sd.BUDGET}


def test_budget_question_depends_on_the_deal():
    rent = run(actions.ActionAskSearchBudget(), tracker({sd.DEAL: "rent"}))[0][0]["text"]
    buy = run(actions.ActionAskSearchBudget(), tracker({sd.DEAL: "sale"}))[0][0]["text"]
    assert "в месяц" in rent and "покупки" in buy


def test_search_shows_the_first_card_and_records_it():
    messages, slots, _ = run(actions.ActionSearchRun(), tracker(RENT_DONE, intent="affirm", loop=None))
    assert messages[0]["text"].startswith("Нашёл")
    card = messages[-1]
    assert card["text"].startswith("1 из ") and "Аренда:" in card["text"] and "http" not in card["text"]
    assert [b["title"] for b in card["buttons"]] == ["Записаться на просмотр", "Следующее предложение", "Изменить параметры", "Посчитать доходность"]
    assert 1 <= len(slots["search_ids"]) <= 8 and slots["search_index"] == 0 and slots["search_stage"] == "offers"
    assert slots["searches_count"] == 1 and slots["search_record"]["found"] >= len(slots["search_ids"])
    assert slots["search_record"]["deal"] == "rent"


def test_next_offer_to_the_end_of_the_list():
    _, slots, _ = run(actions.ActionSearchRun(), tracker(RENT_DONE, loop=None))
    ids = slots["search_ids"]
    state = {**RENT_DONE, "search_ids": ids, "search_index": 0}
    for i in range(1, len(ids)):
        messages, changed, _ = run(actions.ActionSearchNext(), tracker(state, intent="next_offer", loop=None))
        assert messages[-1]["text"].startswith(f"{i + 1} из {len(ids)}")
        state["search_index"] = changed["search_index"]
    messages, changed, _ = run(actions.ActionSearchNext(), tracker(state, intent="next_offer", loop=None))
    assert messages[0]["text"].startswith("Это было последнее подходящее предложение")
    assert changed == {}


def test_investor_sees_irr():
    with storage.writing() as db:
        db[storage.ESTATES].update_many({"deal": "sale"}, {"$set": {"irr_percent": 11.5}})
    reset_engines()
    slots = {sd.TYPE: "office", sd.DEAL: "sale", sd.BUDGET: sd.ANY, sd.PURPOSE: "investment", sd.MIN_IRR: 5.0,
             sd.AREA: sd.ANY, sd.METRO: sd.ANY, sd.ZONE: sd.ANY, sd.CLASS: sd.ANY, sd.FINISH: sd.ANY,
             sd.READINESS: sd.ANY, sd.WISHES: "", sd.CONFIRMED: True}
    messages, changed, _ = run(actions.ActionSearchRun(), tracker(slots, loop=None))
    assert changed["search_stage"] == "offers", messages
    assert "IRR" in messages[-1]["text"]


def test_no_results_give_advice_and_the_relaxation_applies():
    tight = {**RENT_DONE, sd.BUDGET: 150_000.0, sd.ZONE: "ttk"}
    messages, slots, _ = run(actions.ActionSearchRun(), tracker(tight, loop=None))
    text = messages[0]["text"]
    assert text.startswith("К сожалению") and "Если" in text and "найдётся" in text
    assert slots["search_stage"] == "empty" and slots["search_relaxation"]
    assert messages[0]["buttons"][0]["payload"] == "/affirm"
    state = {**tight, "search_relaxation": slots["search_relaxation"], "search_stage": "empty"}
    messages, slots, _ = run(actions.ActionSearchRelax(), tracker(state, intent="affirm", loop=None))
    assert slots["search_stage"] == "offers" and slots["searches_count"] == 1
    assert messages[-1]["text"].startswith("1 из ")


def test_change_parameters_menu_then_one_parameter():
    messages, slots, _ = run(actions.ActionSearchChange(), tracker(RENT_DONE, "изменить параметры", "change_params", loop=None))
    assert slots == {} and "Бюджет" in [b["title"] for b in messages[0]["buttons"]]
    assert "IRR" not in [b["title"] for b in messages[0]["buttons"]]
    t = tracker(RENT_DONE, '/change_params{"search_param":"search_budget"}', "change_params",
                [{"entity": "search_param", "value": "search_budget"}], loop=None)
    messages, slots, _ = run(actions.ActionSearchChange(), t)
    assert slots == {sd.BUDGET: None, sd.CONFIRMED: True, "search_stage": None, "requested_slot": sd.BUDGET}


def test_viewing_chooses_the_offer_and_the_book_viewing_form_ends_with_consent():
    _, slots, _ = run(actions.ActionSearchRun(), tracker(RENT_DONE, loop=None))
    state = {**RENT_DONE, "search_ids": slots["search_ids"], "search_index": 0}
    messages, slots, _ = run(actions.ActionViewingStart(), tracker(state, intent="book_viewing", loop=None))
    chosen = slots["chosen_offer"]
    assert chosen["_id"] == state["search_ids"][0] and "link" in chosen
    assert chosen["link"] not in messages[0]["text"]
    form = {"chosen_offer": chosen}
    t = tracker(form, "Иван, 8 (916) 123-45-67", entities=[{"entity": "person_name", "value": "Иван"},
                {"entity": "phone", "value": "+79161234567"}], requested="person_name", loop="book_viewing_form")
    _, slots, _ = run(actions.ValidateBookViewingForm(), t)
    assert slots["person_name"] == "Иван" and slots["phone"] == "+79161234567" and slots["requested_slot"] == "viewing_time"
    form.update(person_name="Иван", phone="+79161234567", viewing_time="завтра в 15")
    messages, _, _ = run(actions.ActionAskBookViewingConfirmed(), tracker(form, loop="book_viewing_form"))
    assert "Отправляя данные, вы соглашаетесь на их обработку; я передам их менеджеру." in messages[0]["text"]
    assert "http" not in messages[0]["text"]


@pytest.mark.parametrize("text, intent", [("/cancel", "cancel"), ("Отменить", "cancel"), ("отмена", "inform"),
                                          ("отмена", "deny")])
def test_cancel_resets_the_search(text, intent):
    state = {**RENT_DONE, sd.CONFIRMED: None}
    messages, slots, events = run(actions.ValidateSearchForm(), tracker(state, text, intent=intent, requested=sd.CONFIRMED))
    assert "подбор отменён" in messages[0]["text"]
    assert slots[sd.DEAL] is None and any(e["event"] == "active_loop" and e["name"] is None for e in events)


def test_another_station_while_offers_are_shown_searches_again_there():
    done = {**RENT_DONE, sd.STATION: ["Белорусская"], "search_stage": "offers"}
    t = tracker(done, "а у Курской?", entities=[{"entity": "metro_station", "value": "Курская"}], loop=None)
    messages, slots, _ = run(actions.ActionSearchRefine(), t)
    assert slots[sd.STATION] == ["Курская"] and sd.BUDGET not in slots  # only the place changed
    assert slots["search_record"]["stations"] == "Курская"
    assert messages[0]["text"].startswith(("Нашёл", "К сожалению"))
    nothing = run(actions.ActionSearchRefine(), tracker(done, "ну такое", loop=None))[0]
    assert nothing[0]["text"] == "Что изменить в поиске?" and nothing[0]["buttons"]


def test_next_page_instead_of_the_last_offer_while_more_match():
    messages, slots, _ = run(actions.ActionSearchRun(), tracker({**RENT_DONE, sd.BUDGET: sd.ANY}, intent="affirm", loop=None))
    assert slots["search_record"]["found"] > 16
    state = {**RENT_DONE, sd.BUDGET: sd.ANY, **slots, "search_index": len(slots["search_ids"]) - 1}
    more, page, _ = run(actions.ActionSearchNext(), tracker(state, intent="next_offer", loop=None))
    assert more[0]["text"].startswith("Показываю ещё 8 вариантов")
    assert page["search_index"] == 0 and not set(page["search_ids"]) & set(slots["search_ids"])


def test_an_offer_request_with_no_offers_keeps_its_facts_for_the_search():
    t = tracker({}, "привет, хочу офис посмотреть", intent="book_viewing",
                entities=[{"entity": "estate_type", "value": "office"}], loop=None)
    messages, slots, _ = run(actions.ActionNoOffers(), t)
    assert messages[0]["response"] == "utter_no_offers_shown"
    assert slots["pending_facts"]["entities"] == [{"entity": "estate_type", "value": "office"}]
    assert run(actions.ActionNoOffers(), tracker({}, "/next_offer", intent="next_offer", loop=None))[1] == {}


@pytest.mark.parametrize("text, param", [("Бюджет", sd.BUDGET), ("бюджет", sd.BUDGET), ("площадь", sd.AREA),
                                         ("класс", sd.CLASS)])
def test_a_typed_parameter_title_is_its_tap(text, param):
    """«Какой параметр изменить?» — «бюджет» typed: that parameter is asked again, not «Что изменить в поиске?»."""
    shown = {**RENT_DONE, "search_stage": "offers"}
    messages, slots, _ = run(actions.ActionSearchRefine(), tracker(shown, text=text, loop=None))
    assert slots.get(param, "kept") is None and slots["requested_slot"] == param and slots["search_stage"] is None
    assert slots["next_actions"] == {"after": "action_search_refine", "then": ["search_form"]}
    assert not any("Что изменить" in (m.get("text") or "") for m in messages)


def test_the_walk_from_a_named_station_is_asked_in_words():
    shown = {**RENT_DONE, sd.METRO: None, sd.STATION: ["Павелецкая"], "search_stage": "offers"}
    for t in (tracker(shown, text="До метро", loop=None),
              tracker(shown, text='/change_params{"search_param":"search_max_walk"}', intent="change_params", loop=None,
                      entities=[{"entity": "search_param", "value": sd.METRO}])):
        action = actions.ActionSearchRefine() if t.latest_message["intent"]["name"] == "inform" else actions.ActionSearchChange()
        messages, slots, _ = run(action, t)
        assert "у метро Павелецкая, до 15 мин пешком" in messages[0]["text"] and not slots
