"""Places, ranges, head counts and wishes: from a message to the slots and the criteria."""

import pytest

from wewall.dialogue import search as sd
from wewall.dialogue.calculation import Turn
from wewall.nlu.ranges import find_range, head_count
from wewall.search import places as pl
from wewall.search import wishes as wl

RENT = {sd.TYPE: "office", sd.DEAL: "rent"}
SALE = {sd.TYPE: "office", sd.DEAL: "sale"}


def turn(text, *entities, intent="inform"):
    return Turn(intent, [{"entity": e, "value": v} for e, v in entities], text)


@pytest.mark.parametrize("text,kind,bare,expected", [
    ("30-50 м2", "area_m2", False, (30, 50)),
    ("от 100 до 150 м²", "area_m2", False, (100, 150)),
    ("площадь 100-150", "area_m2", False, (100, 150)),
    ("от 100 до 150", "area_m2", True, (100, 150)),
    ("от 200 м²", "area_m2", False, (200, None)),
    ("не больше 80 м2", "area_m2", False, (None, 80)),
    ("до 2 млн", "money_rub", False, (None, 2_000_000)),
    ("бюджет от 1 до 2 млн", "money_rub", False, (1_000_000, 2_000_000)),
    ("от 300 до 500 тысяч", "money_rub", False, (300_000, 500_000)),
    ("офис 300 м2 до 50 млн", "money_rub", False, (None, 50_000_000)),
    ("офис 300 м2 до 50 млн", "area_m2", False, (300, None)),
])
def test_ranges(text, kind, bare, expected):
    assert find_range(text, kind, bare) == expected


@pytest.mark.parametrize("text,n", [
    ("на 15 человек", 15), ("команда из 20 сотрудников", 20), ("12 рабочих мест", 12), ("офис для 30-ти человек", 30),
    ("5 этаж", None), ("100 м2", None),
])
def test_head_count(text, n):
    assert head_count(text) == n


def test_area_range_reaches_the_criteria():
    out = sd.interpret(turn("30-50 м2", ("area_m2", 50)), RENT, sd.AREA)
    assert out.slots[sd.AREA] == {"min": 30.0, "max": 50.0}
    c = sd.to_criteria({**RENT, **out.slots})
    assert (c.min_area_m2, c.max_area_m2) == (30, 50)
    assert "30–50 м²" in sd.summary({**RENT, **out.slots})


def test_bare_range_to_the_area_question_and_a_budget_range():
    out = sd.interpret(turn("от 100 до 150", ("number", 100), ("number", 150)), RENT, sd.AREA)
    assert out.slots[sd.AREA] == {"min": 100.0, "max": 150.0}
    out = sd.interpret(turn("от 100 до 150 млн", ("money_rub", 100_000_000), ("money_rub", 150_000_000)), SALE, sd.BUDGET)
    c = sd.to_criteria({**SALE, **out.slots})
    assert (c.min_budget_rub, c.budget_rub) == (100e6, 150e6)
    out = sd.interpret(turn("до 2 млн", ("money_rub", 2_000_000)), SALE, sd.BUDGET)
    assert out.slots[sd.BUDGET] == 2_000_000


def test_head_count_becomes_an_area_with_its_norm_said():
    out = sd.interpret(turn("на 15 человек", ("number", 15)), RENT, sd.AREA)
    assert out.slots[sd.AREA] == {"min": 120.0, "max": 150.0, "people": 15}
    assert any("8–10 м² на человека" in m and "15 человек" in m for m in out.messages)
    c = sd.to_criteria({**RENT, **out.slots})
    assert (c.min_area_m2, c.max_area_m2) == (120, 150)


def test_several_stations_are_a_criterion():
    t = turn("у Белорусской или Маяковской", ("metro_station", "Белорусская"), ("metro_station", "Маяковская"))
    out = sd.interpret(t, SALE, sd.METRO)
    assert out.slots[sd.STATION] == ["Белорусская", "Маяковская"]
    c = sd.to_criteria({**SALE, **out.slots})
    assert c.stations == ("Белорусская", "Маяковская") and c.station_limit_m == 15 * 80
    assert "до 15 мин пешком от станции" in sd.summary({**SALE, **out.slots})
    c10 = sd.to_criteria({**SALE, **out.slots, sd.METRO: {"minutes": 7}})
    assert c10.station_limit_m == 7 * 80 and c10.nearest_metro_limits == (None, None)


@pytest.mark.parametrize("text,entities,slots", [
    ("в юзао", [], {sd.PLACE: ["ЮЗАО"]}),
    ("в ЦАО", [("zone", "ttk")], {sd.PLACE: ["ЦАО"]}),  # the okrug, not «inside ТТК»
    ("Москва-Сити", [], {sd.PLACE: ["city"]}),
    ("юго-западный округ или САО", [], {sd.PLACE: ["ЮЗАО", "САО"]}),
    ("внутри садового", [("zone", "ttk")], {sd.ZONE: "sadovoe"}),
    ("в пределах ТТК", [("zone", "ttk")], {sd.ZONE: "ttk"}),
    ("рядом с метро", [], {sd.METRO: {"minutes": 10}}),
])
def test_places(text, entities, slots):
    out = sd.interpret(turn(text, *entities), SALE, sd.ZONE)
    assert {k: v for k, v in out.slots.items() if k in (sd.PLACE, sd.ZONE, sd.METRO)} == slots


def test_wishes_the_data_answers_are_criteria_the_rest_go_to_the_manager():
    w = wl.parse("вход с улицы, витрина, парковка, этаж не выше 5, с действующим арендатором")
    assert w.keys == ("street",) and w.max_floor == 5
    assert w.passed == ["парковка", "с действующим арендатором"]
    slots = {**SALE, sd.WISHES: "вход с улицы, витрина, парковка, этаж не выше 5"}
    c = sd.to_criteria(slots)
    assert c.wish == ("street",) and c.max_floor == 5
    text = sd.summary(slots)
    assert "учту в подборе: вход с улицы" in text and "передам менеджеру: парковка" in text


def test_rent_shows_what_is_free_now_unless_later_is_fine():
    assert sd.to_criteria(RENT).readiness == "now"
    assert sd.to_criteria({**RENT, sd.READINESS: sd.ANY}).readiness == "any"
    assert sd.to_criteria(SALE).readiness == "any"


def test_card_says_a_budget_overshoot_the_station_distance_and_similar_lots():
    offer = {"_id": "x", "type": "retail", "deal": "rent", "area_m2": 81, "rent_rub_month": 164_900, "price_per_m2": 2036}
    text = sd.card(offer, 1, 8, budget=150_000, near=("Белорусская", 560), similar=3).replace("\u202f", " ")
    assert "Дороже вашего бюджета на 10 % (14 900 ₽)." in text
    assert "Метро: Белорусская, 560 м (≈ 7 мин пешком)" in text
    assert "Ещё 3 похожих лота в этом БЦ" in text
    assert "Дороже" not in sd.card(offer, 1, 8, budget=200_000)


def test_places_in_text_and_geometry():
    import numpy as np

    assert pl.places_in("офис в ЮЗАО") == ["ЮЗАО"] and pl.places_in("зао") == ["ЗАО"] and pl.places_in("казаон") == []
    # the Kremlin and Лубянка inside the Садовое; Белорусская and the ТТК by Павелецкая out
    lat = np.array([55.7520, 55.7597, 55.7770, 55.7100])
    lng = np.array([37.6175, 37.6254, 37.5820, 37.6400])
    assert pl.inside_polygon(lat, lng).tolist() == [True, True, False, False]
    assert pl.in_city(np.array([55.7494, 55.7520]), np.array([37.5395, 37.6175])).tolist() == [True, False]


SHOWN = {sd.TYPE: "office", sd.DEAL: "sale", sd.BUDGET: sd.ANY, sd.AREA: 200.0, sd.METRO: sd.ANY, sd.ZONE: sd.ANY,
         sd.CLASS: sd.ANY, sd.FINISH: sd.ANY, sd.READINESS: sd.ANY, sd.PURPOSE: "business", sd.WISHES: "",
         sd.CONFIRMED: True, sd.STATION: ["Белорусская"]}


@pytest.mark.parametrize("text,entities,changes", [
    ("а у Профсоюзной есть что-нибудь?", [("metro_station", "Профсоюзная")], {sd.STATION: ["Профсоюзная"], sd.PLACE: None, sd.DISTRICT: None}),
    ("мне нужно у белорусской!", [("metro_station", "Белорусская")], {}),  # already so: nothing to change
    ("а в юзао?", [], {sd.PLACE: ["ЮЗАО"], sd.STATION: None, sd.DISTRICT: None}),
    ("от 300 м2", [("area_m2", 300)], {sd.AREA: 300.0}),
])
def test_refine_while_offers_are_shown_changes_only_what_is_named(text, entities, changes):
    out = sd.refine(turn(text, *entities), SHOWN)
    assert out.slots == changes and out.understood == bool(changes)
    if not changes:
        assert out.messages[0].startswith("Я уже ищу только у станции Белорусская")
    merged = {**SHOWN, **out.slots}
    c = sd.to_criteria(merged)
    assert c.min_area_m2 == merged[sd.AREA] and c.deal == "sale" and c.type == "office"


def test_the_manager_sees_the_place_the_range_and_the_stations():
    from wewall.crm.summary import search_lines

    slots = {**RENT, sd.AREA: {"min": 120, "max": 150, "people": 15}, sd.ZONE: "sadovoe", sd.PLACE: ["ЦАО", "city"],
             sd.STATION: ["Белорусская", "Маяковская"]}
    line = search_lines({"search_record": sd.record(slots, 7)})[0].replace("\u202f", " ")
    assert "площадь: от 120 до 150 м²" in line and "внутри Садового кольца" in line
    assert "район: ЦАО, Москва-Сити" in line and "метро: Белорусская, Маяковская" in line


@pytest.mark.parametrize("slots,text,entities,per_m2", [
    (SALE, "до 500 тысяч за метр", [("money_rub", 500_000)], 500_000),
    (RENT, "не дороже 36 000 за м² в год", [("money_rub", 36_000)], 3_000),
    (RENT, "до 3 000 ₽/м2 в месяц", [("money_rub", 3_000)], 3_000),
])
def test_a_price_per_m2_is_not_a_total(slots, text, entities, per_m2):
    out = sd.interpret(turn(text, *entities), slots, sd.BUDGET)
    merged = {**slots, **out.slots}
    c = sd.to_criteria(merged)
    assert c.max_price_per_m2 == per_m2 and c.budget_rub is None
    assert "за м²" in sd.summary(merged)
    assert sd.record(merged, 1)["max_price_per_m2"] == per_m2 and "budget_rub" not in sd.record(merged, 1)
    offer = {"_id": "x", "deal": slots[sd.DEAL], "area_m2": 100, "price_per_m2": per_m2 * 1.2,
             "price_rub": 1, "rent_rub_month": 1}
    assert "Дороже вашей цены за м² на 20 %." in sd.card(offer, 1, 1, budget_per_m2=per_m2)


@pytest.mark.parametrize("text,intent,entities", [
    ("вход с улицы, витрина", "faq", [("zone", "ttk")]),
    ("с отделкой и парковкой", "inform", [("finish", "ready")]),
    ("этаж не выше 5", "inform", [("number", 5)]),
])
def test_wishes_answer_is_kept_whatever_the_nlu_heard(text, intent, entities):
    out = sd.interpret(turn(text, *entities, intent=intent), {**SALE, sd.FINISH: sd.ANY, sd.ZONE: sd.ANY}, sd.WISHES)
    assert out.slots[sd.WISHES] == text and sd.ZONE not in out.slots and not any("зона" in m for m in out.messages)


def test_relaxations_of_places_and_their_way_back_to_the_slots():
    from wewall.search.relax import candidates

    slots = {**RENT, sd.STATION: ["Белорусская"], sd.PLACE: ["ЦАО"], sd.ZONE: "sadovoe", sd.AREA: {"min": 30, "max": 50}}
    c = sd.to_criteria(slots)
    steps = {(r.criterion, r.step): r for r in candidates(c)}
    assert steps[("station", "×1,5")].phrase == "искать до 22 мин пешком от Белорусской"
    assert steps[("station", "any")].phrase == "искать не только у Белорусской"
    assert steps[("place", "any")].criteria.places == ()
    assert steps[("zone", "ttk")].criteria.zone == "ttk"
    assert steps[("readiness", "any")].phrase == "рассмотреть и помещения, которые будут готовы позже"
    assert steps[("max_area", "any")].criteria.max_area_m2 is None
    back = {
        ("station", "×1,5"): {sd.METRO: {"m": 1800.0}},
        ("station", "any"): {sd.STATION: None},
        ("place", "any"): {sd.PLACE: None},
        ("zone", "ttk"): {sd.ZONE: "ttk"},
        ("readiness", "any"): {sd.READINESS: "any"},
        ("max_area", "any"): {sd.AREA: 30},
    }
    for key, changes in back.items():
        assert sd.relaxed_slots(slots, steps[key].criteria.to_dict()) == changes, key
        assert sd.to_criteria({**slots, **changes}) == steps[key].criteria, key


@pytest.mark.parametrize("text,names", [
    ("офис в районе Хамовники до 500 тысяч", ["Хамовники"]),
    ("в Басманном районе", ["Басманный"]),
    ("р-н Северное Чертаново", ["Северное Чертаново"]),
    ("район Выхино-Жулебино", ["Выхино-Жулебино"]),
    ("в районе метро Белорусская", []),  # a station, not a district
    ("в этом районе", []),
    ("у Сокольников", []),  # without «район» a station
])
def test_districts_named_with_the_word_district(text, names):
    assert pl.districts_in(text) == names


def test_district_keys_ignore_word_order_case_and_hyphens():
    assert pl.district_key("Северное Чертаново") == pl.district_key("Чертаново Северное")
    assert pl.district_key("выхино жулебино") == pl.district_key("Выхино-Жулебино")
    assert pl.district_key("Савёловский") == pl.district_key("Савеловский")


def test_a_district_in_the_dialogue_moves_the_search():
    out = sd.interpret(turn("в Басманном районе"), SALE, sd.ZONE)
    assert out.slots[sd.DISTRICT] == ["Басманный"]
    merged = {**SALE, **out.slots}
    assert sd.to_criteria(merged).districts == ("Басманный",) and "район: Басманный" in sd.summary(merged)
    moved = sd.refine(turn("а в районе Хамовники?"), {**merged, sd.STATION: ["Курская"]})
    assert moved.slots == {sd.DISTRICT: ["Хамовники"], sd.STATION: None, sd.PLACE: None}
