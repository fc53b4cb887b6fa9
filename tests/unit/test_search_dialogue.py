"""The search dialogue's pure logic: branching questions, answers, corrections, summary, card."""

import pytest

from wewall.dialogue import contacts as ct
from wewall.dialogue import search as sd
from wewall.dialogue.calculation import Turn


def turn(text="", intent="inform", **entities):
    ents = []
    for name, value in entities.items():
        if isinstance(value, tuple):  # (value, role)
            ents.append({"entity": name, "value": value[0], "role": value[1]})
        else:
            ents.append({"entity": name, "value": value})
    return Turn(intent, ents, text)


RENT = {sd.TYPE: "office", sd.DEAL: "rent"}


def test_rent_branch_asks_no_purchase_questions():
    order = sd.required_slots(RENT)
    assert order == [sd.TYPE, sd.DEAL, sd.BUDGET, sd.AREA, sd.METRO, sd.ZONE, sd.CLASS, sd.FINISH, sd.WISHES, sd.CONFIRMED]


def test_buy_branch_asks_purpose_and_readiness_and_investors_irr():
    buy = {sd.TYPE: "retail", sd.DEAL: "sale"}
    order = sd.required_slots(buy)
    assert sd.PURPOSE in order and sd.READINESS in order and sd.MIN_IRR not in order and sd.CLASS not in order
    assert sd.MIN_IRR in sd.required_slots({**buy, sd.PURPOSE: "investment"})
    assert sd.MIN_IRR not in sd.required_slots({**buy, sd.PURPOSE: "business"})


def test_several_values_in_one_message():
    t = turn("офис в аренду у Белорусской до 500 тысяч 100 метров", estate_type="office", deal="rent",
             metro_station="Белорусская", money_rub=500000, area_m2=100)
    out = sd.interpret(t, {}, sd.TYPE)
    assert out.slots == {sd.TYPE: "office", sd.DEAL: "rent", sd.BUDGET: 500000.0, sd.AREA: 100.0,
                         sd.STATION: ["Белорусская"]}
    # the station answers «как далеко от метро?» (walking distance of it) and «в какой части
    # Москвы?» (it is a finer place): the class of the office is next
    assert sd.next_slot(out.slots) == sd.CLASS
    assert sd.next_slot({k: v for k, v in out.slots.items() if k != sd.STATION}) == sd.METRO


def test_investor_in_one_message():
    t = turn("хочу купить офис для инвестиций от 10 процентов", deal="sale", estate_type="office",
             purpose="investment", percent=10)
    out = sd.interpret(t, {}, None)
    assert out.slots[sd.MIN_IRR] == 10.0 and out.slots[sd.PURPOSE] == "investment"


@pytest.mark.parametrize("slot,text,entities", [
    (sd.AREA, "не важно", {}), (sd.METRO, "неважно", {}), (sd.ZONE, "любая", {}), (sd.CLASS, "любой", {}),
    (sd.MIN_IRR, "", {"percent": "any"}), (sd.AREA, "", {"area_m2": "any"}), (sd.METRO, "", {"distance_m": "any"}),
    (sd.CLASS, "", {"estate_class": "any"}), (sd.FINISH, "", {"finish": "any"}),
])
def test_not_important_answers(slot, text, entities):
    slots = {sd.TYPE: "office", sd.DEAL: "sale", sd.BUDGET: 1e8, sd.PURPOSE: "investment"}
    out = sd.interpret(turn(text, **entities), slots, slot)
    assert out.slots[slot] == sd.ANY


def test_bare_numbers_in_context():
    assert sd.interpret(turn("500", number=500), RENT, sd.BUDGET).slots[sd.BUDGET] == 500_000
    assert sd.interpret(turn("300", number=300), {sd.DEAL: "sale"}, sd.BUDGET).slots[sd.BUDGET] == 300_000_000
    assert sd.interpret(turn("10", number=10), RENT, sd.METRO).slots[sd.METRO] == {"minutes": 10}
    assert sd.interpret(turn("500 метров", area_m2=500), RENT, sd.METRO).slots[sd.METRO] == {"m": 500}
    assert sd.interpret(turn("10 минут на машине", duration_min=(10, "transport")), RENT, sd.METRO).slots[sd.METRO]["m"] > 1000
    assert sd.interpret(turn("150", number=150), RENT, sd.AREA).slots[sd.AREA] == 150


@pytest.mark.parametrize("requested, text, entities, slot", [
    # a number with its unit answers its own question, whichever was asked
    (sd.BUDGET, "метров 100-150", {"area_m2": 150}, sd.AREA),
    (sd.BUDGET, "150 квадратов", {"area_m2": 150}, sd.AREA),
    (sd.AREA, "до 500 тысяч", {"money_rub": 500000}, sd.BUDGET),
    (sd.METRO, "до 2 млн", {"money_rub": 2000000}, sd.BUDGET),
])
def test_a_number_with_a_unit_is_not_the_answer_to_another_question(requested, text, entities, slot):
    out = sd.interpret(turn(text, **entities), RENT, requested)
    assert slot in out.slots
    assert requested not in out.slots


def test_correction_of_an_answered_slot_is_said():
    slots = {**RENT, sd.BUDGET: 500000.0}
    out = sd.interpret(turn("площадь 200, бюджет 700 тысяч", area_m2=200, money_rub=700000), slots, sd.AREA)
    assert out.slots[sd.BUDGET] == 700000 and out.slots[sd.AREA] == 200
    assert any("Исправил: бюджет" in m for m in out.messages)


def test_changing_the_deal_drops_what_no_longer_applies():
    slots = {sd.TYPE: "office", sd.DEAL: "sale", sd.BUDGET: 1e8, sd.PURPOSE: "investment", sd.MIN_IRR: 10.0,
             sd.READINESS: "ready"}
    out = sd.interpret(turn("лучше аренда", deal="rent"), slots, sd.AREA)
    assert out.slots[sd.DEAL] == "rent"
    assert out.slots[sd.BUDGET] is None and out.slots[sd.PURPOSE] is None and out.slots[sd.MIN_IRR] is None
    assert out.slots[sd.READINESS] is None


def test_class_dropped_when_type_is_not_office():
    slots = {sd.TYPE: "office", sd.DEAL: "rent", sd.CLASS: "A"}
    out = sd.interpret(turn("торговое", estate_type="retail"), slots, sd.BUDGET)
    assert out.slots[sd.CLASS] is None


def test_wishes_free_text_or_none():
    assert sd.interpret(turn("нет", intent="deny"), RENT, sd.WISHES).slots[sd.WISHES] == ""
    assert sd.interpret(turn("нужна парковка"), RENT, sd.WISHES).slots[sd.WISHES] == "нужна парковка"


def test_confirmation_and_correction_at_summary():
    slots = {**RENT, sd.BUDGET: 5e5}
    assert sd.interpret(turn("да", intent="affirm"), slots, sd.CONFIRMED).slots == {sd.CONFIRMED: True}
    out = sd.interpret(turn("бюджет 600 тысяч", money_rub=600000), {**slots, sd.CONFIRMED: None}, sd.CONFIRMED)
    assert out.slots[sd.BUDGET] == 600000 and out.slots[sd.CONFIRMED] is None
    assert "Что исправить" in sd.interpret(turn("нет", intent="deny"), slots, sd.CONFIRMED).messages[0]


def test_unclear_answer_asks_again_and_questions_are_left_to_rules():
    out = sd.interpret(turn("эээ"), RENT, sd.BUDGET)
    assert out.understood and "бюджет" in out.messages[0]
    assert not sd.interpret(turn("что такое irr", intent="faq"), RENT, sd.BUDGET).understood


def test_summary_and_criteria():
    slots = {sd.TYPE: "office", sd.DEAL: "sale", sd.BUDGET: 1.2e8, sd.PURPOSE: "investment", sd.MIN_IRR: 10.0,
             sd.AREA: sd.ANY, sd.METRO: {"minutes": 10}, sd.ZONE: "ttk", sd.CLASS: "A", sd.FINISH: sd.ANY,
             sd.READINESS: "ready", sd.WISHES: "", sd.STATION: "Белорусская"}
    text = sd.summary(slots).replace("\u202f", " ")
    assert "до 120 000 000 ₽" in text and "от 10 %" in text and "внутри ТТК" in text and "Белорусская" in text
    c = sd.to_criteria(slots)
    assert c.deal == "sale" and c.budget_rub == 1.2e8 and c.min_irr == 10 and c.max_metro_minutes == 10
    assert c.min_area_m2 is None and c.investor and c.estate_class == "A" and c.stations == ("Белорусская",)
    rec = sd.record(slots, 5)
    assert rec["found"] == 5 and rec["deal"] == "sale" and rec["walk_minutes"] == 10


def test_relaxation_back_to_slots():
    slots = {**RENT, sd.BUDGET: 100000.0, sd.ZONE: "ttk", sd.CLASS: "A"}
    c = sd.to_criteria(slots)
    assert sd.relaxed_slots(slots, c.replace(budget_rub=120000.0).to_dict()) == {sd.BUDGET: 120000.0}
    assert sd.relaxed_slots(slots, c.replace(zone="mkad").to_dict()) == {sd.ZONE: "mkad"}


def test_card_never_shows_the_link():
    offer = {"_id": "x1", "type": "office", "deal": "sale", "estate_class": "A", "name": "БЦ Тест", "area_m2": 120,
             "price_rub": 60_000_000, "price_per_m2": 500_000, "metro": [{"station": "Белорусская", "walk_minutes": 5}],
             "zone": "ttk", "finish": "ready", "readiness": "4Q2027", "floor": 7, "irr_percent": 11.2,
             "link": "https://secret.example/1", "photos": ["http://p/1.jpg"] * 12}
    text = sd.card(offer, 1, 8, investor=True).replace("\u202f", " ")
    assert "secret" not in text and "БЦ Тест" in text and "60 000 000 ₽" in text and "500 000 ₽ за м²" in text
    assert "Белорусская, 5 мин пешком" in text and "внутри ТТК" in text and "с отделкой" in text
    assert "4 кв. 2027" in text and "Этаж: 7" in text and "IRR" in text
    assert "IRR" not in sd.card(offer, 1, 8, investor=False)
    assert len(sd.photos(offer)) == 10
    assert sd.chosen(offer)["link"] == "https://secret.example/1"


def test_change_parameter_from_button_or_words():
    assert sd.param_from(turn("", search_param="search_budget"), RENT) == sd.BUDGET
    assert sd.param_from(turn("поменяй площадь"), RENT) == sd.AREA
    assert sd.MIN_IRR not in [s for s, _ in sd.changeable(RENT)]


@pytest.mark.parametrize("written", ["8 (916) 123-45-67", "+7 916 1234567", "9161234567", "8-916-123-45-67"])
def test_phone_normalised(written):
    assert ct.normalize_phone(written) == "+79161234567"


@pytest.mark.parametrize("written", ["123-45-67", "+1 650 253 0000", "завтра"])
def test_not_a_phone(written):
    assert ct.normalize_phone(written) is None


def test_book_viewing_form_name_phone_time_and_consent():
    out = ct.interpret(turn("Иван, 8 (916) 123-45-67", person_name="Иван", phone="+79161234567"), {}, ct.NAME)
    assert out.slots == {ct.NAME: "Иван", ct.PHONE: "+79161234567"}
    assert ct.next_slot(out.slots) == ct.TIME
    assert ct.interpret(turn("анна"), {}, ct.NAME).slots[ct.NAME] == "Анна"
    assert ct.interpret(turn("9161234567"), {ct.NAME: "Анна"}, ct.PHONE).slots[ct.PHONE] == "+79161234567"
    bad = ct.interpret(turn("12345"), {ct.NAME: "Анна"}, ct.PHONE)
    assert not bad.slots and "номер" in bad.messages[0]
    assert ct.interpret(turn("завтра после 15:00"), {}, ct.TIME).slots[ct.TIME] == "завтра после 15:00"
    assert ct.interpret(turn("да", intent="affirm"), {}, ct.CONFIRMED).slots == {ct.CONFIRMED: True}
    assert ct.CONSENT in ct.summary({ct.NAME: "Анна", ct.PHONE: "+79161234567", ct.TIME: "завтра"}, {"name": "БЦ"})


def test_manager_summary_reads_the_search_the_offer_and_the_contacts():
    from wewall.crm.summary import build_summary

    slots = {"search_record": sd.record({**RENT, sd.BUDGET: 5e5, sd.ZONE: "ttk"}, 4),
             "chosen_offer": {"_id": "o1", "name": "БЦ Тест", "link": "https://x/1"},
             ct.NAME: "Анна", ct.PHONE: "+79161234567", ct.TIME: "завтра", ct.CONFIRMED: True}
    text = build_summary(slots, reason="request")
    assert "просмотр" in text and "аренда" in text and "внутри ТТК" in text and "https://x/1" in text
    assert "+79161234567" in text and "завтра" in text


@pytest.mark.parametrize("text, says", [
    ("а есть дешевле?", "бюджетом"), ("подешевле ничего нет?", "бюджетом"), ("а побольше есть?", "Что изменить"),
    ("спасибо", None), ("а что такое ттк", None),
])
def test_a_comparison_about_the_offers_shown_asks_what_to_change(text, says):
    hint = sd.compare_hint(text, {sd.DEAL: "rent", sd.BUDGET: 3_000_000.0})
    assert (hint is None) if says is None else (says in hint)


@pytest.mark.parametrize(
    "text, entities",
    [
        ("любой", {"estate_class": "any"}),  # the lexicon reads a bare «любой» as a class
        ("не важно", {}),
        ("без ограничений", {}),
        ("бюджет не ограничен", {}),
    ],
)
def test_any_budget_is_an_answer_to_the_budget_question(text, entities):
    # «любой» at the budget question was read as «класс — любой» and the budget asked again
    out = sd.interpret(turn(text, **entities), {sd.TYPE: "office", sd.DEAL: "rent"}, sd.BUDGET)
    assert out.slots.get(sd.BUDGET) == sd.ANY
    assert sd.CLASS not in out.slots
    assert sd.span_of(out.slots[sd.BUDGET], upper=True) == (None, None)
    assert sd.describe(sd.BUDGET, sd.ANY, out.slots) == "не важно"


def test_a_percent_from_an_investor_is_the_minimum_irr_at_any_question():
    # «не ниже 9%» at the type question, after «под инвестиции» in an earlier message, was lost
    slots = {sd.DEAL: "sale", sd.PURPOSE: "investment", sd.BUDGET: 60_000_000}
    out = sd.interpret(turn("не ниже 9%", percent=9), slots, sd.TYPE)
    assert out.slots.get(sd.MIN_IRR) == 9
    # without an investment purpose a bare percent is not taken for an IRR
    out = sd.interpret(turn("не ниже 9%", percent=9), {sd.DEAL: "rent"}, sd.TYPE)
    assert sd.MIN_IRR not in out.slots


@pytest.mark.parametrize("text, intent, finish", [("да", "affirm", "ready"), ("нет", "deny", sd.ANY),
                                                  ("да нужна", "affirm", "ready"), ("нет не обязательно", "deny", sd.ANY)])
def test_a_yes_or_no_answers_the_finish_question(text, intent, finish):
    """«Нужна отделка?» — «да»: only finished premises; «нет»: any (not «Нужна только с отделкой или любая?» again)."""
    from wewall.dialogue import forms as engine
    from wewall.dialogue import specs

    out = engine.step(specs.SEARCH, turn(text, intent), {**RENT, sd.BUDGET: 250_000.0, sd.AREA: 60.0}, sd.FINISH)
    assert out.slots.get(sd.FINISH) == finish


@pytest.mark.parametrize("text, asked, wish", [
    ("вход с улицы, первый этаж", sd.FINISH, "вход с улицы, первый этаж"),
    ("до 250к и чтоб была парковка", sd.BUDGET, "чтоб была парковка"),
    ("офис в аренду 50 метров, с парковкой", None, "с парковкой"),
    ("метров 80, этаж не выше 3", sd.AREA, "этаж не выше 3"),
])
def test_a_wish_said_at_another_question_is_kept(text, asked, wish):
    out = sd.interpret(turn(text), {**RENT}, asked)
    assert out.slots.get(sd.WISHES) == wish


def test_a_wish_is_added_to_the_wishes_already_said():
    out = sd.interpret(turn("и парковка нужна"), {**RENT, sd.WISHES: "вход с улицы"}, sd.BUDGET)
    assert out.slots.get(sd.WISHES) == "вход с улицы, парковка нужна"
    assert sd.interpret(turn("с отделкой", finish="ready"), {**RENT}, sd.AREA).slots.get(sd.WISHES) is None


AT_STATION = {**RENT, sd.BUDGET: 500_000.0, sd.AREA: 100.0, sd.STATION: ["Павелецкая"], sd.CLASS: sd.ANY,
              sd.FINISH: sd.ANY, sd.WISHES: "", sd.CONFIRMED: True}


@pytest.mark.parametrize("text", ["а поближе к метро?", "а есть ближе к метро", "хочу рядом с метро", "метро поближе есть?"])
def test_closer_to_the_metro_says_the_walk_searched_now(text):
    """«а поближе к метро?» while offers are shown: how far the search looks now, and how to say closer."""
    hint = sd.compare_hint(text, AT_STATION)
    assert hint and "у метро Павелецкая, до 15 мин пешком от станции" in hint and "до 5 минут пешком" in hint
    assert "до метро 10 мин пешком" in sd.compare_hint(text, {**RENT, sd.METRO: {"minutes": 10}})


def test_the_walk_from_a_named_station_can_be_changed():
    assert (sd.METRO, "До метро") in sd.changeable(AT_STATION)
    assert sd.metro_by_text(sd.METRO, AT_STATION)  # the form would not ask it: asked in words
    assert sd.metro_by_text(sd.METRO, {**AT_STATION, sd.METRO: {"minutes": 10}}) is None  # the form asks it
    assert sd.metro_by_text(sd.BUDGET, AT_STATION) is None
    out = sd.refine(turn("до 5 минут пешком", duration_min=5), AT_STATION)
    assert out.understood and out.slots == {sd.METRO: {"minutes": 5.0}}
    assert sd.to_criteria({**AT_STATION, **out.slots}).max_metro_minutes == 5.0


@pytest.mark.parametrize("offer, title", [
    ({"name": "Помещение свободного назначения", "area_m2": 31.0,
      "address": "Москва, ЦАО, р-н Таганский, м. Таганская, улица Большие Каменщики, 6С1"},
     "Помещение свободного назначения, улица Большие Каменщики, 6С1, 31 м²"),
    ({"name": "Taller", "address": "Жуков проезд, 8", "area_m2": 98.3}, "Taller, Жуков проезд, 8, 98,3 м²"),
    ({"name": "БЦ Оружейный"}, "БЦ Оружейный"), (None, ""),
])
def test_the_chosen_offer_is_named_so_that_the_client_can_tell_it(offer, title):
    """Two lots of one building differ by their area: «объект: Помещение свободного назначения» said neither."""
    assert ct.offer_title(offer) == title
    if offer:
        assert f"• объект: {title}" in ct.summary({ct.PHONE: "+79035556677"}, offer)


def test_the_phone_is_said_back_as_people_write_it():
    assert "• телефон: +7 903 555-66-77" in ct.summary({ct.PHONE: "+79035556677"})
    assert ct.spoken_phone("+79035556677") == "+7 903 555-66-77" and ct.spoken_phone("12") == "12"


@pytest.mark.parametrize("text, asked", [("доходность хотя бы 9", sd.DEAL), ("ирр минимум 9", sd.AREA),
                                         ("доходность не ниже 9", None)])
def test_a_minimum_return_said_at_any_question_is_the_investors_minimum(text, asked):
    """«доходность хотя бы 9» at «Купить или арендовать?»: a buyer for investment with IRR ≥ 9 %, not a calculation."""
    out = sd.interpret(turn(text, number=9), {sd.TYPE: "office", sd.BUDGET: 80_000_000.0}, asked)
    assert out.slots.get(sd.MIN_IRR) == 9 and out.slots.get(sd.DEAL) == "sale" and out.slots.get(sd.PURPOSE) == "investment"
