"""The finance model against finance-model.md: the worked check and hand arithmetic per kind."""

import datetime as dt

import pytest

from wewall.calculator import Assumptions, annual_irr, calculate, minutes_to_meters
from wewall.calculator.examples import BUILDING, FINISHED
from wewall.calculator.model import VERDICT_TEXTS


def col(result, name):
    return result.rent.components[name]


# ---------------------------------------------------------------- the spec's worked check


def test_worked_check_finished_office():
    r = calculate(FINISHED)
    assert r.rent_irr == 15.9
    assert r.rent_irr_exact == pytest.approx(15.9104, abs=1e-3)
    assert r.sale_irr is None and r.sale is None
    assert r.rent.labels[0] == "1Q2026" and r.rent.labels[-1] == "4Q2031"
    assert col(r, "purchase")[0] == -350_000_000
    assert col(r, "fitout")[1] == -49_000_000
    assert col(r, "rent")[:3] == [0, 0, 0]
    assert col(r, "rent")[3:7] == [pytest.approx(10_500_000)] * 4
    assert col(r, "rent")[7] == pytest.approx(10_500_000 * 1.07)
    assert col(r, "rent")[11] == pytest.approx(10_500_000 * 1.07**2)
    assert col(r, "property_tax")[3] == 0
    assert col(r, "property_tax")[4:] == [pytest.approx(-656_250)] * 20
    last_rent = 10_500_000 * 1.07**5  # q23: floor((23 − 3) / 4) = 5 indexations
    assert col(r, "terminal_value")[23] == pytest.approx(4 * last_rent / 0.085)
    assert col(r, "terminal_tax")[23] == pytest.approx(-0.11 * 4 * last_rent / 0.085)
    assert r.verdict["code"] == "high"


def test_worked_check_building_office():
    r = calculate(BUILDING)
    assert r.rent_irr == 18.5
    assert r.sale_irr == 17.3
    assert r.rent_irr_exact == pytest.approx(18.4712, abs=1e-3)
    assert r.sale_irr_exact == pytest.approx(17.2893, abs=1e-3)
    assert r.case.r == 6
    assert col(r, "purchase")[:5] == [-168_000_000, 0, -56_000_000, 0, -56_000_000]
    assert col(r, "fitout")[7] == -49_000_000
    first = 700 * 60_000 * 1.06 ** (6 / 4) / 4  # the rent grew with inflation until readiness
    assert col(r, "rent")[8] == 0 and col(r, "rent")[9] == pytest.approx(first)
    assert col(r, "rent")[13] == pytest.approx(first * 1.07)
    assert col(r, "property_tax")[9] == 0 and col(r, "property_tax")[10] == pytest.approx(-656_250)
    sale = 700 * 520_000 * 1.06 ** (6 / 4)
    assert r.sale.labels[-1] == "4Q2027" and len(r.sale.total) == 8
    assert r.sale.components["sale"][7] == pytest.approx(sale)
    assert r.sale.components["sale_tax"][7] == pytest.approx(-0.11 * sale)
    assert r.verdict["code"] == "high" and r.verdict["basis"] == "rent"


def test_worked_check_totals():
    t = calculate(FINISHED).totals
    assert t["purchase"] == -350_000_000
    assert t["fitout"] == -49_000_000
    rents = [10_500_000 * 1.07 ** ((q - 3) // 4) for q in range(3, 24)]
    assert t["rent_income"] == pytest.approx(sum(rents))
    tv = 4 * rents[-1] / 0.085
    assert t["terminal_value"] == pytest.approx(tv)
    assert t["taxes"] == pytest.approx(-0.11 * (sum(rents) + tv) - 20 * 656_250)
    assert t["sale_income"] is None


# ---------------------------------------------------------------- hand-computed, each kind


def test_finished_retail_by_hand():
    r = calculate(dict(
        kind="finished_retail", area_m2=100, price_per_m2=300_000, repairs="partial", nds_rate=0,
        monthly_rent_rub=250_000, as_of="2026-05-20",
    ))
    assert r.rates.rent_rate == 30_000  # 250 000 × 12 / 100
    assert r.rates.cadastral == 120_000 and r.rates.cadastral_source == "default"
    assert r.rates.price_ready is None
    assert r.rent.labels[0] == "2Q2026"
    assert col(r, "purchase")[0] == -30_000_000
    assert col(r, "fitout")[1] == -5_600_000  # 56 000 ₽/m², 80 % of the full fit-out
    assert col(r, "rent")[3] == 750_000  # 100 × 30 000 / 4
    assert col(r, "rent_tax")[3] == pytest.approx(-45_000)  # t = 6 % with VAT 0
    assert col(r, "property_tax")[4] == pytest.approx(-45_000)  # 1.5 % × 120 000 × 100 / 4
    assert r.sale is None and r.irr_status["sale"] == "not_applicable"


def test_building_retail_by_hand():
    r = calculate(dict(
        kind="building_retail", area_m2=200, price_per_m2=250_000, repairs="none", nds_rate=7,
        monthly_rent_rub=400_000, sale_price_per_m2_ready=350_000, readiness="4Q2026",
        tranches={"4Q2026": 50, "1Q2026": 50}, as_of="2026-03-01",
    ))
    assert r.case.r == 3 and r.case.tax_rate == pytest.approx(0.13)
    assert r.rates.rent_rate == 24_000 and r.rates.price_ready == 350_000
    assert col(r, "purchase")[0] == -25_000_000 and col(r, "purchase")[3] == -25_000_000
    assert col(r, "fitout") == [0.0] * 24
    rent6 = 200 * 24_000 * 1.06**0.75 / 4
    assert col(r, "rent")[5] == 0 and col(r, "rent")[6] == pytest.approx(rent6)
    assert col(r, "rent")[10] == pytest.approx(rent6 * 1.07)
    assert col(r, "property_tax")[6] == 0 and col(r, "property_tax")[7] == pytest.approx(-90_000)
    sale = 200 * 350_000 * 1.06**0.75
    assert r.sale.total == pytest.approx([-25_000_000, 0, 0, -25_000_000, sale * 0.87])
    assert r.totals["sale_income"] == pytest.approx(sale)
    assert r.totals["sale_net"] == pytest.approx(sale * 0.87 - 50_000_000)


def test_building_ready_in_deal_quarter():
    r = calculate(dict(BUILDING, readiness="1Q2026", tranches=None))
    assert r.case.r == 0 and r.inputs.tranches == {"1Q2026": 100.0}
    assert col(r, "fitout")[1] == -49_000_000
    assert col(r, "rent")[3] == pytest.approx(10_500_000)  # no inflation uplift at r = 0
    assert r.sale.total == pytest.approx([-280_000_000, 700 * 520_000 * 0.89])


def test_building_office_from_tables_by_hand():
    station = {"name": "ЦСКА", "price_A": 400_000, "rent_A": 40_000, "price_B": 300_000, "rent_B": 30_000,
               "average_cadastral_value": 200_000}
    from wewall.data.coeffs import DEMO_COEFFS

    inputs = dict(BUILDING, area_m2=150, metro_station="ЦСКА", estate_class="A", distance_to_metro_m=400)
    for k in ("rent_rate", "price_ready", "cadastral"):
        inputs.pop(k)
    r = calculate(inputs, station=station, distance_rows=DEMO_COEFFS["way_to_subway_coeffs"],
                  square_rows=DEMO_COEFFS["square_coeffs"])
    # 400 m → k 1.00; 150 m² → k 1.05
    assert r.rates.rent_rate == pytest.approx(42_000)
    assert r.rates.price_ready == pytest.approx(420_000)
    assert r.rates.cadastral == 200_000
    assert col(r, "property_tax")[10] == pytest.approx(-0.015 * 200_000 * 150 / 4)


# ---------------------------------------------------------------- IRR edge cases, verdicts


def test_irr_absent_all_outflows():
    # Property tax from the deal quarter on a tiny rent: every quarter loses money.
    r = calculate(dict(FINISHED, rent_rate=1, cadastral=1_000_000), assumptions=Assumptions(property_tax_lag_quarters=0))
    assert r.rent_irr is None and r.irr_status["rent"] == "no_inflows"
    d = r.to_dict()
    assert d["rent_irr"] is None and "IRR не существует" in d["irr_notes"]["rent"]
    assert r.verdict["code"] == "very_low" and r.verdict["irr"] is None


def test_irr_absent_without_real_root():
    assert annual_irr([-100, 50, -100]) == (None, "no_solution")
    r = calculate(dict(FINISHED, rent_rate=1, cadastral=1_000_000))
    assert r.rent_irr is None and r.irr_status["rent"] in ("no_solution", "no_inflows")
    assert r.verdict["code"] == "very_low"


def test_annual_irr_compounds_quarters():
    irr, reason = annual_irr([-100, 0, 0, 0, 110])
    assert reason is None and irr == pytest.approx(10.0)


@pytest.mark.parametrize("irr,code", [(5.9, "very_low"), (6.0, "very_low"), (6.1, "below_market"),
                                      (8.0, "below_market"), (9.99, "average"), (10.04, "average"),
                                      (10.05, "high")])
def test_verdict_thresholds_finished(irr, code):
    from wewall.calculator.inputs import prepare
    from wewall.calculator.model import verdict

    v = verdict(prepare(FINISHED), irr, None, {"rent": 1.0})
    assert v["code"] == code and v["text"] == VERDICT_TEXTS[code]


@pytest.mark.parametrize("rent,sale,code,basis", [(8.0, 9.5, "average", "sale"), (13.1, 2.0, "high", "rent"),
                                                  (None, 7.0, "below_market", "sale"), (5.0, None, "very_low", "rent")])
def test_verdict_building_uses_the_better_scenario(rent, sale, code, basis):
    from wewall.calculator.inputs import prepare
    from wewall.calculator.model import verdict

    v = verdict(prepare(BUILDING), rent, sale, {"rent": 1.0, "sale": 1.0})
    assert (v["code"], v["basis"]) == (code, basis)


# ---------------------------------------------------------------- configuration, helpers


def test_assumptions_are_configurable():
    base = calculate(FINISHED)
    r = calculate(FINISHED, assumptions=Assumptions(cap_rate=0.1, rent_holidays_quarters=4, fitout_full_per_m2=50_000))
    assert col(r, "rent")[4] == 0 and col(r, "rent")[5] == pytest.approx(10_500_000)
    assert col(r, "fitout")[1] == -35_000_000
    assert r.rent_irr < base.rent_irr
    assert Assumptions.from_dict(Assumptions(ipc=0.05).to_dict()) == Assumptions(ipc=0.05)
    with pytest.raises(ValueError):
        Assumptions(rent_holidays_quarters=20)


def test_deal_quarter_defaults_to_today():
    r = calculate({k: v for k, v in FINISHED.items() if k != "as_of"})
    today = dt.date.today()
    assert r.rent.labels[0] == f"{(today.month - 1) // 3 + 1}Q{today.year}"


def test_minutes_to_meters():
    assert minutes_to_meters(5) == 400
    assert minutes_to_meters(10, "transport") == 3000
    assert minutes_to_meters("7,5", "walk") == 600
    r = calculate(dict(FINISHED, distance_to_metro_min=5, distance_mode="transport"))
    assert r.inputs.distance_to_metro_m == 1500


def test_to_dict_shape():
    d = calculate(BUILDING).to_dict()
    for key in ("inputs", "rent_irr", "sale_irr", "rent_rate", "price_ready", "cadastral", "totals", "flows", "verdict"):
        assert key in d
    assert set(d["totals"]) >= {"purchase", "fitout", "rent_income", "terminal_value", "taxes", "sale_income"}
    assert d["inputs"]["tranches"] == {"1Q2026": 60.0, "3Q2026": 20.0, "1Q2027": 20.0}
    row = d["flows"][9]
    assert row["label"] == "2Q2028"
    assert set(row) >= {"purchase", "fitout", "rent", "rent_tax", "property_tax", "terminal_value", "total", "cumulative"}
    assert d["flows"][-1]["cumulative"] == pytest.approx(d["totals"]["rent_net"], abs=0.05)
    assert d["verdict"]["code"] in ("very_low", "below_market", "average", "high")
    assert d["verdict"]["text"]
