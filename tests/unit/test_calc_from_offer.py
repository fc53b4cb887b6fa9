"""`prefill_from_offer`: what a shown offer already answers of the calculation."""

import datetime as dt

import pytest

from wewall.dialogue import calculation as calc

TODAY = dt.date(2026, 12, 5)
METRO = [{"station": "Динамо", "distance_m": 640, "walk_minutes": 8}, {"station": "Аэропорт", "distance_m": 1500}]


def offer(**kw):
    base = {"_id": "x", "type": "office", "deal": "sale", "name": "БЦ «Тест»", "area_m2": 150.5, "price_per_m2": 420000,
            "estate_class": "B", "metro": METRO, "finish": "shell", "readiness": "ready"}
    return {**base, **kw}


def test_a_ready_office_for_sale_leaves_only_vat():
    slots = calc.prefill_from_offer(offer(), TODAY)
    assert slots == {"calc_kind": "finished_office", "calc_area_m2": 150.5, "calc_price_per_m2": 420000.0, "calc_estate_class": "B",
                     "calc_metro_station": "Динамо", "calc_distance_to_metro_m": 640.0, "calc_repairs": "full"}
    assert calc.next_slot(slots) == "calc_nds_rate" and calc.remaining_questions(slots) == 1


def test_an_office_under_construction_keeps_its_quarter_and_asks_the_payments():
    slots = calc.prefill_from_offer(offer(readiness="3Q2028", finish="partial", estate_class="Prime"), TODAY)
    assert slots["calc_kind"] == "building_office" and slots["calc_readiness_quarter"] == "3Q2028"
    assert slots["calc_estate_class"] == "A" and slots["calc_repairs"] == "partial"
    assert [s for s in calc.required_slots(slots) if slots.get(s) is None] == ["calc_nds_rate", "calc_tranches", "calc_confirmed"]


@pytest.mark.parametrize("readiness", ["2Q2025", "4Q2034", "когда-нибудь"])
def test_a_quarter_past_or_beyond_the_horizon_is_a_ready_unit(readiness):
    assert calc.prefill_from_offer(offer(readiness=readiness), TODAY)["calc_kind"] == "finished_office"


def test_a_rent_offer_gives_no_purchase_price_but_a_retail_one_gives_its_rent():
    office = calc.prefill_from_offer(offer(deal="rent", price_per_m2=3500, rent_rub_month=526750), TODAY)
    assert "calc_price_per_m2" not in office and calc.next_slot(office) == "calc_price_per_m2"
    shop = calc.prefill_from_offer(offer(type="retail", deal="rent", area_m2=60, price_per_m2=3000,
                                         rent_rub_month=180000, estate_class=None, finish="ready"), TODAY)
    assert shop == {"calc_kind": "finished_retail", "calc_area_m2": 60.0, "calc_metro_station": "Динамо",
                    "calc_monthly_rent_rub": 180000.0, "calc_repairs": "none"}
    assert "цену покупки спрошу" in calc.prefill_note(offer(deal="rent"), office)


def test_price_on_request_and_unknown_types_prefill_nothing_wrong():
    assert "calc_price_per_m2" not in calc.prefill_from_offer(offer(price_per_m2=None, price_on_request=True), TODAY)
    assert calc.prefill_from_offer({"type": "warehouse"}, TODAY) == {}


@pytest.mark.parametrize("text,about", [
    ("а какая у него доходность?", True), ("посчитай доходность этого офиса", True),
    ("какая доходность у этого предложения", True), ("/request_calculation", False), ("оценка доходности", False),
])
def test_which_requests_are_about_the_shown_offer(text, about):
    assert calc.refers_to_offer(text) is about
