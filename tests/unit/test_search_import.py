"""Importers of offers on small synthetic files written here (the real files are tested apart).

File names are deliberately unlike the real ones: the format is recognised by content.
"""

import datetime as dt
import json
import uuid

import pytest

from wewall import storage
from wewall.data import commands
from wewall.data import estates_import as ei
from wewall.data.demo import demo_stations
from wewall.data.nearest import StationLocator

NOW = dt.datetime(2026, 6, 30, tzinfo=dt.timezone.utc)

BUILDINGS = [
    {"name": "Альфа", "name_orig": "Alpha Tower", "lat": 55.7700, "lng": 37.5950, "cls": "Prime", "status": "Построен",
     "zone": "СК-ТТК", "submarket": "СК-ТТК Север", "address": "ул. Первая, 1", "year": "2024", "developer": "Д1"},
    {"name": "Бета", "name_orig": "Бета", "lat": 55.8000, "lng": 37.5300, "cls": "B+", "status": "Строится",
     "zone": "ТТК-МКАД", "submarket": "ТТК-МКАД Север", "address": "ул. Вторая, 2", "year": "2028", "developer": "Д2"},
    # The zone column says ТТК-МКАД, the submarket «СК Юг»: inside the Garden Ring, so ТТК.
    {"name": "Гамма", "name_orig": "Гамма", "lat": 55.7425, "lng": 37.6319, "cls": "A", "status": "Строится",
     "zone": "ТТК-МКАД", "submarket": "СК Юг", "address": "", "year": "", "developer": ""},
    {"name": "Далёкий", "name_orig": "Далёкий", "lat": 59.93, "lng": 30.31, "cls": "A", "status": "Построен",
     "zone": "За МКАД", "submarket": "", "address": "", "year": "2020", "developer": ""},
]
SALE_LOT = {"block": "Офис 1", "floor": "5", "area": 100.0, "price": 500000, "total": 50000000, "scheme": "ДДУ", "size": ""}


def sale_lots():
    return {
        "Alpha Tower": [  # by name_orig
            SALE_LOT,
            dict(SALE_LOT),  # an exact duplicate
            dict(SALE_LOT, price=510000, total=51000000),  # the same unit at another price: kept
            dict(SALE_LOT, block="Здание", floor="-", area=20000.0, total=10_000_000_000),
            dict(SALE_LOT, floor="17-24", area=0),  # no area
            dict(SALE_LOT, price=5000, total=500000),  # 5 000 ₽/m²: not a sale price
            dict(SALE_LOT, total=70000000),  # total ≠ price × area
            dict(SALE_LOT, price=0, total=-1),  # no price at all: skipped, not a crash
        ],
        "Бета": [dict(SALE_LOT, floor="10—12", area=200.0, price=300000, total=60000000)],
        "Гамма": [dict(SALE_LOT, area=50.0, total=25000000)],
        "Далёкий": [SALE_LOT],
        "Неизвестный": [SALE_LOT],
    }


RENT_LOTS = {
    "Альфа": [
        {"block": "5 этаж", "floor": "5", "area": 100.0, "rate": 48000, "opex": 0, "nds": "НДС включен в стоимость", "size": "", "finish": "С отделкой"},
        {"block": "6 этаж", "floor": "6", "area": 300.0, "rate": 0, "opex": 0, "nds": "", "size": "", "finish": ""},
        {"block": "7 этаж", "floor": "7", "area": 200.0, "rate": 36000, "opex": 5000, "nds": "", "size": "", "finish": "Без отделки"},
    ]
}

CIAN_HEADER = ",id,latitude,longitude,price,area,floor,floors_total,link,address_clean\n"
CIAN_ROWS = [
    '0,101,55.7300,37.6400,250000,80.5,1,5,https://cian.invalid/101/,"Москва, ЦАО, м. Павелецкая, улица Бахрушина, 1"',
    '1,101,55.7300,37.6400,250000,80.5,1,5,https://cian.invalid/101/,"Москва, ЦАО, м. Павелецкая, улица Бахрушина, 1"',
    '2,102,55.7300,37.6400,5000,40,1,5,https://cian.invalid/102/,"Москва, м. Павелецкая, улица, 2"',
    '3,103,55.7300,37.6400,30000,1200,1,5,https://cian.invalid/103/,"Москва, м. Павелецкая, улица, 3"',
    '4,104,59.9300,30.3100,100000,50,1,5,https://cian.invalid/104/,"Санкт-Петербург, Невский, 1"',
    '5,105,55.7300,37.6400,100000,0,1,5,https://cian.invalid/105/,"Москва, улица, 5"',
    '6,106,55.9900,37.2000,90000,60,-1,9,https://cian.invalid/106/,"Москва, ЗелАО, м. Зеленоград — Крюково, 6"',
]


@pytest.fixture
def files(tmp_path):
    paths = {
        "buildings": tmp_path / "centres.txt",
        "sale": tmp_path / "a.data",
        "rent": tmp_path / "b",
        "cian": tmp_path / "listings.json",
    }
    paths["buildings"].write_text(json.dumps(BUILDINGS, ensure_ascii=False), encoding="utf-8")
    paths["sale"].write_text(json.dumps(sale_lots(), ensure_ascii=False), encoding="utf-8")
    paths["rent"].write_text(json.dumps(RENT_LOTS, ensure_ascii=False), encoding="utf-8")
    paths["cian"].write_text(CIAN_HEADER + "\n".join(CIAN_ROWS) + "\n", encoding="utf-8")
    return paths


@pytest.fixture
def locator():
    return StationLocator(demo_stations())


def by_source(batch, source):
    return {d["_id"]: d for d in batch.docs[source]}


def test_formats_are_recognised_by_content(files, tmp_path):
    assert ei.detect(files["buildings"])[0] == ei.BUILDINGS
    assert ei.detect(files["sale"])[0] == ei.SALE_LOTS
    assert ei.detect(files["rent"])[0] == ei.RENT_LOTS
    assert ei.detect(files["cian"])[0] == ei.CIAN_RENT
    other = tmp_path / "nfmap_lots_202606.json"
    other.write_text(json.dumps({"x": [{"foo": 1}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="JSON не похож"):
        ei.detect(other)
    text = tmp_path / "gp2team34_cian_psn_rent_geo.csv"
    text.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="формат не распознан"):
        ei.detect(text)
    with pytest.raises(ValueError, match="файл не найден"):
        ei.detect(tmp_path / "nope")


def test_lots_without_their_buildings_are_refused_clearly(files, locator):
    with pytest.raises(ValueError, match=r"файл лотов без файла бизнес-центров: a\.data, b"):
        ei.read_estate_files([files["sale"], files["rent"]], locator, NOW)


def test_sale_lots_dedup_skips_and_mapping(files, locator):
    # Any order: the lots come before their buildings here.
    batch = ei.read_estate_files([files["sale"], files["buildings"]], locator, NOW)
    buildings, sale = batch.reports
    assert buildings.fmt == ei.BUILDINGS and buildings.rows == 4
    assert "зона уточнена по субрынку у 1: Гамма" in buildings.notes
    assert (sale.rows, sale.duplicates, sale.imported) == (12, 1, 5)
    assert dict(sale.skipped) == {
        "площадь не указана или не больше нуля": 1,
        "цена не указана или не больше нуля": 1,
        "цена за м² вне 30 000 – 5 000 000 ₽": 1,
        "цена лота не сходится с ценой за м² × площадь": 1,
        "бизнес-центр вне Москвы по координатам": 1,
        "бизнес-центр не найден в файле зданий": 1,
    }
    assert "нет в файле зданий: Неизвестный" in sale.notes
    docs = list(batch.docs["nfmap_sale"])
    alpha = [d for d in docs if d["name"] == "Альфа"]
    first = next(d for d in alpha if d["price_rub"] == 50_000_000)
    assert first["_id"].startswith("nfmap_sale:") and first["source"] == "nfmap_sale"
    assert (first["deal"], first["type"], first["estate_class"], first["zone"], first["readiness"]) == ("sale", "office", "A", "ttk", "ready")
    assert first["location"] == {"type": "Point", "coordinates": [37.595, 55.77]}
    assert first["price_per_m2"] == 500_000 and first["floor"] == 5 and first["deal_scheme"] == "ДДУ"
    assert first["price_on_request"] is False and first["finish"] is None and first["photos"] == []
    assert [m["station"] for m in first["metro"]][:1] == ["Маяковская"]
    assert all(m["walk_minutes"] == max(1, round(m["distance_m"] / 80)) for m in first["metro"])
    assert len(first["metro"]) == 3 and first["updated_at"] == NOW
    whole = next(d for d in alpha if d.get("whole_building"))
    assert whole["floor"] is None and whole["description"].startswith("Здание целиком")
    beta = next(d for d in docs if d["name"] == "Бета")
    assert (beta["estate_class"], beta["zone"], beta["readiness"], beta["floor"], beta["floor_range"]) == ("B", "mkad", "4Q2028", "10–12", [10, 12])
    gamma = next(d for d in docs if d["name"] == "Гамма")
    assert gamma["zone"] == "ttk" and gamma["readiness"] is None


def test_rent_lots_monthly_rent_price_on_request_and_finish(files, locator):
    batch = ei.read_estate_files([files["buildings"], files["rent"]], locator, NOW)
    report = batch.reports[1]
    assert (report.rows, report.imported, report.price_on_request) == (3, 3, 1)
    docs = sorted(batch.docs["nfmap_rent"], key=lambda d: d["floor"])
    assert docs[0]["rent_rub_month"] == 400_000 and docs[0]["price_per_m2"] == 4_000  # 48 000 ₽/m²/year × 100 m² / 12
    assert docs[0]["finish"] == "ready" and docs[0]["rate_rub_m2_year"] == 48_000
    assert docs[1]["price_on_request"] is True and docs[1]["rent_rub_month"] is None and docs[1]["price_per_m2"] is None
    assert docs[2]["finish"] == "shell" and docs[2]["opex_rub_m2_year"] == 5000


def test_cian_rows_duplicates_junk_and_stations(files, locator):
    batch = ei.read_estate_files([files["cian"]], locator, NOW)
    report = batch.reports[0]
    assert (report.rows, report.duplicates, report.imported) == (7, 1, 2)
    assert dict(report.skipped) == {
        "цена ниже 10 000 ₽ в месяц (мусор или цена за м²)": 1,
        "меньше 100 ₽ за м² в месяц (цена не за помещение)": 1,
        "координаты вне Москвы": 1,
        "площадь не указана или не больше нуля": 1,
    }
    docs = by_source(batch, "cian_psn_rent")
    shop = docs["cian:101"]
    assert (shop["deal"], shop["type"], shop["estate_class"], shop["zone"]) == ("rent", "retail", None, "ttk")
    assert shop["rent_rub_month"] == 250_000 and shop["price_per_m2"] == pytest.approx(3105.59, abs=0.01)
    assert shop["listed_station"] == "Павелецкая" and shop["metro"][0]["station"] == "Павелецкая"
    assert shop["link"] == "https://cian.invalid/101/" and shop["readiness"] == "ready"
    assert docs["cian:106"]["zone"] == "outside" and docs["cian:106"]["floor"] == -1
    assert any("станция из адреса (2 объявлений)" in n for n in report.notes)


def test_lines_of_a_report_are_russian_and_complete(files, locator):
    batch = ei.read_estate_files([files["cian"]], locator, NOW)
    text = "\n".join(batch.reports[0].lines())
    assert "listings.json — ЦИАН: аренда стрит-ритейла (CSV)" in text
    assert "прочитано строк: 7, импортировано: 2, дубликатов: 1, пропущено: 4" in text
    assert "пропущено — координаты вне Москвы: 1" in text


@pytest.mark.parametrize("text,floor,rng", [
    ("9", 9, None), ("-1", -1, None), ("", None, None), ("-", None, None), ("17-24", "17–24", [17, 24]),
    ("10—12", "10–12", [10, 12]), ("-2-10", "-2–10", [-2, 10]), ("здание", "здание", None),
])
def test_floor_text(text, floor, rng):
    assert ei.parse_floor(text) == (floor, rng)


def test_import_command_is_idempotent_replaces_demo_and_records_provenance(files):
    db = storage.get_db("mongomock://", name=f"i{uuid.uuid4().hex[:8]}")
    commands.load_demo(db, lambda m: None, estates=30)
    lines = []
    paths = [files["cian"], files["rent"], files["sale"], files["buildings"]]
    first = commands.import_estates(db, paths, lines.append)
    assert first["removed_demo"] == 30 and "Демо-предложения удалены: 30" in lines
    assert db.estates.count_documents({}) == 5 + 3 + 2
    assert db.estates.count_documents({"demo": True}) == 0
    ids = sorted(d["_id"] for d in db.estates.find({}, {"_id": 1}))
    db.estates.update_one({"_id": "cian:101"}, {"$set": {"irr_percent": 9.9}})  # something computed later
    again = commands.import_estates(db, paths, lines.append)
    assert sorted(d["_id"] for d in db.estates.find({}, {"_id": 1})) == ids
    assert {s: c["unchanged"] for s, c in again["sources"].items()} == {"cian_psn_rent": 2, "nfmap_rent": 3, "nfmap_sale": 5}
    assert db.estates.find_one({"_id": "cian:101"})["irr_percent"] == 9.9
    source = storage.get_source(db, storage.ESTATES)
    assert source["kind"] == "imported" and source["sources"] == {"cian_psn_rent": 2, "nfmap_rent": 3, "nfmap_sale": 5}
    assert source["source"] == "centres.txt, listings.json, b, a.data"
    # A shorter file later removes the offers gone from it, only from its own source.
    files["cian"].write_text(CIAN_HEADER + CIAN_ROWS[0] + "\n", encoding="utf-8")
    third = commands.import_estates(db, [files["cian"]], lines.append)
    assert third["sources"]["cian_psn_rent"]["removed"] == 1
    assert db.estates.count_documents({}) == 5 + 3 + 1


def test_precompute_irr_fills_sale_offers_and_says_why_not(files):
    db = storage.get_db("mongomock://", name=f"i{uuid.uuid4().hex[:8]}")
    commands.load_demo(db, lambda m: None, estates=0)  # stations with demo rates and the coefficient tables
    commands.import_estates(db, [files["buildings"], files["sale"]], lambda m: None)
    lines = []
    report = commands.precompute_irr(db, lines.append, as_of=dt.date(2026, 6, 30))
    assert report.offers == 5
    assert report.computed == 4  # Альфа ×3 (ready), Бета (4Q2028)
    assert dict(report.not_computed) == {"срок ввода здания неизвестен": 1}  # Гамма: under construction, no year
    assert report.demo_rates == 4
    offers = {d["name"]: d for d in db.estates.find({"irr_percent": {"$exists": True}})}
    assert set(offers) == {"Альфа", "Бета"}
    beta = offers["Бета"]
    assert beta["irr_basis"]["kind"] == "building_office" and beta["irr_basis"]["repairs"] == "full"
    assert isinstance(beta["irr_percent"], float)
    assert lines[0] == "Предложений на продажу: 5, IRR рассчитан: 4, не рассчитан: 1"


@pytest.mark.parametrize("server_path", [False, True], ids=["mongomock-rewrite", "pymongo-bulk"])
def test_storage_replace_and_update_keep_computed_fields_on_both_code_paths(monkeypatch, server_path):
    # The server path (bulk upserts) runs here on mongomock too, to check its logic without a server.
    if server_path:
        monkeypatch.setattr(storage, "_is_mock", lambda db: False)
    db = storage.get_db("mongomock://", name=f"r{uuid.uuid4().hex[:8]}")
    doc = lambda i, h: {"_id": f"s:{i}", "source": "s", "deal": "sale", "content_hash": h}  # noqa: E731
    storage.insert_estates(db, [{"_id": "other", "source": "t", "deal": "sale"}])
    v0 = storage.estates_version(db)
    assert storage.replace_source_estates(db, "s", [doc(1, "a"), doc(2, "b"), doc(3, "c")]) == {"new": 3, "updated": 0, "unchanged": 0, "removed": 0}
    assert storage.estates_version(db) > v0
    storage.update_estates_fields(db, {"s:1": {"irr_percent": 9.5}, "s:2": {"irr_percent": 7.0}}, {"deal": "sale"}, unset=("irr_percent",))
    counts = storage.replace_source_estates(db, "s", [doc(1, "a"), doc(2, "changed")])
    assert counts == {"new": 0, "updated": 1, "unchanged": 1, "removed": 1}
    by_id = {d["_id"]: d for d in db.estates.find()}
    assert set(by_id) == {"other", "s:1", "s:2"}
    assert by_id["s:1"]["irr_percent"] == 9.5 and "irr_percent" not in by_id["s:2"]
    storage.update_estates_fields(db, {"s:2": {"irr_percent": 8.0}}, {"deal": "sale"}, unset=("irr_percent",))
    by_id = {d["_id"]: d for d in db.estates.find()}
    assert "irr_percent" not in by_id["s:1"] and by_id["s:2"]["irr_percent"] == 8.0
    assert storage.get_estates_by_ids(db, ["s:2", "missing", "other"]) == [by_id["s:2"], by_id["other"]]
