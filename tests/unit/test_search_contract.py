"""The columnar index and the MongoDB query path must agree: same ids, same order, same advice.

Run on mongomock (and the embedded store, which is mongomock with files); the same code talks
to a real MongoDB through pymongo.
"""

import itertools
import random
import uuid

import pytest

from tests.unit.search_data import M, edge_offers
from wewall import storage
from wewall.data.demo import demo_estates, demo_stations
from wewall.search import Criteria, MongoSearch, SearchEngine, get_engine, reset_engines, to_filter


@pytest.fixture
def db():
    return storage.get_db("mongomock://", name=f"s{uuid.uuid4().hex[:8]}")


def demo_with_irr(n=1500):
    docs = demo_estates(demo_stations(), n, seed=7)
    rng = random.Random(3)
    for d in docs:
        if d["deal"] == "sale" and rng.random() < 0.8:
            d["irr_percent"] = round(rng.uniform(2, 16), 1)
    return docs


def criteria_grid():
    rng = random.Random(11)
    out = []
    for deal, type_ in itertools.product(("sale", "rent"), ("office", "retail", "any")):
        for _ in range(6):
            sale = deal == "sale"
            out.append(
                Criteria(
                    deal=deal, type=type_,
                    budget_rub=rng.choice([None, 20 * M, 80 * M, 300 * M] if sale else [None, 150_000, 600_000, 2 * M]),
                    zone=rng.choice(["any", "ttk", "mkad"]),
                    min_area_m2=rng.choice([None, 50, 150, 400]),
                    max_metro_minutes=rng.choice([None, 5, 10, 20]),
                    max_metro_m=rng.choice([None, None, 900]),
                    finish=rng.choice(["any", "ready"]),
                    estate_class=rng.choice(["any", "A", "B"]),
                    readiness=rng.choice(["any", "ready"]),
                    purpose=rng.choice([None, "investment", "business"]),
                    min_irr=rng.choice([None, 6, 10]),
                )
            )
    return out


def test_both_paths_return_the_same_ids_in_the_same_order(db):
    docs = demo_with_irr() + edge_offers()
    storage.insert_estates(db, docs)
    columnar = SearchEngine.from_db(db)
    mongo = MongoSearch(db)
    nonempty = 0
    for c in criteria_grid():
        a, b = columnar.search(c, advise=False), mongo.search(c, advise=False)
        assert a.total == b.total == mongo.count(c), c
        assert a.ids == b.ids, c
        assert a.scores == pytest.approx(b.scores)
        assert [o["_id"] for o in a.offers] == a.ids
        nonempty += a.total > 0
    assert nonempty >= 20  # the grid is not a set of empty searches


def test_both_paths_give_the_same_relaxation_advice(db):
    storage.insert_estates(db, demo_with_irr())
    columnar, mongo = SearchEngine.from_db(db), MongoSearch(db)
    c = Criteria(deal="sale", type="office", zone="ttk", budget_rub=80 * M, min_area_m2=150, estate_class="A",
                 max_metro_minutes=8, purpose="investment", min_irr=12)
    a, b = columnar.search(c), mongo.search(c)
    assert a.total == b.total < 3
    assert [r.to_dict() for r in a.relaxations] == [r.to_dict() for r in b.relaxations]
    assert len(a.relaxations) == 3
    assert a.advice == b.advice and a.advice.startswith("Если ")


def test_the_mongo_filter_of_the_edges():
    f = to_filter(Criteria(deal="rent", type="any", budget_rub=100_000, min_area_m2=100, zone="mkad", max_metro_minutes=10))
    assert f["deal"] == "rent" and f["type"] == {"$in": ["office", "retail"]}
    assert f["rent_rub_month"]["$lte"] == pytest.approx(110_000) and f["rent_rub_month"]["$lte"] >= 110_000
    assert f["area_m2"]["$gte"] == pytest.approx(90) and f["area_m2"]["$gte"] <= 90
    assert f["zone"] == {"$in": ["ttk", "mkad"]} and f["metro.0.walk_minutes"] == {"$lte": 10}
    assert f["price_on_request"] == {"$ne": True}


def test_the_shared_engine_rebuilds_when_offers_change(db):
    reset_engines()
    storage.insert_estates(db, edge_offers())
    first = get_engine(db)
    assert get_engine(db) is first
    storage.delete_estates(db, {"_id": "under"})
    second = get_engine(db)
    assert second is not first and second.index.n == first.index.n - 1
    result = second.search(Criteria(deal="sale", type="office", budget_rub=100 * M))
    assert "under" not in result.ids and result.offers[0]["_id"] == result.ids[0]
