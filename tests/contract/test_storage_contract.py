"""The storage contract: the same cases on every backend that is available here.

The embedded store and mongomock always run; a real MongoDB runs when
WEWALL_TEST_MONGODB_URI is set (production uses one).
"""

import datetime as dt
import os
import uuid

import pytest

from wewall import storage
from wewall.blocking import run_blocking
from wewall.data import coeffs

BACKENDS = ["embedded", "mongomock", "mongodb"]


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    if request.param == "embedded":
        yield storage.get_db("", data_dir=tmp_path)
    elif request.param == "mongomock":
        yield storage.get_db("mongomock://", name=f"t{uuid.uuid4().hex[:8]}")
    else:
        uri = os.environ.get("WEWALL_TEST_MONGODB_URI")
        if not uri:
            pytest.skip("WEWALL_TEST_MONGODB_URI не задан: нет сервера MongoDB для контрактных тестов")
        name = f"wewall_test_{uuid.uuid4().hex[:8]}"
        database = storage.get_db(uri, name=name)
        yield database
        database.client.drop_database(name)


def _station(name, key, **extra):
    return {"_id": key, "name": name, "name_key": key, "lines": [], "lat": 55.75, "lng": 37.6, **extra}


def _estate(i, **fields):
    doc = {
        "_id": f"e{i}",
        "deal": "sale",
        "type": "office",
        "area_m2": 100.0 + i,
        "price_rub": 1_000_000.0 * (i + 1),
        "metro": [{"station": "Сокол", "walk_minutes": i}],
    }
    doc.update(fields)
    return doc


def test_empty_store_counts_zero(db):
    assert storage.counts(db) == dict.fromkeys(storage.COLLECTIONS, 0)


def test_station_found_by_any_spelling(db):
    storage.replace_stations(db, [_station("Филёвский парк", "филевский парк")])
    for spelling in ["Филёвский парк", "филевский ПАРК", "  Филевский   парк "]:
        assert storage.get_station(db, spelling)["name"] == "Филёвский парк"
    assert storage.get_station(db, "Сокольники") is None


def test_reimport_keeps_rates_and_drops_missing_stations(db):
    storage.replace_stations(db, [_station("Сокол", "сокол"), _station("Динамо", "динамо")])
    rates = {"price_A": 500000, "price_B": 400000, "rent_A": 50000, "rent_B": 40000, "average_cadastral_value": 200000}
    storage.set_station_rates(db, "сокол", rates, "imported")
    storage.replace_stations(db, [_station("Сокол", "сокол")])
    kept = storage.get_station(db, "Сокол")
    assert kept["price_A"] == 500000 and kept["rates_source"] == "imported"
    assert storage.get_station(db, "Динамо") is None
    assert [s["name"] for s in storage.list_stations(db)] == ["Сокол"]


def test_coeffs_roundtrip_sorted_lookup(db):
    rows = coeffs.validate_rows(storage.SQUARE_COEFFS, coeffs.DEMO_COEFFS[storage.SQUARE_COEFFS])
    storage.replace_coeffs(db, storage.SQUARE_COEFFS, rows)
    stored = storage.get_coeffs(db, storage.SQUARE_COEFFS)
    assert len(stored) == len(rows) and all("_id" not in r for r in stored)
    assert coeffs.lookup(storage.SQUARE_COEFFS, stored, 100) == 1.15  # a shared bound belongs to the lower row
    assert coeffs.lookup(storage.SQUARE_COEFFS, stored, 100.5) == 1.05


def test_estate_filters_sort_limit(db):
    storage.insert_estates(db, [_estate(i) for i in range(10)] + [_estate(10, deal="rent", rent_rub_month=90000)])
    found = storage.find_estates(
        db,
        {"deal": "sale", "area_m2": {"$gte": 103}, "price_rub": {"$lte": 8_000_000}, "metro.station": "Сокол"},
        sort=[("price_rub", -1)],
        limit=3,
    )
    assert [d["_id"] for d in found] == ["e7", "e6", "e5"]
    assert storage.get_estate(db, "e10")["rent_rub_month"] == 90000
    assert storage.delete_estates(db, {"deal": "rent"}) == 1
    assert storage.counts(db)[storage.ESTATES] == 10


def test_indexes_are_idempotent(db):
    storage.ensure_indexes(db)
    storage.ensure_indexes(db)
    names = db[storage.ESTATES].index_information()
    assert "deal_1_type_1_area_m2_1" in names
    assert "name_key_1" in db[storage.SUBWAY_STATIONS].index_information()


def test_unique_station_key(db):
    storage.ensure_indexes(db)
    storage.replace_stations(db, [_station("Сокол", "сокол")])
    with pytest.raises(Exception):  # noqa: B017 (mongomock and pymongo raise different classes)
        db[storage.SUBWAY_STATIONS].insert_one({"_id": "x", "name_key": "сокол"})


def test_provenance_and_datetimes(db):
    storage.set_source(db, storage.ESTATES, "imported", "/tmp/file.json", rows=5)
    src = storage.get_source(db, storage.ESTATES)
    assert (src["kind"], src["source"], src["rows"]) == ("imported", "/tmp/file.json", 5)
    assert abs(src["loaded_at"].replace(tzinfo=dt.timezone.utc) - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=1)
    storage.set_source(db, storage.ESTATES, "demo", "wewall.data.demo")
    assert storage.get_source(db, storage.ESTATES)["kind"] == "demo"


async def _count_async(db):
    return await run_blocking(storage.counts, db)


def test_run_blocking_off_the_loop(db):
    import asyncio
    import threading

    seen = {}

    def which_thread(d):
        seen["thread"] = threading.current_thread().name
        return storage.counts(d)

    async def go():
        return await run_blocking(which_thread, db)

    assert asyncio.run(go())[storage.ESTATES] == 0
    assert seen["thread"].startswith("wewall-db")
