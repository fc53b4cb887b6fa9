"""The hand-over summary: pure, defensive, short, and with what a manager needs."""

import datetime as dt

import pytest

from wewall.crm.summary import build_summary, num, rub

CALC_RECORD = {
    "inputs": {"kind": "finished_office", "area_m2": 120.5, "price_per_m2": 350000,
               "estate_class": "A", "metro_station": "Белорусская", "distance_to_metro_m": 400,
               "repairs": "partial", "nds_rate": 0},
    "rent_irr": 11.234, "sale_irr": None,
    "verdict": {"code": "high", "text": "Это высокая доходность."},
}


def test_an_empty_conversation_still_gets_a_useful_summary():
    text = build_summary({}, sender_id="u1", channel="telegram")
    assert text.splitlines() == [
        "WEWALL AI: передача клиента менеджеру.",
        "Клиент попросил связаться с менеджером.",
        "Параметров в диалоге нет: уточните у клиента, что ему нужно.",
        "Диалог: канал telegram, id u1.",
    ]


def test_everything_a_manager_needs():
    slots = {
        "person_name": "Анна Петрова", "phone": "+79161234567", "viewing_time": "завтра в 15:00",
        "search_record": {"estate_type": "office", "deal": "sale", "budget_rub": 50_000_000,
                          "zone": "ttk", "min_area_m2": 100, "walk_minutes": 10,
                          "finish": "ready", "estate_class": "A", "purpose": "investment",
                          "min_irr": 9, "readiness": "ready", "wishes": "рядом парк"},
        "calc_result": CALC_RECORD,
        "chosen_offer": {"_id": "o-17", "type": "office", "estate_class": "A", "name": "БЦ Белая площадь",
                         "address": "Лесная ул., 5", "area_m2": 130, "price_rub": 48_000_000,
                         "metro": [{"station": "Белорусская", "walk_minutes": 5}],
                         "link": "https://realty.example/offers/17"},
    }
    text = build_summary(slots, reason="viewing", channel="telegram", sender_id="42",
                         now=dt.datetime(2026, 3, 1, 14, 5))
    assert "Клиент хочет записаться на просмотр." in text
    assert "Контакты: имя Анна Петрова, телефон +79161234567, удобное время завтра в 15:00." in text
    assert ("Подбор: тип: офис; сделка: покупка; бюджет: до 50 000 000 ₽; зона: внутри ТТК; "
            "площадь: от 100 м²; до метро: не больше 10 мин пешком; отделка: только с отделкой; класс: A; "
            "цель: для инвестиций; IRR: от 9 %; готовность: только готовые; пожелания: «рядом парк».") in text
    assert ("Расчёт доходности: готовый офис, 120,5 м², 350 000 ₽ за м², класс A, м. Белорусская, 400 м, "
            "нужен частичный ремонт, НДС 0 %; IRR при аренде 11,2 % (Это высокая доходность).") in text
    assert ("Выбранное предложение: офис, класс A, БЦ Белая площадь, Лесная ул., 5, 130 м², "
            "48 000 000 ₽, м. Белорусская, id o-17. Ссылка: https://realty.example/offers/17") in text
    assert text.endswith("Время: 01.03.2026 14:05.")


def test_the_search_form_answers_before_any_search_ran():
    text = build_summary({"search_type": "retail", "search_deal": "rent", "search_budget": 300000,
                          "search_stations": ["Сокол"]})
    assert "Подбор: тип: торговое помещение; сделка: аренда; бюджет: до 300 000 ₽ в месяц; метро: Сокол." in text


def test_the_last_search_run_wins_over_the_answers_being_changed():
    text = build_summary({"search_record": {"deal": "sale", "budget_rub": 9e7, "found": 3}, "search_deal": "rent"})
    assert "сделка: покупка" in text and "аренда" not in text


def test_a_finished_calculation_reports_its_class_as_a_calculation_fact():
    # Issue #21: the calculation's slots shared names with the search's criteria, so a calculation's
    # class (and station) showed as a search. A search is under way here, with its own class unset.
    slots = {
        "calc_result": CALC_RECORD, "calculations_count": 1,
        "calc_estate_class": "B", "calc_metro_station": "Сокол",  # a calculation under way: never a search
        "search_deal": "rent", "search_budget": 500000,
    }
    text = build_summary(slots)
    calc_line = next(line for line in text.splitlines() if line.startswith("Расчёт доходности:"))
    search_line = next(line for line in text.splitlines() if line.startswith("Подбор:"))
    assert "класс A" in calc_line and "м. Белорусская" in calc_line
    assert "класс" not in search_line and "Сокол" not in search_line and "Белорусская" not in search_line


def test_calculation_slots_alone_are_not_a_search():
    text = build_summary({"calc_estate_class": "B", "calc_metro_station": "Сокол", "search_class": "B"})
    assert "Подбор" not in text


@pytest.mark.parametrize("junk", [
    None, [], "строка", {"calc_result": "not a dict"}, {"calc_result": {"inputs": 5, "rent_irr": "x"}},
    {"chosen_offer": ["a"]}, {"search_record": 7, "search_deal": object()}, {"phone": {"a": 1}},
    {"calc_result": {"verdict": ["x"], "inputs": {"area_m2": "много"}}},
])
def test_malformed_slots_never_break_it(junk):
    text = build_summary(junk)
    assert text.startswith("WEWALL AI: передача клиента менеджеру.")


def test_long_values_are_clipped():
    text = build_summary({"search_deal": "sale", "search_wishes": "очень " * 2000, "person_name": "И" * 500})
    assert len(text) <= 3500
    assert "очень очень" in text


def test_reasons():
    assert "НДС 20 %" in build_summary({}, reason="vat")
    assert "Бот не смог помочь" in build_summary({}, reason="fallback")


def test_number_formatting():
    assert num(12000000) == "12 000 000" and num(33.33) == "33,3" and num("1 500,5") == "1 500,5"
    assert rub(48000000.0) == "48 000 000 ₽" and rub("дорого") == "дорого"
