"""What the `wewall data …` commands do, apart from argument parsing (so tests call them)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List

from tqdm import tqdm

from wewall import storage
from wewall.data import coeffs, demo, estates_import, estates_irr
from wewall.data import market_rates as mr
from wewall.data.nearest import StationLocator
from wewall.data.stations import read_hh_metro
from wewall.text import count

Echo = Callable[[str], None]

DEMO_ESTATES = 300


def _progress(items, desc: str, quiet: bool):
    return tqdm(items, desc=desc, unit=" шт", disable=quiet, leave=False)


def fill_demo_rates(db, echo: Echo, quiet: bool = True) -> int:
    """Give demo rates to stations that have none (imported rates are never overwritten)."""
    filled = 0
    for st in _progress(storage.list_stations(db), "ставки", quiet):
        if st.get("price_A") is None:
            storage.set_station_rates(db, st["_id"], demo.demo_rates(st.get("lat"), st.get("lng")), demo.DEMO)
            filled += 1
    return filled


def import_stations(db, path: Path, echo: Echo) -> dict:
    result = read_hh_metro(path)
    storage.replace_stations(db, result.stations)
    filled = fill_demo_rates(db, echo)
    storage.set_source(db, storage.SUBWAY_STATIONS, "imported", str(path), refused=[str(r) for r in result.refused])
    echo(
        f"Прочитано {result.entries} записей на {result.lines} линиях, "
        f"сохранено {len(result.stations)} станций (по одной на название)."
    )
    if result.refused:
        echo(f"Отклонены координаты ({len(result.refused)}), станции сохранены без них:")
        for r in result.refused:
            echo(f"  - {r}")
    if filled:
        echo(f"Демо-ставки выставлены {filled} станциям без ставок.")
    return {"stations": len(result.stations), "refused": result.refused, "demo_rates": filled}


def load_coeffs(db, path: Path, echo: Echo) -> dict:
    tables = coeffs.read_coeffs_file(path)
    for table, rows in tables.items():
        storage.replace_coeffs(db, table, rows)
        storage.set_source(db, table, "imported", str(path))
        echo(f"{table}: загружено {len(rows)} диапазонов")
    return {t: len(r) for t, r in tables.items()}


def load_demo(db, echo: Echo, estates: int = DEMO_ESTATES, force: bool = False) -> dict:
    """Demo data where a collection is empty (or everywhere with `force`); imported data stays."""
    done = {}
    if force or storage.counts(db)[storage.SUBWAY_STATIONS] == 0:
        storage.replace_stations(db, demo.demo_stations())
        storage.set_source(db, storage.SUBWAY_STATIONS, demo.DEMO, "wewall.data.demo")
        done["stations"] = len(demo.DEMO_STATIONS)
    fill_demo_rates(db, echo)
    for table, rows in coeffs.DEMO_COEFFS.items():
        if force or db[table].count_documents({}) == 0:
            storage.replace_coeffs(db, table, coeffs.validate_rows(table, rows))
            storage.set_source(db, table, demo.DEMO, "wewall.data.coeffs")
            done[table] = len(rows)
    source = storage.get_source(db, storage.ESTATES)
    only_demo = source is None or source.get("kind") == demo.DEMO
    if force or (only_demo and db[storage.ESTATES].count_documents({}) != estates):
        # --force replaces the collection: demo offers must never sit beside imported ones.
        storage.delete_estates(db, {} if force else {"demo": True})
        docs = demo.demo_estates(storage.list_stations(db), estates)
        storage.insert_estates(db, docs)
        storage.set_source(db, storage.ESTATES, demo.DEMO, "wewall.data.demo", seed=demo.SEED)
        done["estates"] = len(docs)
        # Investors search by IRR: the demo offers carry it too, so `make run` finds some.
        report = precompute_irr(db, lambda m: None)
        done["IRR предложений на продажу"] = report.computed
    storage.ensure_indexes(db)
    for what, n in done.items():
        echo(f"Демо-данные: {what} — {n}")
    if not done:
        echo("Демо-данные уже загружены.")
    return done


def import_estates(db, paths: List[Path], echo: Echo, quiet: bool = True) -> dict:
    """`wewall data import-estates FILE…`: real offers, one source replaced at a time.

    The first import removes the demo offers: a client must never be shown a made-up offer
    beside real ones.
    """
    locator = StationLocator.from_db(db)
    if not len(locator):
        echo("Внимание: станции метро не загружены — ближайшие станции не будут определены (wewall data import-stations).")
    batch = estates_import.read_estate_files(paths, locator, progress=lambda items, desc: _progress(items, desc, quiet))
    for report in batch.reports:
        for line in report.lines():
            echo(line)
    if not batch.docs:
        echo("Предложений в файлах нет: коллекция estates не изменена.")
        return {"reports": [r.to_dict() for r in batch.reports], "sources": {}}
    removed_demo = storage.delete_estates(db, {"demo": True})
    if removed_demo:
        echo(f"Демо-предложения удалены: {removed_demo}")
    sources = {}
    for source, docs in batch.docs.items():
        counts = storage.replace_source_estates(db, source, docs)
        sources[source] = dict(counts, total=len(docs))
        echo(
            f"{source}: в базе {len(docs)} (новых {counts['new']}, изменённых {counts['updated']}, "
            f"без изменений {counts['unchanged']}, удалено устаревших {counts['removed']})"
        )
    storage.ensure_indexes(db)
    previous = storage.get_source(db, storage.ESTATES) or {}
    files = list(previous.get("files") or []) if previous.get("kind") == "imported" else []
    for report in batch.reports:
        if str(report.path) not in files:
            files.append(str(report.path))
    known = dict(previous.get("sources") or {}) if previous.get("kind") == "imported" else {}
    known.update({s: c["total"] for s, c in sources.items()})
    storage.set_source(
        db, storage.ESTATES, "imported", ", ".join(Path(f).name for f in files), files=files, sources=known,
        reports=[r.to_dict() for r in batch.reports],
    )
    market_rates(db, echo)
    if any(s == "nfmap_sale" for s in sources):
        echo("IRR предложений на продажу: wewall data precompute-irr")
    return {"reports": [r.to_dict() for r in batch.reports], "sources": sources, "removed_demo": removed_demo}


def market_rates(db, echo: Echo) -> int:
    """Station rates from the medians of the imported offices near each station (`market_rates`)."""
    from collections import Counter

    stations = storage.list_stations(db)
    offices = storage.iter_estates(db, {"type": "office"}, dict.fromkeys(("deal", "type", "estate_class", "price_per_m2", "price_on_request", "location"), 1))
    found = mr.station_rates(stations, offices)
    done = mr.apply(db, stations, found)
    if done:
        per = Counter(f for got in found.values() for f in got["rates"])
        parts = ", ".join(f"{f} — {per[f]}" for f in ("price_A", "price_B", "rent_A", "rent_B") if per[f])
        echo(f"Ставки станций по медианам предложений в радиусе {mr.RADIUS_M / 1000:g} км: {count(done, 'станция')} ({parts}); "
             "у остальных прежние")
    return done


def precompute_irr(db, echo: Echo, quiet: bool = True, as_of=None) -> estates_irr.IrrReport:
    """`wewall data precompute-irr`: `irr_percent` of every sale offer the model can compute."""
    import datetime as dt

    from wewall.calculator.rates import DISTANCE_TABLE, SQUARE_TABLE
    from wewall.data.names import name_key

    as_of = as_of or dt.date.today()
    sale = list(storage.iter_estates(db, {"deal": "sale"}, dict.fromkeys(estates_irr.FIELDS, 1)))
    retail_rent = storage.iter_estates(db, {"deal": "rent", "type": "retail"}, {"price_per_m2": 1, "location": 1})
    stations = {name_key(s["name"]): s for s in storage.list_stations(db)}
    try:
        distance_rows = coeffs.validate_rows(DISTANCE_TABLE, storage.get_coeffs(db, DISTANCE_TABLE))
        square_rows = coeffs.validate_rows(SQUARE_TABLE, storage.get_coeffs(db, SQUARE_TABLE))
    except coeffs.RangeTableError as exc:
        echo(f"Таблицы коэффициентов не подходят ({exc}): IRR офисов не рассчитать")
        distance_rows = square_rows = []
    updates, report = estates_irr.compute(
        sale, stations, distance_rows, square_rows, estates_irr.RetailRents(retail_rent), as_of,
        progress=lambda items, desc: _progress(items, desc, quiet),
    )
    if sale:
        storage.update_estates_fields(db, updates, {"deal": "sale"}, unset=("irr_percent", "irr_basis"))
    for line in report.lines():
        echo(line)
    return report


def stats_lines(db) -> List[str]:
    lines = []
    for name, n in storage.counts(db).items():
        src = storage.get_source(db, name)
        if src is None:
            what = "пусто" if n == 0 else "источник не записан"
        elif src["kind"] == demo.DEMO:
            what = "демо-данные"
        else:
            what = f"импорт из {src['source']}"
        if name == storage.SUBWAY_STATIONS and n:
            demo_rates = db[name].count_documents({"rates_source": demo.DEMO})
            if demo_rates:
                what += f"; ставки: демо у {demo_rates}"
            refused = (src or {}).get("refused") or []
            if refused:
                what += f"; отклонены координаты: {', '.join(r.split(' (')[0] for r in refused)}"
        lines.append(f"{name}\t{n}\t{what}")
    return lines
