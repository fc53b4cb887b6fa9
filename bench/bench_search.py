"""Offer search: query latency of the columnar index at 10 000 – 1 000 000 demo offers, against
mongomock queries at 10 000, the index's build time and memory, and the import rate of the
real files (when ../shared/data is there).

The million offers are streamed from the demo generator into the index and never held as
documents (they would take gigabytes). Demo offers carry no IRR (the model is run by
`precompute-irr`); here sale offers get a random `irr_percent` so that the investor query
filters and ranks on something: its cost does not depend on the values.
"""

from __future__ import annotations

import functools
import os
import random
import resource
import statistics
import time
import uuid
from pathlib import Path
from typing import Iterable, Iterator

from bench.table import print_table
from wewall import storage
from wewall.data.demo import demo_stations, iter_demo_estates
from wewall.data.nearest import StationLocator
from wewall.search import ColumnarIndex, Criteria, MongoSearch, SearchEngine

# WEWALL_BENCH_SEARCH_SIZES=10000,100000 for a quick run while developing.
SIZES = tuple(int(x) for x in os.environ.get("WEWALL_BENCH_SEARCH_SIZES", "10000,100000,1000000").split(","))
MONGO_SIZE = 10_000
RUNS = 60
MONGO_RUNS = 5
M = 1_000_000

QUERIES = {
    "офис купить, ТТК, ≤100 млн, ≥100 м²": Criteria(deal="sale", type="office", zone="ttk", budget_rub=100 * M, min_area_m2=100),
    "офис аренда A, МКАД, ≤500 тыс/мес, ≥150 м², ≤10 мин": Criteria(
        deal="rent", type="office", zone="mkad", budget_rub=500_000, min_area_m2=150, max_metro_minutes=10, estate_class="A"),
    "стрит-ритейл аренда, ≤300 тыс/мес": Criteria(deal="rent", type="retail", budget_rub=300_000),
    "инвестор: IRR ≥ 10 %, готовые": Criteria(deal="sale", type="any", purpose="investment", min_irr=10, readiness="ready"),
    "ничего не найдено → советы": Criteria(
        deal="sale", type="office", zone="ttk", estate_class="A", budget_rub=10 * M, min_area_m2=300, finish="ready"),
    "мало, без бюджета → советы": Criteria(
        deal="rent", type="any", zone="ttk", estate_class="A", min_area_m2=4000, max_metro_minutes=2, finish="ready"),
    # Places and ranges (the distance to a named station is computed per query).
    "у Белорусской, офис купить 100–300 м²": Criteria(
        deal="sale", type="office", stations=("Белорусская",), min_area_m2=100, max_area_m2=300),
    "у Белорусской или Маяковской ≤10 мин, аренда ≤500 тыс": Criteria(
        deal="rent", type="any", stations=("Белорусская", "Маяковская"), max_metro_minutes=10, budget_rub=500_000,
        readiness="now"),
    "ЮЗАО, стрит-ритейл аренда 30–50 м²": Criteria(deal="rent", type="retail", places=("ЮЗАО",), min_area_m2=30, max_area_m2=50),
    "внутри Садового, офис аренда, вход с улицы": Criteria(deal="rent", type="office", zone="sadovoe", wish=("street",)),
}
# As the bot asks: near-identical lots of a building folded into one card.
GROUPED = {"у Белорусской, офис купить 100–300 м²"}
# After a calculation: analogs of a 200 m² class A office at Белорусская for 500 000 ₽/m².
CALC = {"kind": "finished_office", "area_m2": 200, "price_per_m2": 500_000, "estate_class": "A",
        "metro_station": "Белорусская", "repairs": "none", "nds_rate": 0}


def offers(n: int) -> Iterator[dict]:
    rng = random.Random(5)
    for doc in iter_demo_estates(demo_stations(), n):
        if doc["deal"] == "sale":
            doc["irr_percent"] = round(rng.uniform(2, 16), 1)
        yield doc


class Timed:
    """An iterator that measures the time spent producing its items (to subtract from a build)."""

    def __init__(self, items: Iterable):
        self.items = iter(items)
        self.spent = 0.0

    def __iter__(self):
        while True:
            started = time.perf_counter()
            try:
                item = next(self.items)
            except StopIteration:
                return
            finally:
                self.spent += time.perf_counter() - started
            yield item


def _percentiles(fn, runs: int):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_queries():
    rows, build_rows = [], []
    locator = StationLocator(demo_stations())
    for n in SIZES:
        source = Timed(offers(n))
        started = time.perf_counter()
        index = ColumnarIndex.build(source, locator.positions)
        build_s = time.perf_counter() - started - source.spent
        engine = SearchEngine(index)
        build_rows.append([f"{n:,}".replace(",", " "), f"{source.spent:.1f}", f"{build_s:.2f}", f"{index.nbytes / 2**20:.0f}", f"{_rss_mb():.0f}"])
        for name, c in QUERIES.items():
            group = name in GROUPED
            result = engine.search(c, group=group)
            p50, p95 = _percentiles(functools.partial(engine.search, c, group=group), RUNS)
            rows.append(["columnar", n, name + (" (группы лотов)" if group else ""), result.total, f"{p50:.2f}", f"{p95:.2f}"])
        analogs = engine.find_analogs(CALC, locator=locator)
        p50, p95 = _percentiles(functools.partial(engine.find_analogs, CALC, locator=locator), RUNS)
        rows.append(["columnar", n, "аналоги после расчёта", analogs.count, f"{p50:.2f}", f"{p95:.2f}"])
        del engine, index
    db = storage.get_db("mongomock://", name=f"bench{uuid.uuid4().hex[:6]}")
    storage.replace_stations(db, demo_stations())
    storage.insert_estates(db, list(offers(MONGO_SIZE)))
    mongo = MongoSearch(db)
    for name, c in QUERIES.items():
        if c.stations or c.places or c.zone == "sadovoe":
            continue  # geometry is done in memory on that path too: nothing new to compare
        result = mongo.search(c)
        p50, p95 = _percentiles(functools.partial(mongo.search, c), MONGO_RUNS)
        rows.append(["mongomock", MONGO_SIZE, name, result.total, f"{p50:.1f}", f"{p95:.1f}"])
    storage.reset_clients()
    print_table(["путь", "предложений", "запрос", "найдено", "p50 мс", "p95 мс"], [[r[0], f"{r[1]:,}".replace(",", " ")] + r[2:] for r in rows])
    print()
    print_table(["предложений", "генерация с", "построение индекса с", "индекс МБ", "пик RSS МБ"], build_rows)


def bench_import():
    from wewall.data import commands
    from wewall.settings import get_settings

    folder = Path(get_settings().shared_data_dir)
    files = [folder / "commercial" / f for f in (
        "nfmap_buildings_202606.json", "nfmap_lots_202606.json", "nfmap_rent_lots_202606.json", "gp2team34_cian_psn_rent_geo.csv")]
    metro = folder / "metro" / "hh_metro_all_cities_2023-10-16.json"
    if not all(f.exists() for f in files) or not metro.exists():
        print(f"\n(реальных данных нет в {folder}: скорость импорта не измерена)")
        return
    db = storage.get_db("mongomock://", name=f"imp{uuid.uuid4().hex[:6]}")
    commands.import_stations(db, metro, lambda m: None)
    commands.load_demo(db, lambda m: None, estates=0)
    started = time.perf_counter()
    result = commands.import_estates(db, files, lambda m: None)
    import_s = time.perf_counter() - started
    read = sum(r["rows"] for r in result["reports"] if r["format"] != "nfmap_buildings")
    imported = sum(r["imported"] for r in result["reports"])
    started = time.perf_counter()
    report = commands.precompute_irr(db, lambda m: None)
    irr_s = time.perf_counter() - started
    started = time.perf_counter()
    SearchEngine.from_db(db)
    index_s = time.perf_counter() - started
    storage.reset_clients()
    print()
    print_table(
        ["шаг", "строк", "секунд", "строк/с"],
        [
            ["импорт 4 файлов (mongomock)", f"{read} → {imported}", f"{import_s:.2f}", f"{read / import_s:,.0f}".replace(",", " ")],
            ["precompute-irr", f"{report.offers} → {report.computed}", f"{irr_s:.2f}", f"{report.offers / irr_s:,.0f}".replace(",", " ")],
            ["индекс из хранилища", imported, f"{index_s:.2f}", f"{imported / index_s:,.0f}".replace(",", " ")],
        ],
    )


def main() -> None:
    bench_queries()
    bench_import()


if __name__ == "__main__":
    main()
