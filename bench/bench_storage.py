"""The embedded document store against plain mongomock: what persistence costs."""

import tempfile
import time

from bench.table import print_table
from wewall import storage
from wewall.data.demo import demo_estates, demo_stations

QUERY = {"deal": "sale", "type": "office", "area_m2": {"$gte": 200}, "price_rub": {"$lte": 300_000_000}}


def _measure(db, docs):
    started = time.perf_counter()
    storage.insert_estates(db, docs)
    insert_s = time.perf_counter() - started
    started = time.perf_counter()
    storage.save(db)
    save_s = time.perf_counter() - started
    runs = 5
    started = time.perf_counter()
    for _ in range(runs):
        storage.find_estates(db, QUERY, sort=[("price_rub", 1)], limit=8)
    query_ms = (time.perf_counter() - started) / runs * 1000
    return insert_s, save_s, query_ms


def main() -> None:
    rows = []
    for n in (1_000, 10_000):
        docs = demo_estates(demo_stations(), n)
        with tempfile.TemporaryDirectory() as folder:
            embedded = storage.get_db("", name="bench", data_dir=folder)
            ins, save, q = _measure(embedded, docs)
            storage.reset_clients()
            started = time.perf_counter()
            storage.get_db("", name="bench", data_dir=folder)[storage.ESTATES].count_documents({})
            load = time.perf_counter() - started
            rows.append(["embedded", n, f"{ins:.2f}", f"{save:.2f}", f"{load:.2f}", f"{q:.1f}"])
        mock = storage.get_db("mongomock://", name=f"bench{n}")
        ins, save, q = _measure(mock, docs)
        rows.append(["mongomock", n, f"{ins:.2f}", "-", "-", f"{q:.1f}"])
        storage.reset_clients()
    print_table(["backend", "offers", "insert s", "save s", "reopen s", "filter+sort ms"], rows)
