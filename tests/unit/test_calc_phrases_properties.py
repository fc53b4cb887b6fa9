"""A price said as a total and the same price said per m² give the same calculation (hypothesis),
through the real extractor, `interpret` and the finance model."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.calc_phrases import TODAY, read
from wewall.calculator import calculate
from wewall.dialogue import calculation as calc

RATES = {"rent_rate": 30_000, "cadastral": 180_000}


def _grouped(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _irr(slots: dict) -> float:
    inputs = calc.to_inputs({**slots, "calc_repairs": "none", "calc_nds_rate": 0}, TODAY)
    return calculate({**inputs, **RATES}).rent_irr


# Totals stay under a billion written in digits: ten digits such as «3 510 000 000» are a phone
# number without its +7 to wewall.nlu.contacts (a client writes «3,5 млрд» anyway).
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(area=st.integers(20, 600), thousands=st.integers(150, 1500))
def test_a_total_and_its_per_m2_form_give_the_same_result(area, thousands):
    per_m2 = thousands * 1000
    base = {calc.KIND: "finished_retail", "calc_area_m2": float(area), "calc_monthly_rent_rub": 300_000.0}
    by_m2 = read(f"{_grouped(per_m2)} за метр", base, "calc_price_per_m2")
    by_total = read(f"{_grouped(per_m2 * area)} за всё помещение", base, "calc_price_per_m2")
    assert by_m2.slots["calc_price_per_m2"] == per_m2
    assert by_total.slots["calc_price_per_m2"] == per_m2
    assert _irr({**base, **by_total.slots}) == _irr({**base, **by_m2.slots})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(area=st.integers(20, 1500), per_m2_month=st.integers(500, 9000))
def test_a_rent_per_m2_and_its_total_give_the_same_result(area, per_m2_month):
    base = {calc.KIND: "finished_retail", "calc_area_m2": float(area), "calc_price_per_m2": 300_000.0}
    by_m2 = read(f"{_grouped(per_m2_month)} за метр в месяц", base, "calc_monthly_rent_rub")
    by_total = read(f"{_grouped(per_m2_month * area)} в месяц за всё помещение", base, "calc_monthly_rent_rub")
    by_year = read(f"{_grouped(per_m2_month * area * 12)} в год", base, "calc_monthly_rent_rub")
    want = per_m2_month * area
    assert by_m2.slots["calc_monthly_rent_rub"] == want
    assert by_total.slots["calc_monthly_rent_rub"] == want
    assert by_year.slots["calc_monthly_rent_rub"] == want
    inputs = calc.to_inputs({**base, **by_m2.slots, "calc_repairs": "none", "calc_nds_rate": 0}, TODAY)
    other = calc.to_inputs({**base, **by_year.slots, "calc_repairs": "none", "calc_nds_rate": 0}, TODAY)
    assert calculate({**inputs, "cadastral": 180_000}).rent_irr == calculate({**other, "cadastral": 180_000}).rent_irr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(area=st.integers(20, 600), thousands=st.integers(150, 1500))
def test_a_total_before_the_area_is_kept_and_converted_when_it_arrives(area, thousands):
    per_m2 = thousands * 1000
    start = {calc.KIND: "finished_office"}
    kept = read(f"{_grouped(per_m2 * area)} за всё", start, "calc_price_per_m2")
    assert "calc_price_per_m2" not in kept.slots and kept.doubt["pending"]
    then = read(f"{area} м2", {**start, **kept.slots}, "calc_area_m2")
    assert then.slots["calc_area_m2"] == area and then.slots["calc_price_per_m2"] == per_m2
    assert then.slots[calc.DOUBT] is None
