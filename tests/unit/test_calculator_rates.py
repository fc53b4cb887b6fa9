"""Rates of the finance model: pure from a station document and rows, and from a (mongomock) store."""

import uuid

import pytest

from wewall import storage
from wewall.calculator import CalculationError, RatesUnavailable, calculate, prepare, resolve, resolve_from_db
from wewall.data.coeffs import DEMO_COEFFS

STATION = {
    "_id": "цска", "name": "ЦСКА", "name_key": "цска",
    "price_A": 400_000, "price_B": 300_000, "rent_A": 40_000, "rent_B": 30_000, "average_cadastral_value": 200_000,
}
OFFICE = dict(
    kind="finished_office", area_m2=50, price_per_m2=450_000, repairs="none", nds_rate=0,
    metro_station="ЦСКА", estate_class="B", distance_to_metro_m=1500, as_of="2026-01-15",
)
DIST, SQUARE = DEMO_COEFFS["way_to_subway_coeffs"], DEMO_COEFFS["square_coeffs"]


@pytest.fixture
def db():
    database = storage.get_db("mongomock://", name=f"calc_{uuid.uuid4().hex[:8]}")
    storage.replace_stations(database, [dict(STATION)])
    for table, rows in DEMO_COEFFS.items():
        storage.replace_coeffs(database, table, rows)
    yield database
    database.client.drop_database(database.name)


def test_pure_office_rates():
    rates = resolve(prepare(OFFICE), STATION, DIST, SQUARE)
    # 1 500 m → 0.85; 50 m² → 1.15
    assert rates.k_distance == 0.85 and rates.k_area == 1.15
    assert rates.rent_rate == pytest.approx(30_000 * 0.85 * 1.15)
    assert rates.price_ready == pytest.approx(300_000 * 0.85 * 1.15)  # shown even for a finished unit
    assert rates.cadastral == 200_000
    assert (rates.rent_rate_source, rates.cadastral_source) == ("tables", "station")


def test_range_bounds_belong_to_the_lower_row():
    rates = resolve(prepare(dict(OFFICE, distance_to_metro_m=300, area_m2=100)), STATION, DIST, SQUARE)
    assert (rates.k_distance, rates.k_area) == (1.10, 1.15)


def test_direct_rates_win_over_tables():
    rates = resolve(prepare(dict(OFFICE, rent_rate=10_000, cadastral=1)), STATION, DIST, SQUARE)
    assert (rates.rent_rate, rates.cadastral) == (10_000, 1)
    assert rates.rent_rate_source == rates.cadastral_source == "input"


def test_retail_rates():
    retail = dict(kind="finished_retail", area_m2=80, price_per_m2=300_000, repairs="none", nds_rate=0,
                  monthly_rent_rub=200_000, as_of="2026-01-15")
    rates = resolve(prepare(retail))
    assert rates.rent_rate == 30_000 and rates.cadastral == 120_000
    assert resolve(prepare(dict(retail, metro_station="ЦСКА")), STATION).cadastral == 200_000


def test_from_db(db):
    r = calculate(OFFICE, db=db)
    assert r.rates.rent_rate == pytest.approx(30_000 * 0.85 * 1.15)
    assert r.rent_irr is not None
    assert resolve_from_db(prepare(dict(OFFICE, metro_station="цска ")), db).cadastral == 200_000


def test_from_db_building_office_reads_price_ready(db):
    r = calculate(dict(OFFICE, kind="building_office", readiness="4Q2027", estate_class="A"), db=db)
    assert r.rates.price_ready == pytest.approx(400_000 * 0.85 * 1.15)
    assert r.sale_irr is not None


def test_from_db_unknown_station(db):
    with pytest.raises(CalculationError) as info:
        calculate(dict(OFFICE, metro_station="Хогвартс"), db=db)
    assert str(info.value) == "Не нашёл станцию метро «Хогвартс»: проверьте название"
    assert not isinstance(info.value, RatesUnavailable)


def test_from_db_station_without_rates(db):
    storage.replace_stations(db, [{"_id": "аэропорт", "name": "Аэропорт", "name_key": "аэропорт"}])
    with pytest.raises(RatesUnavailable) as info:
        calculate(dict(OFFICE, metro_station="Аэропорт"), db=db)
    assert "Аэропорт" in str(info.value)
    # retail falls back to the default cadastral value instead
    retail = dict(kind="finished_retail", area_m2=80, price_per_m2=300_000, repairs="none", nds_rate=0,
                  monthly_rent_rub=200_000, metro_station="Аэропорт", as_of="2026-01-15")
    assert calculate(retail, db=db).rates.cadastral == 120_000


def test_from_db_rejects_broken_tables(db):
    storage.replace_coeffs(db, "square_coeffs", [
        {"min_square": 0, "max_square": 100, "coeff": 1.1}, {"min_square": 200, "max_square": 1000, "coeff": 1.0},
    ])
    with pytest.raises(RatesUnavailable):
        calculate(OFFICE, db=db)


def test_from_db_empty_store():
    empty = storage.get_db("mongomock://", name=f"calc_empty_{uuid.uuid4().hex[:8]}")
    with pytest.raises(RatesUnavailable):
        calculate(OFFICE, db=empty)


def test_direct_rates_never_read_the_store():
    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError("the store was read")

        __getitem__ = __getattr__

    r = calculate(dict(OFFICE, rent_rate=30_000, cadastral=200_000), db=Untouchable())
    assert r.rates.rent_rate == 30_000
