"""The demo station rates give a typical Moscow office a typical result (docs/calculator.md,
«Демо-ставки станций»): an office at 350–480 тыс ₽/м², class B/A, 5–10 minutes' walk from the metro, IRR ≈ 8–14 %."""

import pytest

from wewall.calculator import calculate
from wewall.data.coeffs import DEMO_COEFFS
from wewall.data.demo import DEMO_STATIONS, demo_rates

# Between the Garden Ring and the ТТК and just beyond: where most offices of the base are.
STATIONS = ["Белорусская", "Динамо", "Тульская", "Савёловская", "Бауманская", "Павелецкая", "Октябрьская", "Деловой центр"]


def _station(name):
    _, lat, lng, _ = next(s for s in DEMO_STATIONS if s[0] == name)
    return {"name": name, "rates_source": "demo", **demo_rates(lat, lng)}


def _calc(station, **inputs):
    base = dict(kind="finished_office", area_m2=200, repairs="none", nds_rate=0, metro_station=station["name"],
                as_of="2026-12-05")
    return calculate({**base, **inputs}, station=station, distance_rows=DEMO_COEFFS["way_to_subway_coeffs"],
                     square_rows=DEMO_COEFFS["square_coeffs"])


@pytest.mark.parametrize("name", STATIONS)
@pytest.mark.parametrize("cls,price", [("B", 350_000), ("A", 480_000)])
@pytest.mark.parametrize("minutes", [5, 10])
def test_a_typical_office_gives_a_typical_irr(name, cls, price, minutes):
    result = _calc(_station(name), estate_class=cls, price_per_m2=price, distance_to_metro_m=minutes * 80)
    assert 8 <= result.rent_irr <= 14.5, result.rent_irr


@pytest.mark.parametrize("name", STATIONS)
def test_a_resale_after_completion_is_not_a_windfall(name):
    station = _station(name)
    # bought off-plan 10 % under the station's ready price, commissioned in a year
    price = 0.9 * station["price_B"]
    result = _calc(station, kind="building_office", estate_class="B", price_per_m2=price, distance_to_metro_m=560,
                   repairs="full", readiness="4Q2027", tranches={"4Q2026": 100})
    assert 5 <= result.sale_irr <= 20, result.sale_irr
    assert 4 <= result.rent_irr <= 14, result.rent_irr
