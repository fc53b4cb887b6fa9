"""The calculation against the real offers of ../shared/data/commercial (skipped when absent):
a retail calculation's analogs, and the median IRR of comparable offices."""

import datetime as dt

import numpy as np
import pytest

from tests.conftest import real_offer_paths, real_stations_db
from wewall import storage
from wewall.calculator.market import comparable_irr
from wewall.data import commands
from wewall.data.nearest import StationLocator
from wewall.dialogue import calculation as calc
from wewall.geo import haversine_m
from wewall.search import SearchEngine

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def real():
    db = real_stations_db("calc")
    commands.load_demo(db, lambda m: None, estates=0)  # coefficient tables for the IRR
    commands.import_estates(db, real_offer_paths(), lambda m: None)
    commands.precompute_irr(db, lambda m: None, as_of=dt.date(2026, 6, 30))
    return db, SearchEngine.from_db(db), StationLocator.from_db(db)


def test_a_retail_calculation_finds_analogs_on_the_real_offers(real):
    db, engine, locator = real
    inputs = {"kind": "finished_retail", "area_m2": 60.0, "price_per_m2": 300_000.0, "metro_station": "Павелецкая",
              "monthly_rent_rub": 180_000.0, "repairs": "none", "nds_rate": 0}
    # without the station (as before: retail never asked it) nothing can be near
    assert engine.find_analogs(inputs, locator=locator).count == 0
    subject = calc.analogs_subject(inputs, locator.position("Павелецкая"))
    result = engine.find_analogs(subject, locator=locator)
    lat, lng = locator.position("Павелецкая")
    expected = [
        d for d in db[storage.ESTATES].find({"deal": "rent", "type": "retail"})
        if d.get("price_per_m2") and 42 <= d["area_m2"] <= 78
        and (d["metro"][0]["station"] == "Павелецкая" or haversine_m(lat, lng, *reversed(d["location"]["coordinates"])) <= 1500)
    ]
    assert result.count == len(expected) > 0
    assert result.median_price_per_m2 == pytest.approx(float(np.median([d["price_per_m2"] for d in expected])), abs=0.01)
    assert "₽ за м² в месяц" in result.text


def test_median_irr_of_comparable_offices(real):
    db, engine, locator = real
    inputs = {"kind": "finished_office", "area_m2": 150, "price_per_m2": 450_000, "estate_class": "A",
              "metro_station": "Павелецкая", "repairs": "none", "nds_rate": 0}
    market = comparable_irr(engine, inputs, locator=locator)
    lat, lng = locator.position("Павелецкая")
    expected = [
        d["irr_percent"] for d in db[storage.ESTATES].find({"deal": "sale", "type": "office", "estate_class": "A"})
        if d.get("irr_percent") is not None and 75 <= d["area_m2"] <= 225
        and (d["metro"][0]["station"] == "Павелецкая" or haversine_m(lat, lng, *reversed(d["location"]["coordinates"])) <= 1500)
    ]
    assert len(expected) >= 3
    assert market == {"median_irr": round(float(np.median(expected)), 1), "count": len(expected)}
    # far from any office with an IRR: nothing to compare with, and the text says nothing
    assert comparable_irr(engine, dict(inputs, metro_station="Коммунарка"), locator=locator) is None
