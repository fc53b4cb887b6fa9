"""Refusals of the finance model: Russian messages a client understands, with the field named."""

import pytest

from wewall.calculator import CalculationError, ManagerRequired, RatesUnavailable, calculate, prepare
from wewall.calculator.examples import BUILDING, FINISHED
from wewall.calculator.quarters import parse_quarter


def refusal(inputs, exc=CalculationError):
    with pytest.raises(exc) as info:
        calculate(inputs)
    return info.value


def test_tranches_must_sum_to_100():
    e = refusal(dict(BUILDING, tranches={"1Q2026": 60, "3Q2026": 30}))
    assert str(e) == "Сумма траншей 90 %, а должна быть 100 %" and e.field == "tranches"
    assert "33,3 %" in str(refusal(dict(BUILDING, tranches={"1Q2026": 33.3})))
    calculate(dict(BUILDING, tranches={"1Q2026": 33.3, "2Q2026": 33.3, "3Q2026": 33.4}))  # float sums pass


def test_readiness_before_deal_quarter():
    e = refusal(dict(BUILDING, readiness="1Q2025", tranches=None))
    assert str(e) == "Срок готовности 1Q2025 раньше квартала сделки 1Q2026" and e.field == "readiness"


def test_readiness_too_late():
    calculate(dict(BUILDING, readiness="4Q2029"))  # q = H − 9 = 15 is the last allowed
    e = refusal(dict(BUILDING, readiness="1Q2030"))
    assert "1Q2030" in str(e) and "4Q2029" in str(e)


def test_readiness_required_and_parsed():
    assert refusal(dict(BUILDING, readiness=None)).field == "readiness"
    assert "3Q2027" in str(refusal(dict(BUILDING, readiness="третий квартал")))
    assert parse_quarter("3q2027") == parse_quarter(" 3 К 2027 ") == (2027, 3)


def test_tranche_outside_deal_to_readiness():
    assert str(refusal(dict(BUILDING, tranches={"4Q2025": 50, "1Q2026": 50}))) == \
        "Транш в 4Q2025 раньше квартала сделки 1Q2026"
    assert str(refusal(dict(BUILDING, tranches={"1Q2026": 50, "4Q2027": 50}))) == \
        "Транш в 4Q2027 позже срока готовности 3Q2027"
    assert "дважды" in str(refusal(dict(BUILDING, tranches={"1Q2026": 50, "1q2026": 50})))
    assert "больше нуля" in str(refusal(dict(BUILDING, tranches={"1Q2026": 110, "2Q2026": -10})))


def test_vat_20_goes_to_a_manager():
    e = refusal(dict(FINISHED, nds_rate=20), ManagerRequired)
    assert isinstance(e, CalculationError) and "менеджер" in str(e) and e.field == "nds_rate"


def test_vat_other_rates_refused():
    e = refusal(dict(FINISHED, nds_rate=10))
    assert not isinstance(e, ManagerRequired)
    assert str(e) == "Ставка НДС 10 % не подходит: при УСН это 0, 5, 7 %"
    for ok in (0, 5, 7, "7", "5%"):
        calculate(dict(FINISHED, nds_rate=ok))


@pytest.mark.parametrize("field,value,words", [
    ("area_m2", 0, "Площадь должна быть больше нуля"),
    ("area_m2", -5, "Площадь должна быть больше нуля"),
    ("area_m2", "много", "не понимаю число «много»"),
    ("area_m2", float("nan"), "обычное число"),
    ("price_per_m2", 0, "Цена за м² должна быть больше нуля"),
    ("kind", "warehouse", "Не понимаю тип помещения «warehouse»"),
    ("repairs", "luxury", "Не понимаю вариант отделки «luxury»"),
    ("estate_class", "C", "нужен A или B"),
    ("as_of", "15.01.2026", "ГГГГ-ММ-ДД"),
    ("rent_rate", -1, "Ставка аренды должна быть больше нуля"),
    ("distance_to_metro_m", -1, "не может быть отрицательным"),
    ("area_m2", True, "нужно число"),
])
def test_bad_values(field, value, words):
    e = refusal(dict(FINISHED, **{field: value}))
    assert words in str(e) and e.field == field


def test_missing_and_unknown_parameters():
    e = refusal({k: v for k, v in FINISHED.items() if k != "area_m2"})
    assert e.field == "area_m2" and "площадь" in str(e)
    e = refusal(dict(FINISHED, area=700))
    assert "Неизвестный параметр: area" == str(e)
    assert "и в метрах, и в минутах" in str(refusal(dict(FINISHED, distance_to_metro_m=300, distance_to_metro_min=4)))


def test_retail_needs_rent_and_ready_price():
    retail = dict(kind="finished_retail", area_m2=100, price_per_m2=300_000, repairs="none", nds_rate=0, as_of="2026-01-15")
    assert refusal(retail).field == "monthly_rent_rub"
    building = dict(retail, kind="building_retail", monthly_rent_rub=300_000, readiness="1Q2027")
    assert refusal(building).field == "sale_price_per_m2_ready"
    calculate(dict(building, price_ready=400_000))  # a direct rate replaces the question


def test_office_without_rates_needs_station_class_distance():
    bare = {k: v for k, v in FINISHED.items() if k not in ("rent_rate", "cadastral")}
    assert refusal(bare).field == "metro_station"
    station = {"name": "ЦСКА", "rent_A": 40_000, "price_A": 400_000, "average_cadastral_value": 200_000}
    rows = {"distance_rows": [{"min_distance": 0, "max_distance": 5000, "coeff": 1}],
            "square_rows": [{"min_square": 0, "max_square": 10_000, "coeff": 1}]}
    with pytest.raises(CalculationError) as info:
        calculate(dict(bare, metro_station="ЦСКА", estate_class="A"), station=station, **rows)
    assert info.value.field == "distance_to_metro_m"
    with pytest.raises(CalculationError) as info:
        calculate(dict(bare, metro_station="ЦСКА", distance_to_metro_m=300), station=station, **rows)
    assert info.value.field == "estate_class"
    with pytest.raises(CalculationError) as info:
        calculate(dict(bare, metro_station="ЦСКА", estate_class="A", distance_to_metro_m=6000), station=station, **rows)
    assert str(info.value) == "Расстояние до метро 6\u202f000 м вне наших таблиц (от 0 до 5\u202f000 м)"
    with pytest.raises(RatesUnavailable):
        calculate(dict(bare, metro_station="ЦСКА", estate_class="B", distance_to_metro_m=300), station=station, **rows)


def test_cyrillic_class_letter_accepted():
    assert prepare(dict(FINISHED, estate_class="а")).inputs.estate_class == "A"
    assert prepare(dict(FINISHED, estate_class="В")).inputs.estate_class == "B"


def test_finished_units_ignore_building_slots():
    r = calculate(dict(FINISHED, readiness="1Q2020", tranches={"1Q2020": 10}))
    assert r.case.r == 0 and r.inputs.readiness is None and r.inputs.tranches is None
    assert r.rent_irr == 15.9
