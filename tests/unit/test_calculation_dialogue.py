"""The «Оценка доходности» dialogue rules, without a server (wewall.dialogue.calculation)."""

import datetime as dt

import pytest

from wewall.dialogue import calculation as calc

TODAY = dt.date(2026, 1, 15)
STATIONS = {"белорусская": "Белорусская", "сокол": "Сокол", "сокольники": "Сокольники", "цска": "ЦСКА"}


def ctx():
    return calc.Context(
        TODAY,
        lambda name: STATIONS.get(name.lower().replace("ё", "е").strip()),
        lambda text: ["Сокольники", "Сокол"] if text.lower().startswith("сокол") else [],
    )


def ent(entity, value, start=0, end=0, role=None):
    e = {"entity": entity, "value": value, "start": start, "end": end}
    if role:
        e["role"] = role
    return e


def turn(text="", intent="inform", *entities):
    return calc.Turn(intent, list(entities), text)


OFFICE = {"calc_kind": "finished_office"}


def answer(slots, requested, t):
    return calc.interpret(t, slots, requested, ctx())


# ---------------------------------------------------------------- order of questions


def test_kind_first_then_its_own_questions():
    assert calc.required_slots({}) == ["calc_kind"]
    assert calc.required_slots(OFFICE) == ["calc_kind"] + calc.KIND_SLOTS["finished_office"] + ["calc_confirmed"]
    assert "calc_tranches" in calc.required_slots({"calc_kind": "building_retail"})
    # Retail asks the station too: its cadastral value and the analogs need it.
    assert "calc_metro_station" in calc.required_slots({"calc_kind": "finished_retail"})
    assert "calc_estate_class" not in calc.required_slots({"calc_kind": "finished_retail"})


def test_vat_20_ends_the_questions():
    slots = {**OFFICE, "calc_nds_rate": 20}
    assert calc.required_slots(slots)[-1] == "calc_nds_rate"
    filled = dict.fromkeys(calc.required_slots(slots), 1)
    assert calc.next_slot(filled) is None


@pytest.mark.parametrize(
    "filled,phrase",
    [(0, "(осталось 7 вопросов)"), (3, "(осталось 4 вопроса)"), (5, "(осталось 2 вопроса)"), (6, "(последний вопрос)"), (7, "")],
)
def test_remaining_phrase(filled, phrase):
    slots = dict(OFFICE)
    for slot in calc.KIND_SLOTS["finished_office"][:filled]:
        slots[slot] = 1
    assert calc.remaining_phrase(slots) == phrase


@pytest.mark.parametrize("n,word", [(1, "вопрос"), (2, "вопроса"), (5, "вопросов"), (11, "вопросов"), (21, "вопрос"), (22, "вопроса")])
def test_remaining_questions_agree_with_their_number(n, word):
    from wewall.text import agree

    assert agree(n, "вопрос") == word


def test_previous_slot_skips_unanswered_and_handles_confirmation():
    slots = {**OFFICE, "calc_area_m2": 700, "calc_price_per_m2": 500000}
    assert calc.previous_slot(slots, "calc_estate_class") == "calc_price_per_m2"
    assert calc.previous_slot(slots, "calc_area_m2") == "calc_kind"
    full = {**OFFICE, **dict.fromkeys(calc.KIND_SLOTS["finished_office"], 1)}
    assert calc.previous_slot(full, "calc_confirmed") == "calc_nds_rate"


# ---------------------------------------------------------------- understanding answers


def test_number_in_words_fills_the_asked_slot():
    out = answer(OFFICE, "calc_area_m2", turn("семьсот", "inform", ent("number", 700)))
    assert out.slots == {"calc_area_m2": 700.0} and not out.messages


def test_several_values_in_one_message():
    t = turn("700 м² у Белорусской, класс А", "inform", ent("area_m2", 700), ent("metro_station", "Белорусская"), ent("estate_class", "A"))
    out = answer(OFFICE, "calc_area_m2", t)
    assert out.slots == {"calc_area_m2": 700.0, "calc_metro_station": "Белорусская", "calc_estate_class": "A"}


def test_kind_from_type_and_readiness_and_the_request_values():
    t = turn("офис в строящемся здании 700 м²", "inform", ent("estate_type", "office"), ent("readiness", "building"), ent("area_m2", 700))
    out = answer({}, None, t)
    assert out.slots["calc_kind"] == "building_office" and out.slots["calc_area_m2"] == 700.0


def test_correction_of_an_answered_slot_is_said():
    slots = {**OFFICE, "calc_area_m2": 700.0}
    t = turn("площадь не 700, а 800", "inform", ent("area_m2", 700, 9, 12), ent("area_m2", 800, 16, 19))
    out = answer(slots, "calc_price_per_m2", t)
    assert out.slots["calc_area_m2"] == 800.0
    assert out.messages == ["Исправил: площадь — 800 м²."]


def test_correction_after_summary_reopens_confirmation():
    slots = {**OFFICE, **dict.fromkeys(calc.KIND_SLOTS["finished_office"], 1), "calc_area_m2": 700.0}
    out = answer(slots, "calc_confirmed", turn("площадь 800", "inform", ent("area_m2", 800)))
    assert out.slots["calc_area_m2"] == 800.0 and out.slots["calc_confirmed"] is None


def test_confirmation_and_denial():
    full = {**OFFICE, **dict.fromkeys(calc.KIND_SLOTS["finished_office"], 1)}
    assert answer(full, "calc_confirmed", turn("да", "affirm")).slots == {"calc_confirmed": True}
    out = answer(full, "calc_confirmed", turn("нет", "deny"))
    assert "calc_confirmed" not in out.slots and out.messages[0].startswith("Что исправить?")


@pytest.mark.parametrize(
    "entities,metres",
    [
        ([ent("duration_min", 5, role="walk")], 400),
        ([ent("duration_min", 10, role="transport")], 3000),
        ([ent("distance_m", 450)], 450),
        ([ent("number", 7)], 560),
        ([ent("number", 300)], 300),
    ],
)
def test_distance_in_minutes_or_metres(entities, metres):
    out = answer({**OFFICE, "calc_area_m2": 1}, "calc_distance_to_metro_m", turn("x", "inform", *entities))
    assert out.slots["calc_distance_to_metro_m"] == metres


@pytest.mark.parametrize("text", ["а", "А", "a", "«A»", "класс"])
def test_class_letter_alone(text):
    out = answer(OFFICE, "calc_estate_class", turn(text, "inform"))
    if text == "класс":
        assert "calc_estate_class" not in out.slots and out.messages
    else:
        assert out.slots["calc_estate_class"] == "A"


def test_unknown_station_gets_suggestions_with_buttons():
    out = answer(OFFICE, "calc_metro_station", turn("Сокольнеки", "inform"))
    assert "calc_metro_station" not in out.slots
    assert "Сокольники" in out.messages[0]
    assert out.buttons[0]["payload"] == '/inform{"metro_station":"Сокольники"}'


def test_known_station_written_loosely():
    out = answer(OFFICE, "calc_metro_station", turn("м. цска", "inform"))
    assert out.slots["calc_metro_station"] == "ЦСКА"


def test_implausible_value_questioned_once_then_accepted():
    first = answer(OFFICE, "calc_area_m2", turn("3", "inform", ent("number", 3)))
    assert "calc_area_m2" not in first.slots and "3 м² выглядит необычно" in first.messages[0]
    assert first.slots["calc_doubt"] == {"slot": "calc_area_m2", "value": 3.0}
    slots = {**OFFICE, "calc_doubt": first.doubt}
    again = answer(slots, "calc_area_m2", turn("3", "inform", ent("number", 3)))
    assert again.slots["calc_area_m2"] == 3.0 and again.slots["calc_doubt"] is None
    yes = answer(slots, "calc_area_m2", turn("да", "affirm"))
    assert yes.slots["calc_area_m2"] == 3.0


def test_price_per_m2_implausibly_low():
    out = answer({**OFFICE, "calc_area_m2": 700}, "calc_price_per_m2", turn("5", "inform", ent("number", 5)))
    assert "5 ₽ за м² выглядит необычно" in out.messages[0]


@pytest.mark.parametrize(
    "t,value",
    [
        (turn("5%", "inform", ent("percent", 5)), 5),
        (turn("7", "inform", ent("number", 7)), 7),
        (turn("усн без ндс", "inform"), 0),
        (turn("20 процентов", "inform", ent("percent", 20)), 20),
    ],
)
def test_vat(t, value):
    assert answer({**OFFICE, "calc_area_m2": 1}, "calc_nds_rate", t).slots["calc_nds_rate"] == value


def test_vat_not_in_the_list():
    out = answer(OFFICE, "calc_nds_rate", turn("12%", "inform", ent("percent", 12)))
    assert "calc_nds_rate" not in out.slots and "0, 5, 7 или 20" in out.messages[0]


def test_repairs_from_finish_and_yes_no():
    assert answer(OFFICE, "calc_repairs", turn("без отделки", "inform", ent("finish", "shell"))).slots["calc_repairs"] == "full"
    assert answer(OFFICE, "calc_repairs", turn("нет", "deny")).slots["calc_repairs"] == "none"


BUILDING = {"calc_kind": "building_office", "calc_readiness_quarter": "3Q2027"}


def test_tranches_pairs_and_lump_sum():
    t = turn(
        "60% 1 кв 2026, 20% 3 кв 2026, 20% 1 кв 2027", "inform",
        ent("percent", 60, 0, 3), ent("quarter", "1Q2026", 4, 13), ent("percent", 20, 15, 18),
        ent("quarter", "3Q2026", 19, 28), ent("percent", 20, 30, 33), ent("quarter", "1Q2027", 34, 43),
    )
    assert answer(BUILDING, "calc_tranches", t).slots["calc_tranches"] == {"1Q2026": 60.0, "3Q2026": 20.0, "1Q2027": 20.0}
    assert answer(BUILDING, "calc_tranches", turn("100 % сразу", "inform", ent("percent", 100))).slots["calc_tranches"] == {"1Q2026": 100.0}
    assert answer(BUILDING, "calc_tranches", turn("сразу всё", "inform")).slots["calc_tranches"] == {"1Q2026": 100.0}


def test_tranches_must_sum_to_100_and_the_sum_is_named():
    t = turn("60% 1 кв 2026 30% 3 кв 2026", "inform", ent("percent", 60, 0, 3), ent("quarter", "1Q2026", 4, 13), ent("percent", 30, 14, 17), ent("quarter", "3Q2026", 18, 27))
    out = answer(BUILDING, "calc_tranches", t)
    assert "calc_tranches" not in out.slots
    assert out.messages == ["Сумма траншей 90 %, а должна быть 100 %. Напишите график платежей ещё раз."]


def test_readiness_in_the_past_refused():
    out = answer(BUILDING, "calc_readiness_quarter", turn("4 кв 2025", "inform", ent("quarter", "4Q2025")))
    assert "calc_readiness_quarter" not in out.slots and "раньше текущего квартала 1Q2026" in out.messages[0]


def test_interruptions_are_left_to_the_rules():
    out = answer(OFFICE, "calc_area_m2", turn("что такое irr", "faq"))
    assert not out.understood and not out.slots


def test_gibberish_is_an_answer_attempt_that_is_re_asked():
    out = answer(OFFICE, "calc_area_m2", turn("ааа", "nlu_fallback"))
    assert out.understood and out.messages == [calc.ASK_AGAIN["calc_area_m2"]]


def test_changing_kind_drops_questions_of_the_old_kind():
    slots = {**OFFICE, "calc_metro_station": "Сокол", "calc_estate_class": "A", "calc_area_m2": 100.0}
    out = answer(slots, "calc_repairs", turn("это торговое помещение готовое", "inform", ent("estate_type", "retail"), ent("readiness", "ready")))
    assert out.slots["calc_kind"] == "finished_retail" and out.slots["calc_estate_class"] is None
    assert "calc_area_m2" not in out.slots and "calc_metro_station" not in out.slots  # retail asks the station too


# ---------------------------------------------------------------- summary and inputs


def test_summary_and_inputs_of_the_worked_check():
    slots = {
        "calc_kind": "building_office", "calc_area_m2": 700.0, "calc_price_per_m2": 400000.0, "calc_estate_class": "A",
        "calc_metro_station": "Белорусская", "calc_distance_to_metro_m": 400, "calc_repairs": "full", "calc_nds_rate": 5,
        "calc_readiness_quarter": "3Q2027", "calc_tranches": {"1Q2026": 60.0, "3Q2026": 20.0, "1Q2027": 20.0},
    }
    text = calc.summary(slots)
    assert "офис в строящемся здании" in text and "• площадь: 700 м²" in text
    assert "• график платежей: 60 % — 1Q2026, 20 % — 3Q2026, 20 % — 1Q2027" in text
    inputs = calc.to_inputs(slots, TODAY)
    assert inputs["readiness"] == "3Q2027" and inputs["as_of"] == "2026-01-15"
    # the model's input names, never the slots' (issue #21: `calc_` slots, model inputs unchanged)
    assert inputs["area_m2"] == 700.0 and inputs["tranches"]["1Q2026"] == 60.0
    assert not any(key.startswith("calc_") for key in inputs)


def test_no_count_before_the_kind_is_known():
    assert calc.remaining_phrase({}) == ""


@pytest.mark.parametrize("intent", ["go_back", "cancel"])
def test_step_back_and_cancel_are_left_to_the_rules(intent):
    out = answer({**OFFICE, "calc_area_m2": 700.0}, "calc_price_per_m2", turn("назад", intent))
    assert not out.understood and not out.slots


@pytest.mark.parametrize(
    "text,entities,slot,value",
    [
        ("площадь не 700, а 800", [ent("number", 700, 11, 14), ent("number", 800, 18, 21)], "calc_area_m2", 800.0),
        ("цена не 500 тысяч а 450", [ent("money_rub", 500000, 8, 17), ent("number", 450, 20, 23)], "calc_price_per_m2", 450000.0),
        ("аренда не 300 тысяч а 350 тысяч", [ent("money_rub", 300000, 10, 19), ent("money_rub", 350000, 22, 32)], "calc_monthly_rent_rub", 350000.0),
    ],
)
def test_corrections_name_the_slot_and_take_the_value_after_a(text, entities, slot, value):
    slots = {"calc_kind": "finished_retail", "calc_area_m2": 700.0, "calc_price_per_m2": 500000.0, "calc_monthly_rent_rub": 300000.0}
    out = answer(slots, "calc_confirmed", turn(text, "inform", *entities))
    assert out.slots[slot] == value and out.slots["calc_confirmed"] is None


def test_repairs_named_among_other_facts_are_recorded_at_another_question():
    """«офис 120 м2 по 400 тысяч, ремонт не нужен» at the kind question used to lose the repairs."""
    from wewall.dialogue import forms as engine
    from wewall.dialogue import specs

    spec = specs.calculation(calc.Context(dt.date(2026, 12, 5), lambda n: None, lambda n: []))
    turn = calc.Turn("inform", [{"entity": "area_m2", "value": 120, "start": 5, "end": 11}],
                "офис 120 м2 по 400 тысяч, ремонт не нужен")
    step = engine.step(spec, turn, {}, calc.KIND)
    assert step.slots.get("calc_repairs") == "none" and "ремонт до сдачи в аренду — ремонт не нужен" in step.messages[-1].text
