"""Places, ranges, wishes and «free now» on the real offers of ../shared/data (skipped when absent).

Expected sets are computed here from the stored documents with plain haversine and the
address labels, independently of the index's vectorised code.
"""


import pytest

from tests.conftest import real_offer_paths, real_stations_db
from wewall import storage
from wewall.data import commands
from wewall.data.nearest import StationLocator
from wewall.dialogue import search as sd
from wewall.dialogue.calculation import Turn
from wewall.geo import haversine_m
from wewall.search import Criteria, MongoSearch, SearchEngine
from wewall.search import places as pl
from wewall.search.columnar import current_quarter, quarter_ordinal

pytestmark = pytest.mark.shared_data

WALK_15_M = 15 * 80


@pytest.fixture(scope="module")
def real():
    db = real_stations_db("pl")
    commands.import_estates(db, real_offer_paths(), lambda m: None)
    docs = list(db[storage.ESTATES].find())
    return db, docs, SearchEngine.from_db(db), StationLocator.from_db(db)


def latlng(d):
    lng, lat = d["location"]["coordinates"]
    return lat, lng


def test_near_belorusskaya_only_offers_within_walking_distance_nearest_first(real):
    db, docs, engine, locator = real
    station = locator.position("Белорусская")
    c = Criteria(deal="sale", type="office", stations=("Белорусская",), min_area_m2=200)
    expected = {d["_id"] for d in docs if d["deal"] == "sale" and d["type"] == "office" and d["area_m2"] >= 180
                and haversine_m(*station, *latlng(d)) <= WALK_15_M}
    result = engine.search(c, limit=500)
    assert result.total == len(expected) == 69 and set(result.ids) == expected
    assert MongoSearch(db).search(c, limit=500).total == 69
    # Without an area wish the distance alone ranks: nearest first.
    near = engine.search(Criteria(deal="sale", type="office", stations=("Белорусская",)), limit=30)
    distances = [near.near[i][1] for i in near.ids]
    assert distances == sorted(distances) and distances[-1] <= WALK_15_M


def test_the_clients_words_give_that_search(real):
    _, docs, engine, locator = real
    t = Turn("inform", [{"entity": "estate_type", "value": "office"}, {"entity": "deal", "value": "sale"},
                        {"entity": "metro_station", "value": "Белорусская"}, {"entity": "area_m2", "value": 200}],
             "офис купить у Белорусской от 200 м²")
    slots = sd.interpret(t, sd.reset_slots(), None).slots
    result = engine.search(sd.to_criteria(slots), group=True)
    station = locator.position("Белорусская")
    assert result.total == 69 and len(result.offers) == 8
    assert all(haversine_m(*station, *latlng(o)) <= WALK_15_M and o["area_m2"] >= 180 for o in result.offers)


def test_several_stations(real):
    _, docs, engine, locator = real
    names = ("Белорусская", "Маяковская")
    points = [locator.position(n) for n in names]
    c = Criteria(deal="sale", type="office", stations=names, max_metro_minutes=10)
    expected = {d["_id"] for d in docs if d["deal"] == "sale" and d["type"] == "office"
                and min(haversine_m(*p, *latlng(d)) for p in points) <= 800}
    result = engine.search(c, limit=1000)
    assert set(result.ids) == expected and len(expected) > 0
    assert {st for st, _ in result.near.values()} <= set(names)


def test_an_okrug(real):
    _, docs, engine, _ = real
    result = engine.search(Criteria(deal="rent", type="retail", places=("ЮЗАО",)), limit=1000)
    expected = {d["_id"] for d in docs if d["type"] == "retail" and d.get("okrug") == "ЮЗАО"}
    assert set(result.ids) == expected and len(expected) == 90
    offices = engine.search(Criteria(deal="sale", type="office", places=("ЮЗАО",)), limit=1000)
    assert "AFI Парк Воронцовский" in {o["name"] for o in offices.offers}  # ул. Академика Челомея, Обручевский


def test_okrug_anchors_agree_with_the_addresses(real):
    _, docs, _, locator = real
    okrugs = pl.OkrugLocator(locator.positions)
    labelled = [d for d in docs if d.get("okrug")]
    agree = sum(okrugs.okrug_of(*latlng(d)) == d["okrug"] for d in labelled)
    assert len(labelled) == 1196 and agree / len(labelled) >= 0.90


def test_moscow_city(real):
    _, docs, engine, _ = real
    result = engine.search(Criteria(deal="sale", type="office", places=("city",)), limit=1000)
    names = {o["name"] for o in result.offers}
    assert {"One Tower", "iCITY (Space)", "Aurus", "SEZAR TOWER"} <= names
    assert not names & {"Бадаевский Западная лента", "Бадаевский Восточная лента", "Light City"}
    for o in result.offers:
        assert haversine_m(*pl.CITY_CENTRE, *latlng(o)) <= pl.CITY_RADIUS_M or "Сити" in (o.get("submarket") or "")


def test_inside_the_sadovoe(real):
    _, docs, engine, _ = real
    result = engine.search(Criteria(deal="sale", type="office", zone="sadovoe"), limit=1000)
    assert result.total > 0
    # The office map's own submarkets: «СК …» is inside the Садовое, «СК-ТТК» between it and the ТТК.
    assert all(not (o.get("submarket") or "").startswith("СК-ТТК") for o in result.offers)
    assert all(o["zone"] == "ttk" for o in result.offers)


def test_an_area_range_and_a_head_count(real):
    _, _, engine, _ = real
    for slots in ({sd.AREA: {"min": 30, "max": 50}}, {sd.AREA: {"min": 120, "max": 150, "people": 15}}):
        c = sd.to_criteria({sd.TYPE: "retail", sd.DEAL: "rent", **slots})
        result = engine.search(c, limit=1000)
        assert result.total > 0
        low, high = slots[sd.AREA]["min"], slots[sd.AREA]["max"]
        assert all(low * 0.9 - 1e-9 <= o["area_m2"] <= high * 1.1 + 1e-9 for o in result.offers)


def test_rent_shows_nothing_finished_after_this_quarter(real):
    _, docs, engine, _ = real
    c = sd.to_criteria({sd.TYPE: "office", sd.DEAL: "rent"})
    now = current_quarter()
    later = [d for d in docs if d["deal"] == "rent" and d["type"] == "office" and quarter_ordinal(d.get("readiness")) > now]
    assert later  # the map rents out floors of towers still being built
    result = engine.search(c, limit=1000)
    assert result.total == 239 - len(later)
    assert all(quarter_ordinal(o.get("readiness")) <= now for o in result.offers)
    assert engine.search(c.replace(readiness="any"), limit=1000).total == 239


def test_wishes_change_the_order(real):
    _, docs, engine, _ = real
    rent = {sd.TYPE: "office", sd.DEAL: "rent", sd.READINESS: sd.ANY}
    plain = engine.search(sd.to_criteria(rent))
    wished = engine.search(sd.to_criteria({**rent, sd.WISHES: "с отделкой, парковка"}))
    assert any(o.get("finish") != "ready" for o in plain.offers)
    assert [o.get("finish") for o in wished.offers] == ["ready"] * 8  # 24 finished lots rank first
    assert wished.total == plain.total  # a wish ranks, it does not hide offers
    sale = {sd.TYPE: "office", sd.DEAL: "sale"}
    first = engine.search(sd.to_criteria({**sale, sd.WISHES: "первый этаж"}))
    assert engine.search(sd.to_criteria(sale)).ids != first.ids
    assert [o["floor"] for o in first.offers] == [1] * 8
    # «вход с улицы, витрина»: the two known basements of the street-retail rows are out
    street = engine.search(sd.to_criteria({sd.TYPE: "retail", sd.DEAL: "rent", sd.WISHES: "вход с улицы, витрина"}), limit=2000)
    assert street.total == 1196 - 2 and all(o["floor"] >= 1 for o in street.offers)
    low = engine.search(sd.to_criteria({**sale, sd.WISHES: "этаж не выше 5"}), limit=1000)
    assert low.total > 0 and all(isinstance(o["floor"], int) and o["floor"] <= 5 for o in low.offers)


def test_retail_for_sale_is_missing_and_said(real):
    _, _, engine, _ = real
    result = engine.search(Criteria(deal="sale", type="retail"))
    assert result.total == 0
    assert result.advice.startswith("Торговых помещений на продажу в базе сейчас нет")
    assert result.relaxations[0].criterion == "deal" and result.relaxations[0].count == 1196


def test_a_price_per_m2(real):
    db, docs, engine, _ = real
    c = Criteria(deal="sale", type="office", max_price_per_m2=300_000)
    expected = {d["_id"] for d in docs if d["deal"] == "sale" and d["type"] == "office" and not d["price_on_request"]
                and d["price_per_m2"] <= 330_000}
    result = engine.search(c, limit=2000)
    assert set(result.ids) == expected and len(expected) > 0
    assert MongoSearch(db).count(c) == len(expected)


def test_offers_labelled_by_their_address_label_their_neighbours(real):
    """Half of the addresses label the other half (with the station table): ≥ 95 % agree."""
    import numpy as np

    _, docs, _, locator = real
    labelled = sorted((d for d in docs if d.get("okrug")), key=lambda d: d["_id"])
    teach, check = labelled[::2], labelled[1::2]
    points = (np.array([latlng(d)[0] for d in teach]), np.array([latlng(d)[1] for d in teach]),
              np.array([pl.OKRUGS.index(d["okrug"]) for d in teach]))
    okrugs = pl.OkrugLocator(locator.positions, points)
    agree = sum(okrugs.okrug_of(*latlng(d)) == d["okrug"] for d in check)
    assert agree / len(check) >= 0.95


def test_a_district(real):
    _, docs, engine, _ = real
    result = engine.search(Criteria(deal="rent", type="retail", districts=("Басманный",)), limit=500)
    expected = {d["_id"] for d in docs if d["type"] == "retail" and d.get("district") == "Басманный"}
    assert set(result.ids) == expected and len(expected) == 48
    # offices have no district in their files: they take that of the nearest address that names one
    offices = engine.search(Criteria(deal="sale", type="office", districts=("Басманный",)), limit=500)
    assert {o["name"] for o in offices.offers} == {"Rail.A", "K-city"}
    # the words of the client: «в районе Северное Чертаново» is the base's «Чертаново Северное»
    assert engine.search(Criteria(deal="rent", type="retail", districts=("Северное Чертаново",))).total == 2
    none = engine.search(Criteria(deal="rent", type="retail", districts=("Несуществующий",)))
    assert none.total == 0 and none.relaxations[0].criterion == "district"


@pytest.mark.parametrize("c", [
    Criteria(deal="sale", type="office", districts=("Басманный",)),
    Criteria(deal="sale", type="office", places=("ЮЗАО",)),
    Criteria(deal="sale", type="office", places=("city",), min_area_m2=300),
    Criteria(deal="rent", type="any", zone="sadovoe"),
    Criteria(deal="sale", type="office", stations=("Белорусская", "Маяковская"), max_area_m2=500),
])
def test_the_mongodb_path_agrees_on_places(real, c):
    db, _, engine, _ = real
    a, b = engine.search(c, limit=50), MongoSearch(db).search(c, limit=50)
    assert a.total == b.total > 0 and a.ids == b.ids
