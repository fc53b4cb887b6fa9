"""Station rates from the offers' medians, and IRRs on the demo offers of `make run`."""

import uuid

import pytest

from tests.conftest import real_offer_paths, real_stations_db
from wewall import storage
from wewall.data import commands
from wewall.data import market_rates as mr
from wewall.search import Criteria, SearchEngine

STATION = {"_id": "st", "name": "Станция", "lat": 55.75, "lng": 37.60}


def office(i, deal, cls, ppm, lat=55.75, lng=37.60, **kw):
    return {"_id": str(i), "deal": deal, "type": "office", "estate_class": cls, "price_per_m2": ppm,
            "price_on_request": False, "location": {"type": "Point", "coordinates": [lng, lat]}, **kw}


def test_median_of_the_offices_near_the_station_in_two_buildings_at_least():
    offers = [
        office(1, "sale", "A", 400_000), office(2, "sale", "A", 500_000, lat=55.751), office(3, "sale", "A", 900_000),
        office(4, "sale", "A", 10, lat=55.80),  # 5.5 km away: not near
        office(5, "sale", "A", 1, price_on_request=True),
        office(6, "rent", "A", 4_000), office(7, "rent", "A", 5_000), office(8, "rent", "A", 6_000),  # one building
        office(9, "sale", "B", 300_000), office(10, "sale", "B", 310_000, lat=55.751),  # only 2 offers
    ]
    found = mr.station_rates([STATION], offers)
    assert found["st"]["rates"] == {"price_A": 500_000.0}
    assert found["st"]["basis"]["price_A"] == {"offers": 3, "buildings": 2, "radius_m": 1500.0}
    assert mr.describe(found["st"]["basis"], "price_A") == "медиана 3 предложений в 2 зданиях в радиусе 1,5 км"
    offers.append(office(11, "rent", "A", 5_500, lat=55.752))
    rent = mr.station_rates([STATION], offers)["st"]
    assert rent["rates"]["rent_A"] == 5_250 * 12  # per m² a month in the offers, a year in the rates


def test_demo_offers_have_irrs_so_an_investor_finds_some():
    db = storage.get_db("mongomock://", name=f"d{uuid.uuid4().hex[:8]}")
    done = commands.load_demo(db, lambda m: None, estates=300)
    assert done["IRR предложений на продажу"] > 0
    engine = SearchEngine.from_db(db)
    result = engine.search(Criteria(deal="sale", type="office", purpose="investment", min_irr=8))
    assert result.total > 0 and all(o["irr_percent"] >= 8 for o in result.offers)


@pytest.mark.shared_data
def test_real_offers_replace_the_demo_rates_where_enough_offers_are_near():
    db = real_stations_db("r")
    lines = []
    commands.import_estates(db, real_offer_paths()[:3], lines.append)  # the map's files, not CIAN
    assert any(line.startswith("Ставки станций по медианам предложений") for line in lines)
    st = storage.get_station(db, "Белорусская")
    assert st["rates_source"] == "offers" and st["rates_basis"]["price_A"]["offers"] >= 3
    # the median, computed here from the documents: A-class sale lots within 1.5 km
    import numpy as np

    from wewall.geo import haversine_m

    near = [d["price_per_m2"] for d in db[storage.ESTATES].find({"deal": "sale", "estate_class": "A", "type": "office"})
            if d["price_per_m2"] and haversine_m(st["lat"], st["lng"], d["location"]["coordinates"][1], d["location"]["coordinates"][0]) <= 1500]
    assert st["price_A"] == round(float(np.median(near)), -2)
    far = storage.get_station(db, "Бунинская аллея")
    assert far["rates_source"] == "demo"
