"""Demo data of the project's own making, reproducible and marked `demo` wherever it is stored.

No real WEWALL rates are public: demo station rates fall with the distance from the centre,
which is the shape of the Moscow market, not its figures.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Dict, Iterable, Iterator, List, Optional

from wewall.data.names import name_key
from wewall.data.nearest import StationLocator
from wewall.geo import distance_to_centre_m, point, zone_of

DEMO = "demo"
SEED = 20260115

# Stations with approximate coordinates (typed by us), for a machine without the hh.ru import;
# names spelled as the hh.ru table spells them, so an import replaces them one for one.
DEMO_STATIONS = [
    ("Охотный ряд", 55.7577, 37.6156, "Сокольническая"),
    ("Театральная", 55.7588, 37.6189, "Замоскворецкая"),
    ("Площадь Революции", 55.7567, 37.6224, "Арбатско-Покровская"),
    ("Китай-город", 55.7565, 37.6313, "Калужско-Рижская"),
    ("Лубянка", 55.7598, 37.6250, "Сокольническая"),
    ("Тверская", 55.7650, 37.6039, "Замоскворецкая"),
    ("Пушкинская", 55.7657, 37.6044, "Таганско-Краснопресненская"),
    ("Маяковская", 55.7699, 37.5964, "Замоскворецкая"),
    ("Белорусская", 55.7775, 37.5823, "Замоскворецкая"),
    ("Динамо", 55.7897, 37.5582, "Замоскворецкая"),
    ("Аэропорт", 55.8004, 37.5332, "Замоскворецкая"),
    ("Сокол", 55.8050, 37.5152, "Замоскворецкая"),
    ("Сокольники", 55.7893, 37.6799, "Сокольническая"),
    ("Комсомольская", 55.7754, 37.6553, "Сокольническая"),
    ("Курская", 55.7586, 37.6588, "Арбатско-Покровская"),
    ("Таганская", 55.7424, 37.6532, "Кольцевая"),
    ("Павелецкая", 55.7297, 37.6387, "Замоскворецкая"),
    ("Добрынинская", 55.7290, 37.6225, "Кольцевая"),
    ("Октябрьская", 55.7292, 37.6115, "Кольцевая"),
    ("Парк культуры", 55.7353, 37.5930, "Сокольническая"),
    ("Смоленская", 55.7477, 37.5833, "Арбатско-Покровская"),
    ("Киевская", 55.7432, 37.5656, "Арбатско-Покровская"),
    ("Краснопресненская", 55.7605, 37.5773, "Кольцевая"),
    ("Баррикадная", 55.7608, 37.5813, "Таганско-Краснопресненская"),
    ("Улица 1905 года", 55.7654, 37.5616, "Таганско-Краснопресненская"),
    ("Деловой центр", 55.7495, 37.5395, "Солнцевская"),
    ("Выставочная", 55.7503, 37.5425, "Филёвская"),
    ("ЦСКА", 55.7864, 37.5350, "Большая кольцевая линия"),
    ("Савёловская", 55.7940, 37.5871, "Серпуховско-Тимирязевская"),
    ("Новослободская", 55.7796, 37.6014, "Кольцевая"),
    ("Проспект Мира", 55.7796, 37.6335, "Кольцевая"),
    ("Бауманская", 55.7723, 37.6791, "Арбатско-Покровская"),
    ("Электрозаводская", 55.7821, 37.7053, "Арбатско-Покровская"),
    ("Шоссе Энтузиастов", 55.7577, 37.7515, "Калининская"),
    ("Автозаводская", 55.7070, 37.6571, "Замоскворецкая"),
    ("Тульская", 55.7087, 37.6226, "Серпуховско-Тимирязевская"),
    ("Ленинский проспект", 55.7070, 37.5858, "Калужско-Рижская"),
    ("Университет", 55.6925, 37.5345, "Сокольническая"),
    ("Кутузовская", 55.7406, 37.5343, "Филёвская"),
    ("Парк Победы", 55.7363, 37.5166, "Арбатско-Покровская"),
    ("Фили", 55.7460, 37.5140, "Филёвская"),
    ("Беговая", 55.7736, 37.5454, "Таганско-Краснопресненская"),
    ("Полежаевская", 55.7774, 37.5178, "Таганско-Краснопресненская"),
    ("Водный стадион", 55.8399, 37.4873, "Замоскворецкая"),
    ("Речной вокзал", 55.8546, 37.4763, "Замоскворецкая"),
    ("ВДНХ", 55.8198, 37.6412, "Калужско-Рижская"),
    ("Медведково", 55.8881, 37.6616, "Калужско-Рижская"),
    ("Калужская", 55.6568, 37.5401, "Калужско-Рижская"),
    ("Теплый Стан", 55.6187, 37.5059, "Калужско-Рижская"),
    ("Новокосино", 55.7451, 37.8641, "Калининская"),
    ("Митино", 55.8463, 37.3614, "Арбатско-Покровская"),
    ("Саларьево", 55.6227, 37.4240, "Сокольническая"),
    ("Академическая", 55.688, 37.573, "Калужско-Рижская"),
    ("Арбатская", 55.752, 37.603, "Арбатско-Покровская"),
    ("Дмитровская", 55.808, 37.582, "Серпуховско-Тимирязевская"),
    ("Профсоюзная", 55.678, 37.563, "Калужско-Рижская"),
    ("Технопарк", 55.695, 37.664, "Замоскворецкая"),
    ("Третьяковская", 55.741, 37.626, "Калининская"),
    ("Чистые пруды", 55.765, 37.638, "Сокольническая"),
    ("Войковская", 55.819, 37.498, "Замоскворецкая"),
    ("Коммунарка", 55.560, 37.469, "Сокольническая"),
    ("Красные ворота", 55.768, 37.648, "Сокольническая"),
    ("Марьина Роща", 55.796, 37.617, "Люблинско-Дмитровская"),
    ("Международная", 55.748, 37.533, "Филёвская"),
    ("Менделеевская", 55.782, 37.599, "Серпуховско-Тимирязевская"),
    ("Новые Черемушки", 55.670, 37.554, "Калужско-Рижская"),
    ("Румянцево", 55.633, 37.442, "Сокольническая"),
    ("Шаболовская", 55.719, 37.608, "Калужско-Рижская"),
]

# Centre and outskirts levels of the demo rates (₽/m² and ₽/m²/year, class A). Chosen so that a
# ready unit's gross rent yield is ≈ 7 % (class B ≈ 410 тыс ₽/м² and ≈ 29 тыс ₽/м²/год between
# the Garden and Third Rings): with the model's 7 % indexation and 8.5 % exit cap rate an office
# bought at the station's price gives an IRR of ≈ 10–12 %; docs/calculator.md («Демо-ставки
# станций») says where they come from.
PRICE_A_CENTRE, PRICE_A_EDGE = 650_000.0, 250_000.0
RENT_A_CENTRE, RENT_A_EDGE = 46_000.0, 17_000.0
CLASS_B_SHARE = 0.72
CADASTRAL_SHARE = 0.45
EDGE_M = 25_000.0
# The demo offers are asking prices of listings, as in the real files of Q2 2026 (sale ≈ 450 000
# ₽/м², rent ≈ 40 000 ₽/м²/год): higher than the rates a calculation should assume, so they keep
# their own levels (and the searches tested on them their results).
OFFER_LEVELS = {"price": (700_000.0, 220_000.0), "rent": (65_000.0, 20_000.0)}


def demo_rates(lat: Optional[float], lng: Optional[float], levels: Optional[dict] = None) -> Dict[str, float]:
    """Station rates falling linearly from the centre to 25 km (then flat); `levels` gives other
    centre and edge levels (the demo offers')."""
    d = distance_to_centre_m(lat, lng) if lat is not None and lng is not None else EDGE_M / 2
    share = min(1.0, d / EDGE_M)
    (p_centre, p_edge), (r_centre, r_edge) = (
        (levels["price"], levels["rent"]) if levels else ((PRICE_A_CENTRE, PRICE_A_EDGE), (RENT_A_CENTRE, RENT_A_EDGE)))
    price_a = p_centre + (p_edge - p_centre) * share
    rent_a = r_centre + (r_edge - r_centre) * share
    price_b = price_a * CLASS_B_SHARE
    return {
        "price_A": round(price_a, -2),
        "price_B": round(price_b, -2),
        "rent_A": round(rent_a, -2),
        "rent_B": round(rent_a * CLASS_B_SHARE, -2),
        "average_cadastral_value": round(price_b * CADASTRAL_SHARE, -2),
    }


def demo_stations() -> List[dict]:
    docs = []
    for name, lat, lng, line in DEMO_STATIONS:
        key = name_key(name)
        docs.append(
            {
                "_id": key,
                "name": name,
                "name_key": key,
                "lines": [{"id": "", "name": line, "color": ""}],
                "hh_ids": [],
                "lat": lat,
                "lng": lng,
                "location": point(lat, lng),
                "demo": True,
            }
        )
    return docs


# Street retail: small units (median ≈ 55 m²) at 0.7 of the office rent per m² put the demo
# median near 145 000 ₽/month per unit, the order of magnitude of real Moscow listings (Q2 2026);
# a sale price at 0.65 of an office's keeps the retail yield, hence its IRR, near the offices'.
RETAIL_RENT_FACTOR = 0.7
RETAIL_SALE_FACTOR = 0.65
RETAIL_AREA_MU = 4.0  # lognormal: e^4 ≈ 55 m²
# Some landlords publish no rent («цена по запросу»): the search must cope with them.
ON_REQUEST_SHARE = 0.03
# Offers are generated in blocks so that their nearest stations are found with numpy at once.
BLOCK = 4096


def _offer(rng: random.Random, i: int, placed: List[dict], updated: dt.datetime) -> dict:
    """One demo offer without its `metro` (filled for a whole block by the caller)."""
    st = placed[rng.randrange(len(placed))]
    # Up to ~1.5 km from the station, uniformly in angle.
    dist = rng.uniform(60, 1500)
    bearing = rng.uniform(0, 6.283)
    lat = st["lat"] + dist * math.cos(bearing) / 111_320
    lng = st["lng"] + dist * math.sin(bearing) / (111_320 * math.cos(math.radians(st["lat"])))
    kind = "office" if rng.random() < 0.65 else "retail"
    deal = "sale" if rng.random() < 0.5 else "rent"
    cls = rng.choice(["A", "B"]) if kind == "office" else rng.choice(["A", "B", None])
    rates = demo_rates(lat, lng, OFFER_LEVELS)
    area = round(rng.lognormvariate(5.3, 0.8), 1) if kind == "office" else round(rng.lognormvariate(RETAIL_AREA_MU, 0.7), 1)
    area = max(15.0, min(area, 8000.0))
    ppm_sale = rates["price_A" if cls == "A" else "price_B"] * rng.uniform(0.8, 1.2)
    if kind == "retail":
        ppm_sale *= RETAIL_SALE_FACTOR
    readiness = "ready" if rng.random() < 0.75 else f"{rng.randint(1, 4)}Q{rng.randint(2027, 2029)}"
    doc = {
        "_id": f"demo-{i:07d}",
        "demo": True,
        "source": DEMO,
        "deal": deal,
        "type": kind,
        "name": f"{'БЦ' if kind == 'office' else 'ТЦ'} «Демо-{st['name']}»",
        "address": f"Москва, демо-адрес у м. {st['name']}, {i % 97 + 1}",
        "location": point(lat, lng),
        "zone": zone_of(lat, lng),
        "metro": [],
        "area_m2": area,
        "floor": rng.randint(-1, 25) if kind == "office" else rng.choice([-1, 1, 1, 1, 2]),
        "finish": rng.choice(["ready", "ready", "partial", "shell"]),
        "readiness": readiness if deal == "sale" else "ready",
        "link": f"https://example.invalid/demo/{i}",
        "photos": [],
        "description": "Демонстрационное предложение",
        "updated_at": updated,
    }
    if cls:
        doc["estate_class"] = cls
    if deal == "sale":
        doc["price_per_m2"] = round(ppm_sale, -2)
        doc["price_rub"] = round(ppm_sale * area, -3)
    else:
        monthly_ppm = rates["rent_A" if cls == "A" else "rent_B"] / 12 * rng.uniform(0.8, 1.25)
        if kind == "retail":
            monthly_ppm *= RETAIL_RENT_FACTOR
        if rng.random() < ON_REQUEST_SHARE:
            doc.update(price_per_m2=None, rent_rub_month=None, price_on_request=True)
        else:
            doc["price_per_m2"] = round(monthly_ppm)
            doc["rent_rub_month"] = round(monthly_ppm * area, -2)
    return doc


def iter_demo_estates(stations: Iterable[dict], count: int, seed: int = SEED) -> Iterator[dict]:
    """`count` offers around the given stations, one by one (a million fits no list).

    Offices and retail, sale and rent; prices follow the demo station rates with noise (centre
    dearer than the outskirts, class B at 0.72 of A), so the search and the finance model see a
    market of the right shape: medians near the real orders of magnitude of Q2 2026 (office
    sale ≈ 450 000 ₽/m², office rent ≈ 40 000 ₽/m²/year, street retail ≈ 145 000 ₽/month).
    """
    rng = random.Random(seed)
    placed = [s for s in stations if s.get("lat") is not None]
    if not placed:
        raise ValueError("нет станций с координатами: сначала загрузите станции")
    locator = StationLocator(placed)
    updated = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)
    for start in range(0, count, BLOCK):
        block = [_offer(rng, i, placed, updated) for i in range(start, min(count, start + BLOCK))]
        lats = [d["location"]["coordinates"][1] for d in block]
        lngs = [d["location"]["coordinates"][0] for d in block]
        for doc, metro in zip(block, locator.nearest_many(lats, lngs)):
            doc["metro"] = metro
        yield from block


def demo_estates(stations: Iterable[dict], count: int, seed: int = SEED) -> List[dict]:
    """`count` demo offers (see `iter_demo_estates`), reproducible for a seed."""
    return list(iter_demo_estates(stations, count, seed))
