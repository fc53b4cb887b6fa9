"""Importers of real offer exports into `estates` documents (search.md, «The estates collection»).

Formats are recognised by their content, never by the file name:

- business-centre map, buildings: a JSON list of centres with `lat`, `lng`, `cls`, `status`;
- business-centre map, sale lots: a JSON object «centre → [lots with `price` (₽/m²) and `total`]»;
- business-centre map, rent lots: the same shape with `rate` (₽/m²/year, 0 = price on request);
- CIAN street-retail rent: a CSV with `id, latitude, longitude, price, area, …, address_clean`.

Lots carry no coordinates, class or readiness: those come from the buildings file, which must
be given in the same call. Decisions the files leave open:

- class: `Prime` and `A` → A, `B+` and `B` → B (the bot's model knows only A and B; Prime is
  the top of A, B+ is a renovated B);
- readiness: `Построен` → `ready`; `Строится` → the 4th quarter of its `year` (only the year is
  given: the cautious reading), no year → unknown;
- zone: the file's `zone` (СК-ТТК and БК-ТТК → ttk, ТТК-МКАД → mkad, За МКАД → outside),
  corrected by the file's own `submarket` where the two disagree: «СК …», «БК …» and
  «Замоскворечье» lie inside the Garden Ring, so inside ТТК; «Сити» lies just outside the
  ring, as the coordinates say. Without a zone, `geo.zone_of`;
- finish of sale lots is not given (None); rent lots say «С отделкой» (ready) or «Без
  отделки» (shell);
- price 0 in a rent lot means «price on request»: kept, flagged `price_on_request`, never
  matched by a budget.

A row that cannot be an offer (no area, a price that is junk or per m², coordinates outside
Moscow) is skipped with its reason; exact duplicates are dropped and counted. `_id` is derived
from the source and the offer itself (CIAN's listing id; for lots, which have no id, a hash of
the centre and the lot), so importing a file again changes nothing.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from wewall import vocabulary as V
from wewall.data.names import display_name, name_key
from wewall.data.nearest import StationLocator
from wewall.geo import in_moscow, point, zone_of

BUILDINGS = "nfmap_buildings"
SALE_LOTS = "nfmap_sale_lots"
RENT_LOTS = "nfmap_rent_lots"
CIAN_RENT = "cian_rent_csv"

FORMAT_NAMES = {
    BUILDINGS: "карта БЦ: здания",
    SALE_LOTS: "карта БЦ: лоты продажи офисов",
    RENT_LOTS: "карта БЦ: лоты аренды офисов",
    CIAN_RENT: "ЦИАН: аренда стрит-ритейла (CSV)",
}
# The `source` of the documents each format produces (one source is replaced at a time).
SOURCES = {SALE_LOTS: "nfmap_sale", RENT_LOTS: "nfmap_rent", CIAN_RENT: "cian_psn_rent"}

CIAN_COLUMNS = ("id", "latitude", "longitude", "price", "area", "link", "address_clean")

CLASSES = {"PRIME": "A", "A": "A", "B+": "B", "B": "B", "А": "A", "В": "B", "В+": "B"}
ZONES = {"ск-ттк": "ttk", "бк-ттк": "ttk", "ттк": "ttk", "ттк-мкад": "mkad", "за мкад": "outside"}
FINISHES = {label: value for value, label in V.FINISHES.items()}  # the source writes the labels

# Bounds of a plausible offer. Beyond them a row is a typo, a whole estate or a per-m² price.
MAX_AREA_M2 = 100_000.0  # the largest lot of the map is a 70 500 m² building
MAX_RETAIL_AREA_M2 = 20_000.0
SALE_PPM = (30_000.0, 5_000_000.0)  # ₽/m²
# Street retail for less than 500 ₽/m² a month (6 000 a year, a quarter of the cheapest office
# rate of the map) is a share, a deposit or a typo: 81 m² for 29 830 ₽ is not a Moscow shop.
CIAN_MIN_PPM_MONTH_PLAUSIBLE = 500.0
# Another CIAN id for the same premises (relisted): same point, area within 1 %, price within 5 %.
NEAR_AREA, NEAR_PRICE = 0.01, 0.05
RENT_RATE_YEAR = (3_000.0, 300_000.0)  # ₽/m²/year
CIAN_MIN_PRICE = 10_000.0  # ₽/month: below it ../shared/data/README.md's «junk or per-m²»
CIAN_MIN_PPM_MONTH = 100.0  # ₽/m²/month: a whole shop for less is a price of something else
TOTAL_TOLERANCE = 0.03  # a lot's `total` may differ from price × area by rounding only

Progress = Callable[[Iterable, str], Iterable]


def _no_progress(items: Iterable, desc: str) -> Iterable:
    return items


# ---------------------------------------------------------------- reports


@dataclass
class FileReport:
    """What happened to one file, for the person running the import."""

    path: Path
    fmt: str
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    price_on_request: int = 0
    skipped: Counter = field(default_factory=Counter)
    notes: List[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def lines(self) -> List[str]:
        out = [f"{self.path.name} — {FORMAT_NAMES[self.fmt]}"]
        if self.fmt == BUILDINGS:
            out.append(f"  бизнес-центров: {self.rows} (предложений в файле нет: он даёт координаты, класс и готовность лотам)")
        else:
            out.append(
                f"  прочитано строк: {self.rows}, импортировано: {self.imported}, "
                f"дубликатов: {self.duplicates}, пропущено: {sum(self.skipped.values())}"
            )
            if self.price_on_request:
                out.append(f"  цена по запросу: {self.price_on_request} (сохранены, но под бюджет не подбираются)")
            for reason, n in self.skipped.most_common():
                out.append(f"  пропущено — {reason}: {n}")
        out.extend(f"  {note}" for note in self.notes)
        return out

    def to_dict(self) -> dict:
        return {
            "file": str(self.path), "format": self.fmt, "rows": self.rows, "imported": self.imported,
            "duplicates": self.duplicates, "price_on_request": self.price_on_request,
            "skipped": dict(self.skipped), "notes": list(self.notes),
        }


@dataclass
class ImportBatch:
    """The documents of every source found in the files, and a report per file."""

    docs: Dict[str, List[dict]]
    reports: List[FileReport]


# ---------------------------------------------------------------- format detection


def _read_text(path: Path) -> str:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ValueError(f"файл не найден: {path}") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: это папка, а не файл") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: файл не в кодировке UTF-8") from None


def _first_lot(data: dict) -> Optional[dict]:
    for lots in data.values():
        if isinstance(lots, list):
            for lot in lots:
                if isinstance(lot, dict):
                    return lot
    return None


def detect(path: Path) -> Tuple[str, Any]:
    """The format of a file by what is inside it, and its parsed content."""
    text = _read_text(path)
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: похоже на JSON, но не читается ({exc})") from None
        if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
            if {"lat", "lng", "cls"} <= set(data[0]) and "name" in data[0]:
                return BUILDINGS, data
        if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
            lot = _first_lot(data)
            if lot is not None and "area" in lot:
                if "rate" in lot:
                    return RENT_LOTS, data
                if "total" in lot or "price" in lot:
                    return SALE_LOTS, data
        raise ValueError(
            f"{path}: JSON не похож ни на файл бизнес-центров (список с lat, lng, cls), "
            "ни на файл лотов ({\"БЦ\": [{area, price, total}]} или с rate)"
        )
    first_line = text.split("\n", 1)[0]
    header = [h.strip().lower() for h in next(csv.reader([first_line]), [])]
    if set(CIAN_COLUMNS) <= set(header):
        return CIAN_RENT, text
    raise ValueError(
        f"{path}: формат не распознан. Ожидается JSON карты бизнес-центров (здания или лоты) "
        f"или CSV объявлений ЦИАН со столбцами {', '.join(CIAN_COLUMNS)}"
    )


# ---------------------------------------------------------------- helpers


def _number(value) -> Optional[float]:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        x = float(value)
    else:
        text = re.sub(r"[\s\u00a0\u202f]", "", str(value)).replace(",", ".")
        if not text:
            return None
        try:
            x = float(text)
        except ValueError:
            return None
    return x if x == x and abs(x) != float("inf") else None


def _hash(obj) -> str:
    canonical = json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:16]


_RANGE = re.compile(r"^\s*(-?\d+)\s*[-–—]\s*(-?\d+)\s*$")


def parse_floor(text) -> Tuple[Any, Optional[List[int]]]:
    """`"9"` → 9; `"17-24"`, `"10—12"` → ("17–24", [17, 24]); `""`, `"-"` → None; other text kept."""
    if text is None:
        return None, None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return int(text), None
    s = str(text).strip()
    if s in ("", "-", "—", "–"):
        return None, None
    if re.fullmatch(r"-?\d+", s):
        return int(s), None
    m = _RANGE.match(s)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        return f"{lo}–{hi}", [min(lo, hi), max(lo, hi)]
    return s, None


def _whole_building(*texts) -> bool:
    return any(re.search(r"здани", str(t or ""), re.I) for t in texts)


def estate_class(cls) -> Optional[str]:
    return CLASSES.get(str(cls or "").strip().upper())


def building_zone(b: dict) -> Tuple[str, bool]:
    """The zone of a centre and whether the submarket corrected the `zone` column."""
    submarket = str(b.get("submarket") or "").strip().lower()
    given = ZONES.get(str(b.get("zone") or "").strip().lower())
    by_submarket = None
    if re.match(r"^(ск|бк)\b|^замоскворечье", submarket):
        by_submarket = "ttk"
    elif submarket.startswith("сити"):
        by_submarket = "mkad"
    zone = by_submarket or given or zone_of(float(b["lat"]), float(b["lng"]))
    return zone, bool(given and zone != given)


def readiness_of(b: dict) -> Optional[str]:
    status = str(b.get("status") or "").strip().lower()
    if status.startswith("построен"):
        return "ready"
    year = str(b.get("year") or "").strip()
    if status.startswith("строится") and re.fullmatch(r"\d{4}", year):
        return f"4Q{year}"
    return None


def _finish(text) -> Optional[str]:
    return FINISHES.get(str(text or "").strip().lower())


# ---------------------------------------------------------------- buildings


@dataclass
class Centre:
    name: str
    doc: dict  # the fields every lot of the centre shares
    problem: Optional[str] = None  # why its lots cannot be offers


def read_buildings(data: list, path: Path, locator: StationLocator) -> Tuple[Dict[str, Centre], FileReport]:
    report = FileReport(Path(path), BUILDINGS, rows=len(data))
    centres: Dict[str, Centre] = {}
    placed: List[Centre] = []
    corrected = []
    for b in data:
        name = str(b.get("name") or "").strip()
        lat, lng = _number(b.get("lat")), _number(b.get("lng"))
        centre = Centre(name, {})
        if lat is None or lng is None:
            centre.problem = "у бизнес-центра нет координат"
        elif not in_moscow(lat, lng):
            centre.problem = "бизнес-центр вне Москвы по координатам"
        else:
            zone, fixed = building_zone(b)
            if fixed:
                corrected.append(name)
            centre.doc = {
                "name": name,
                "address": str(b.get("address") or "").strip() or None,
                "location": point(lat, lng),
                "zone": zone,
                "estate_class": estate_class(b.get("cls")),
                "building_class": b.get("cls"),
                "readiness": readiness_of(b),
                "building_status": b.get("status"),
                "developer": b.get("developer") or None,
                "submarket": b.get("submarket") or None,
            }
            placed.append(centre)
        for key in {name_key(name), name_key(str(b.get("name_orig") or name))}:
            if key:
                centres[key] = centre
    for centre, metro in zip(placed, locator.nearest_many(
        [c.doc["location"]["coordinates"][1] for c in placed], [c.doc["location"]["coordinates"][0] for c in placed]
    )):
        centre.doc["metro"] = metro
    unknown_cls = sorted({str(b.get("cls")) for b in data if estate_class(b.get("cls")) is None})
    if unknown_cls:
        report.notes.append(f"неизвестный класс (оставлен пустым): {', '.join(unknown_cls)}")
    if corrected:
        report.notes.append(f"зона уточнена по субрынку у {len(corrected)}: {', '.join(corrected)}")
    problems = Counter(c.problem for c in {id(c): c for c in centres.values()}.values() if c.problem)
    for problem, n in problems.items():
        report.notes.append(f"{problem}: {n} (их лоты будут пропущены)")
    return centres, report


# ---------------------------------------------------------------- lots


def _lot_doc(centre: Centre, lot: dict, deal: str, now: dt.datetime) -> dict:
    floor, floor_range = parse_floor(lot.get("floor"))
    doc = {
        "deal": deal,
        "type": "office",
        # A copy: lots of one centre must not share nested objects (metro, location).
        **copy.deepcopy(centre.doc),
        "area_m2": _number(lot.get("area")),
        "floor": floor,
        "block": str(lot.get("block") or "").strip() or None,
        "finish": None,
        "link": lot.get("source_url") or None,
        "photos": [],
        "updated_at": now,
    }
    if floor_range:
        doc["floor_range"] = floor_range
    if _whole_building(lot.get("block"), lot.get("floor")):
        doc["whole_building"] = True
    return doc


def _sale_lot(centre: Centre, lot: dict, now: dt.datetime) -> Tuple[Optional[dict], Optional[str]]:
    area = _number(lot.get("area"))
    ppm, total = _number(lot.get("price")), _number(lot.get("total"))
    if area is None or area <= 0:
        return None, "площадь не указана или не больше нуля"
    if area > MAX_AREA_M2:
        return None, f"площадь больше {MAX_AREA_M2:,.0f} м²".replace(",", " ")
    doc = _lot_doc(centre, lot, "sale", now)
    if not ppm and not total:
        doc.update(price_rub=None, price_per_m2=None, price_on_request=True)
    else:
        if total is None or total <= 0:
            total = ppm * area if ppm else None
        if total is None:  # a total of zero or less and no price per m²
            return None, "цена не указана или не больше нуля"
        if ppm is None or ppm <= 0:
            ppm = total / area
        if not SALE_PPM[0] <= ppm <= SALE_PPM[1]:
            return None, "цена за м² вне 30 000 – 5 000 000 ₽"
        if abs(total - ppm * area) > TOTAL_TOLERANCE * total:
            return None, "цена лота не сходится с ценой за м² × площадь"
        doc.update(price_rub=round(total, 2), price_per_m2=round(ppm, 2), price_on_request=False)
    doc["deal_scheme"] = str(lot.get("scheme") or "").strip() or None
    what = "Здание целиком" if doc.get("whole_building") else "Офис"
    doc["description"] = f"{what} в БЦ «{centre.name}» на продажу" + (f", договор {doc['deal_scheme']}" if doc["deal_scheme"] else "")
    return doc, None


def _rent_lot(centre: Centre, lot: dict, now: dt.datetime) -> Tuple[Optional[dict], Optional[str]]:
    area = _number(lot.get("area"))
    rate = _number(lot.get("rate"))
    if area is None or area <= 0:
        return None, "площадь не указана или не больше нуля"
    if area > MAX_AREA_M2:
        return None, f"площадь больше {MAX_AREA_M2:,.0f} м²".replace(",", " ")
    if rate is None or rate < 0:
        return None, "ставка аренды не число или отрицательная"
    doc = _lot_doc(centre, lot, "rent", now)
    doc["finish"] = _finish(lot.get("finish"))
    if rate == 0:
        doc.update(rent_rub_month=None, price_per_m2=None, rate_rub_m2_year=None, price_on_request=True)
    else:
        if not RENT_RATE_YEAR[0] <= rate <= RENT_RATE_YEAR[1]:
            return None, "ставка вне 3 000 – 300 000 ₽/м² в год"
        # The map quotes ₽/m² a year; the bot speaks of a month's total and ₽/m² a month.
        doc.update(
            rent_rub_month=round(rate * area / 12, 2),
            price_per_m2=round(rate / 12, 2),
            rate_rub_m2_year=rate,
            price_on_request=False,
        )
    opex = _number(lot.get("opex"))
    doc["opex_rub_m2_year"] = opex if opex else None
    doc["vat"] = str(lot.get("nds") or "").strip() or None
    doc["description"] = f"Офис в БЦ «{centre.name}» в аренду" + (f"; {doc['vat']}" if doc["vat"] else "")
    return doc, None


def read_lots(
    fmt: str, data: dict, path: Path, centres: Dict[str, Centre], now: dt.datetime, progress: Progress = _no_progress
) -> Tuple[List[dict], FileReport]:
    report = FileReport(Path(path), fmt)
    source = SOURCES[fmt]
    make = _sale_lot if fmt == SALE_LOTS else _rent_lot
    seen = set()
    docs = []
    rows = [(centre, lot) for centre, lots in data.items() for lot in (lots if isinstance(lots, list) else [])]
    report.rows = len(rows)
    missing = set()
    for centre_name, lot in progress(rows, path.name):
        if not isinstance(lot, dict):
            report.skip("строка лота не объект")
            continue
        key = _hash([centre_name, lot])
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        centre = centres.get(name_key(centre_name))
        if centre is None:
            missing.add(centre_name)
            report.skip("бизнес-центр не найден в файле зданий")
            continue
        if centre.problem:
            report.skip(centre.problem)
            continue
        doc, reason = make(centre, lot, now)
        if reason:
            report.skip(reason)
            continue
        assert doc is not None  # a lot gives a document or a reason
        doc["_id"] = f"{source}:{key}"
        doc["source"] = source
        doc["source_file"] = Path(path).name
        report.price_on_request += bool(doc.get("price_on_request"))
        docs.append(doc)
    if missing:
        report.notes.append(f"нет в файле зданий: {', '.join(sorted(missing)[:10])}" + (" …" if len(missing) > 10 else ""))
    report.imported = len(docs)
    return docs, report


# ---------------------------------------------------------------- CIAN


_STATION = re.compile(r"(?:^|,\s*)м\.\s*([^,]+)")


def listed_station(address: str) -> Optional[str]:
    """The station named in a CIAN address («…, м. Павелецкая, …»), as written there."""
    m = _STATION.search(address or "")
    return display_name(m.group(1)) if m else None


_OKRUG = re.compile(r"^\s*Москва,\s*([А-Яа-яЁё]+АО)\b")
_ZELENOGRAD = re.compile(r"^\s*Москва,\s*(?:м\.\s*)?Зеленоград", re.I)
_DISTRICT = re.compile(r",\s*р-н\s+([^,]+)")


def okrug_district(address: str) -> dict:
    """{«okrug»: «ЮЗАО», «district»: «Зюзино»} as a CIAN address names them (what it names)."""
    out = {}
    m = _OKRUG.search(address)
    if m:
        out["okrug"] = m.group(1)
    elif _ZELENOGRAD.search(address):
        out["okrug"] = "ЗелАО"
    d = _DISTRICT.search(address)
    if d:
        out["district"] = d.group(1).strip()
    return out


def _near_duplicate(doc: dict, kept: Dict[tuple, List[dict]]) -> bool:
    lng, lat = doc["location"]["coordinates"]
    key = (round(lat, 5), round(lng, 5))
    for other in kept.get(key, []):
        if (abs(other["area_m2"] - doc["area_m2"]) <= NEAR_AREA * max(other["area_m2"], doc["area_m2"])
                and abs(other["rent_rub_month"] - doc["rent_rub_month"]) <= NEAR_PRICE * max(other["rent_rub_month"], doc["rent_rub_month"])):
            return True
    kept.setdefault(key, []).append(doc)
    return False


def read_cian(text: str, path: Path, locator: StationLocator, now: dt.datetime, progress: Progress = _no_progress):
    report = FileReport(Path(path), CIAN_RENT)
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [(h or "").strip().lower() for h in reader.fieldnames or []]
    rows = list(reader)
    report.rows = len(rows)
    seen: Dict[str, dict] = {}
    places: Dict[tuple, List[dict]] = {}
    docs = []
    for row in progress(rows, path.name):
        # The unnamed first column is the exporter's row number, not a property of the offer.
        content = {k: (v or "").strip() for k, v in row.items() if k}
        cid = content.get("id", "")
        if not cid:
            report.skip("нет id объявления")
            continue
        if cid in seen:
            if seen[cid] == content:
                report.duplicates += 1
            else:
                report.skip("повтор id с другими данными (оставлена первая строка)")
            continue
        seen[cid] = content
        doc, reason = _cian_doc(content, now)
        if reason:
            report.skip(reason)
            continue
        assert doc is not None  # a row gives a document or a reason
        if _near_duplicate(doc, places):
            report.skip("почти дубликат: то же место, площадь ±1 % и цена ±5 % под другим id")
            continue
        doc["_id"] = f"cian:{cid}"
        doc["source_file"] = Path(path).name
        docs.append(doc)
    coords = [d["location"]["coordinates"] for d in docs]
    for doc, metro in zip(docs, locator.nearest_many([c[1] for c in coords], [c[0] for c in coords])):
        doc["metro"] = metro
    if docs and len(locator):
        report.notes.append(_station_agreement(docs, locator))
    report.imported = len(docs)
    return docs, report


def _station_agreement(docs: List[dict], locator: StationLocator) -> str:
    """How the stations computed from coordinates compare with the one the address names."""
    first = top = absent = listed = 0
    for d in docs:
        if not d["listed_station"]:
            continue
        listed += 1
        names = [name_key(m["station"]) for m in d["metro"]]
        key = name_key(d["listed_station"])
        if names and key == names[0]:
            first += 1
        elif key in names:
            top += 1
        elif locator.position(d["listed_station"]) is None:
            absent += 1
    return (
        f"станция из адреса ({listed} объявлений): ближайшая по координатам — {first}, среди трёх ближайших — {top}, "
        f"нет в таблице станций или без координат — {absent}"
    )


def _cian_doc(row: dict, now: dt.datetime) -> Tuple[Optional[dict], Optional[str]]:
    lat, lng = _number(row.get("latitude")), _number(row.get("longitude"))
    price, area = _number(row.get("price")), _number(row.get("area"))
    if lat is None or lng is None:
        return None, "нет координат"
    if not in_moscow(lat, lng):
        return None, "координаты вне Москвы"
    if area is None or area <= 0:
        return None, "площадь не указана или не больше нуля"
    if area > MAX_RETAIL_AREA_M2:
        return None, f"площадь больше {MAX_RETAIL_AREA_M2:,.0f} м²".replace(",", " ")
    if price is None:
        return None, "цена не указана"
    if price < CIAN_MIN_PRICE:
        return None, "цена ниже 10 000 ₽ в месяц (мусор или цена за м²)"
    if price / area < CIAN_MIN_PPM_MONTH:
        return None, "меньше 100 ₽ за м² в месяц (цена не за помещение)"
    if price / area < CIAN_MIN_PPM_MONTH_PLAUSIBLE:
        return None, "меньше 500 ₽ за м² в месяц (неправдоподобно для торгового помещения)"
    floor, _ = parse_floor(row.get("floor"))
    floors_total = _number(row.get("floors_total"))
    address = row.get("address_clean") or None
    area_text = f"{area:g}".replace(".", ",")
    doc = {
        "source": SOURCES[CIAN_RENT],
        "deal": "rent",
        "type": "retail",
        "estate_class": None,
        "name": "Помещение свободного назначения",
        "address": address,
        "location": point(lat, lng),
        "zone": zone_of(lat, lng),
        "metro": [],
        "listed_station": listed_station(address or ""),
        **okrug_district(address or ""),
        "area_m2": area,
        "floor": floor,
        "floors_total": int(floors_total) if floors_total else None,
        "rent_rub_month": price,
        "price_per_m2": round(price / area, 2),
        "price_on_request": False,
        "finish": None,
        "readiness": "ready",
        "link": row.get("link") or None,
        "photos": [],
        "description": f"Помещение свободного назначения {area_text} м² в аренду, объявление ЦИАН {row.get('id')}",
        "updated_at": now,
    }
    return doc, None


# ---------------------------------------------------------------- all files at once


def read_estate_files(
    paths: Iterable[Path], locator: StationLocator, now: Optional[dt.datetime] = None, progress: Progress = _no_progress
) -> ImportBatch:
    """Recognise, read and map every file; lots are matched to the buildings given with them.

    Raises ValueError (a message for a person) when a file is unreadable, of an unknown format,
    or is a lot file without a buildings file.
    """
    now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    parsed = [(Path(p),) + detect(Path(p)) for p in paths]
    building_files = [(p, data) for p, fmt, data in parsed if fmt == BUILDINGS]
    lot_files = [p for p, fmt, _ in parsed if fmt in (SALE_LOTS, RENT_LOTS)]
    if lot_files and not building_files:
        names = ", ".join(p.name for p in lot_files)
        raise ValueError(
            f"файл лотов без файла бизнес-центров: {names}. Лоты не содержат координат, класса и "
            "готовности — укажите в той же команде и файл зданий (JSON-список центров с lat, lng, cls)"
        )
    centres: Dict[str, Centre] = {}
    reports: List[FileReport] = []
    for p, data in building_files:
        found, report = read_buildings(data, p, locator)
        centres.update(found)
        reports.append(report)
    docs: Dict[str, OrderedDict[str, dict]] = {}
    for p, fmt, data in parsed:
        if fmt == BUILDINGS:
            continue
        if fmt == CIAN_RENT:
            file_docs, report = read_cian(data, p, locator, now, progress)
        else:
            file_docs, report = read_lots(fmt, data, p, centres, now, progress)
        bucket = docs.setdefault(SOURCES[fmt], OrderedDict())
        for doc in file_docs:
            if doc["_id"] in bucket:
                # The same offer in two files of one call: count it once.
                report.duplicates += 1
                report.imported -= 1
                continue
            doc["content_hash"] = _hash({k: v for k, v in doc.items() if k not in ("_id", "updated_at", "source_file")})
            bucket[doc["_id"]] = doc
        reports.append(report)
    if not len(locator):
        for r in reports:
            if r.fmt != BUILDINGS:
                r.notes.append("станции метро не загружены: ближайшие станции не определены")
    return ImportBatch({src: list(b.values()) for src, b in docs.items()}, reports)
