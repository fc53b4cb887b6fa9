"""Places a client names, as areas the search can test: Moscow's okrugs, Москва-Сити, the
Садовое кольцо, and how a place is found in a message.

Where the boundaries come from (no polygon of an okrug ships in any package installed here):

* **Okrug of an offer.** A CIAN address names it («Москва, ЮЗАО, р-н Зюзино, …»): the importer
  keeps it (`okrug`, `district`). Other offers get the okrug of the nearest *anchor*: the offers
  whose address named it, and a table, written below as data, of metro stations whose okrug is
  certain (stations on a boundary are left out) plus a few points for the okrugs without metro
  (Зеленоград, Троицк, Щербинка). On the real CIAN rows the station table alone agrees with the
  address on 91 % of offers; with the labelled offers as anchors too, half of them labelled from
  the other half agree on ≥ 95 % (tests on the real data pin both); errors are near okrug borders.
* **Москва-Сити** — a circle of 800 m around the centre of the ММДЦ (it is about 1 km across, so
  the circle takes in its edge: iCITY and Aurus, which the office map files under «Сити», are
  inside; the Бадаевский at 1.2 km is not). Offers whose source files them under «Сити» count too.
* **Садовое кольцо** — the polygon through the squares on the ring (Кудринская, Триумфальная,
  Сухаревская, …): points read from the map, the ring is straight enough between them for a
  search that is anyway «15 minutes on foot».
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from wewall.geo import EARTH_RADIUS_M

OKRUGS = ("ЦАО", "САО", "СВАО", "ВАО", "ЮВАО", "ЮАО", "ЮЗАО", "ЗАО", "СЗАО", "ЗелАО", "НАО", "ТАО")
OKRUG_NAMES = {
    "ЦАО": "Центральный", "САО": "Северный", "СВАО": "Северо-Восточный", "ВАО": "Восточный",
    "ЮВАО": "Юго-Восточный", "ЮАО": "Южный", "ЮЗАО": "Юго-Западный", "ЗАО": "Западный",
    "СЗАО": "Северо-Западный", "ЗелАО": "Зеленоградский", "НАО": "Новомосковский", "ТАО": "Троицкий",
}
CITY = "city"  # Москва-Сити, a place next to the okrugs
PLACES = OKRUGS + (CITY,)
PLACE_NAMES = {**{o: o for o in OKRUGS}, CITY: "Москва-Сити"}

# Stations whose okrug is not in doubt (the station table spells е, not ё, in most names).
ANCHOR_STATIONS: Dict[str, Tuple[str, ...]] = {
    "ЦАО": ("Охотный ряд", "Арбатская", "Китай-город", "Кузнецкий мост", "Тверская", "Пушкинская", "Чистые пруды",
            "Тургеневская", "Лубянка", "Третьяковская", "Новокузнецкая", "Полянка", "Кропоткинская", "Смоленская",
            "Баррикадная", "Краснопресненская", "Маяковская", "Белорусская", "Новослободская", "Менделеевская",
            "Цветной бульвар", "Сухаревская", "Проспект Мира", "Комсомольская", "Красные ворота", "Бауманская",
            "Курская", "Чкаловская", "Таганская", "Марксистская", "Павелецкая", "Добрынинская", "Серпуховская",
            "Октябрьская", "Парк культуры", "Фрунзенская", "Спортивная", "Улица 1905 года", "Деловой центр",
            "Выставочная", "Международная", "Достоевская", "Площадь Ильича", "Римская", "Красносельская",
            "Трубная", "Сретенский бульвар", "Чеховская", "Боровицкая", "Театральная"),
    "САО": ("Динамо", "Аэропорт", "Сокол", "Войковская", "Водный стадион", "Речной вокзал", "Беломорская", "Ховрино",
            "Петровский парк", "Беговая", "Полежаевская", "Хорошевская", "ЦСКА", "Коптево", "Лихоборы", "Балтийская",
            "Селигерская", "Верхние Лихоборы", "Дмитровская", "Тимирязевская", "Окружная", "Петровско-Разумовская"),
    "СВАО": ("Алексеевская", "ВДНХ", "Ботанический сад", "Свиблово", "Бабушкинская", "Медведково", "Отрадное",
             "Владыкино", "Бибирево", "Алтуфьево", "Марьина Роща", "Бутырская", "Фонвизинская", "Ростокино",
             "Улица Милашенкова", "Телецентр", "Улица Академика Королёва"),
    "ВАО": ("Сокольники", "Преображенская площадь", "Черкизовская", "Бульвар Рокоссовского", "Щелковская",
            "Первомайская", "Измайловская", "Партизанская", "Семеновская", "Шоссе Энтузиастов", "Перово",
            "Новогиреево", "Новокосино", "Локомотив", "Соколиная Гора", "Измайлово"),
    "ЮВАО": ("Волгоградский проспект", "Текстильщики", "Кузьминки", "Рязанский проспект", "Выхино",
             "Лермонтовский проспект", "Жулебино", "Марьино", "Братиславская", "Люблино", "Волжская", "Печатники",
             "Кожуховская", "Дубровка", "Авиамоторная", "Лефортово", "Нижегородская", "Угрешская", "Стахановская",
             "Окская", "Юго-Восточная"),
    "ЮАО": ("Тульская", "Нагатинская", "Нагорная", "Нахимовский проспект", "Варшавская", "Каширская",
            "Кантемировская", "Царицыно", "Орехово", "Домодедовская", "Красногвардейская", "Шипиловская",
            "Зябликово", "Автозаводская", "Технопарк", "Коломенская", "Пражская", "Южная", "Чертановская",
            "Улица Академика Янгеля", "Аннино", "Бульвар Дмитрия Донского", "Верхние Котлы"),
    "ЮЗАО": ("Академическая", "Профсоюзная", "Новые Черемушки", "Калужская", "Беляево", "Коньково", "Теплый Стан",
             "Ясенево", "Новоясеневская", "Битцевский Парк", "Университет", "Зюзино", "Воронцовская", "Новаторская",
             "Бульвар Адмирала Ушакова", "Улица Скобелевская", "Улица Горчакова", "Бунинская аллея",
             "Улица Старокачаловская", "Ломоносовский проспект"),
    "ЗАО": ("Киевская", "Студенческая", "Кутузовская", "Фили", "Багратионовская", "Филевский парк", "Пионерская",
            "Кунцевская", "Молодежная", "Крылатское", "Славянский бульвар", "Парк Победы", "Минская", "Раменки",
            "Мичуринский проспект", "Озёрная", "Говорово", "Солнцево", "Боровское шоссе", "Новопеределкино",
            "Юго-Западная", "Тропарево", "Проспект Вернадского", "Давыдково", "Аминьевская"),
    "СЗАО": ("Щукинская", "Тушинская", "Сходненская", "Планерная", "Митино", "Волоколамская", "Пятницкое шоссе",
             "Спартак", "Октябрьское поле", "Строгино", "Панфиловская", "Зорге", "Народное Ополчение", "Стрешнево",
             "Покровское-Стрешнево", "Мнёвники"),
    "НАО": ("Саларьево", "Филатов луг", "Прокшино", "Ольховая", "Коммунарка", "Румянцево", "Рассказовка"),
}
# Okrugs without stations in the table (or with few): points read from the map.
ANCHOR_POINTS: Dict[str, Tuple[Tuple[float, float], ...]] = {
    "ЗелАО": ((55.9825, 37.1814), (55.9990, 37.2150), (55.9700, 37.1530)),
    "ТАО": ((55.4847, 37.3055), (55.3600, 37.1000)),  # Троицк, Вороново
    # Щербинка, Московский, Ватутинки, Коммунарка, Сосенское
    "НАО": ((55.4990, 37.5630), (55.6000, 37.3500), (55.5150, 37.3450), (55.5550, 37.5050), (55.5800, 37.4300)),
}

CITY_CENTRE = (55.7505, 37.5375)
CITY_RADIUS_M = 800.0

# The Садовое кольцо through its squares, clockwise from Кудринская.
SADOVOE_RING: Tuple[Tuple[float, float], ...] = (
    (55.7590, 37.5810),  # Кудринская площадь
    (55.7700, 37.5955),  # Триумфальная площадь
    (55.7722, 37.6140),  # Садовая-Каретная
    (55.7720, 37.6327),  # Сухаревская площадь
    (55.7689, 37.6487),  # Красные Ворота
    (55.7580, 37.6589),  # Земляной Вал у Курского вокзала
    (55.7412, 37.6535),  # Таганская площадь
    (55.7310, 37.6380),  # Павелецкая площадь
    (55.7290, 37.6225),  # Серпуховская площадь
    (55.7310, 37.6110),  # Калужская площадь
    (55.7354, 37.5935),  # Зубовская / Крымский мост
    (55.7476, 37.5837),  # Смоленская площадь
)


class OkrugLocator:
    """Okrug of points by the nearest anchor (vectorised: the index labels a million rows so)."""

    def __init__(self, station_positions: Dict[str, Tuple[float, float]], labelled: Optional[Tuple[np.ndarray, np.ndarray, np.ndarray]] = None):
        """`labelled`: (lats, lngs, okrug codes) of points whose okrug is known (offers' addresses)."""
        from wewall.data.names import name_key

        pts: List[Tuple[float, float]] = []
        codes: List[int] = []
        for okrug, names in ANCHOR_STATIONS.items():
            for name in names:
                pos = station_positions.get(name_key(name))
                if pos is not None:
                    pts.append(pos)
                    codes.append(OKRUGS.index(okrug))
        for okrug, points in ANCHOR_POINTS.items():
            for p in points:
                pts.append(p)
                codes.append(OKRUGS.index(okrug))
        arr = np.array(pts, dtype=float)
        self.lat, self.lng = arr[:, 0], arr[:, 1]
        self.codes = np.array(codes, dtype=np.int8)
        if labelled is not None and len(labelled[0]):
            self.lat = np.concatenate([self.lat, np.asarray(labelled[0], float)])
            self.lng = np.concatenate([self.lng, np.asarray(labelled[1], float)])
            self.codes = np.concatenate([self.codes, np.asarray(labelled[2], np.int8)])

    def codes_of(self, lats: Sequence[float], lngs: Sequence[float], chunk: int = 8192) -> np.ndarray:
        """Okrug code (index in `OKRUGS`) of each point; -1 where the point has no coordinates."""
        lat_all = np.asarray(lats, dtype=float)
        lng_all = np.asarray(lngs, dtype=float)
        out = np.full(len(lat_all), -1, dtype=np.int8)
        k = np.cos(np.radians(55.75))
        for start in range(0, len(lat_all), chunk):
            la, ln = lat_all[start:start + chunk, None], lng_all[start:start + chunk, None]
            d = (la - self.lat) ** 2 + ((ln - self.lng) * k) ** 2  # equirectangular: fine at city scale
            best = self.codes[np.argmin(d, axis=1)] if len(self.lat) else np.full(len(la), -1, dtype=np.int8)
            out[start:start + chunk] = np.where(np.isnan(la[:, 0]) | np.isnan(ln[:, 0]), -1, best)
        return out

    def okrug_of(self, lat: float, lng: float) -> Optional[str]:
        code = int(self.codes_of([lat], [lng])[0])
        return OKRUGS[code] if code >= 0 else None


def distances_m(lats: np.ndarray, lngs: np.ndarray, lat0: float, lng0: float) -> np.ndarray:
    """Haversine metres from (lat0, lng0) to each point, vectorised."""
    la = np.radians(lats)
    p0 = np.radians(lat0)
    a = np.sin((la - p0) / 2) ** 2 + np.cos(la) * np.cos(p0) * np.sin(np.radians(lngs - lng0) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def in_city(lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return distances_m(np.asarray(lats, float), np.asarray(lngs, float), *CITY_CENTRE) <= CITY_RADIUS_M


def inside_polygon(lats: np.ndarray, lngs: np.ndarray, ring: Sequence[Tuple[float, float]] = SADOVOE_RING) -> np.ndarray:
    """Even-odd ray casting for many points (NaN coordinates are outside)."""
    y = np.asarray(lats, dtype=float)
    x = np.asarray(lngs, dtype=float)
    inside = np.zeros(len(y), dtype=bool)
    n = len(ring)
    with np.errstate(invalid="ignore", divide="ignore"):
        for i in range(n):
            y1, x1 = ring[i]
            y2, x2 = ring[(i + 1) % n]
            crosses = (y1 > y) != (y2 > y)
            x_at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            inside ^= crosses & (x < x_at)
    return inside


# ---------------------------------------------------------------- places in a message

_OKRUG_WORDS = [
    ("ЗелАО", r"зелао|зеленоград\w*"),
    ("СВАО", r"свао|северо[\s-]*восточн\w*\s+(?:административн\w*\s+)?округ\w*"),
    ("СЗАО", r"сзао|северо[\s-]*западн\w*\s+(?:административн\w*\s+)?округ\w*"),
    ("ЮВАО", r"ювао|юго[\s-]*восточн\w*\s+(?:административн\w*\s+)?округ\w*"),
    ("ЮЗАО", r"юзао|юго[\s-]*западн\w*\s+(?:административн\w*\s+)?округ\w*"),
    ("ЦАО", r"цао|центральн\w*\s+(?:административн\w*\s+)?округ\w*"),
    ("САО", r"сао|северн\w*\s+(?:административн\w*\s+)?округ\w*"),
    ("ВАО", r"вао|восточн\w*\s+(?:административн\w*\s+)?округ\w*"),
    ("ЮАО", r"юао|южн\w*\s+(?:административн\w*\s+)?округ\w*"),
    ("ЗАО", r"зао|западн\w*\s+(?:административн\w*\s+)?округ\w*"),
    ("НАО", r"нао|новомосковск\w*|новая\s+москва|новой\s+москв\w*"),
    ("ТАО", r"тао|троицк\w*\s+(?:административн\w*\s+)?округ\w*"),
]
_OKRUG_RE = [(code, re.compile(r"(?<![а-яё\w])(?:" + rx + r")(?![а-яё\w])", re.I)) for code, rx in _OKRUG_WORDS]
_CITY_RE = re.compile(r"(?:москв\w*[\s-]*)?сити\b|ммдц|москоу[\s-]*сити|moscow[\s-]*city", re.I)
_SADOVOE_RE = re.compile(r"садов\w*", re.I)
_NEAR_METRO_RE = re.compile(r"(?<![а-яё])(?:рядом\s+с|около|возле|близко\s+к|недалеко\s+от|у|вблизи|поближе\s+к|в\s+шаговой\s+доступности\s+от)\s+метро", re.I)


def places_in(text: str) -> List[str]:
    """Okrugs and «city» named in `text`, in the order written, without repeats."""
    found: List[Tuple[int, str]] = []
    taken: List[Tuple[int, int]] = []
    for code, rx in _OKRUG_RE:
        for m in rx.finditer(text or ""):
            if any(a <= m.start() < b for a, b in taken):
                continue  # «юго-западный округ» must not also read as «западный округ»
            taken.append((m.start(), m.end()))
            found.append((m.start(), code))
    for m in _CITY_RE.finditer(text or ""):
        found.append((m.start(), CITY))
    out: List[str] = []
    for _, code in sorted(found):
        if code not in out:
            out.append(code)
    return out


def says_sadovoe(text: str) -> bool:
    return bool(_SADOVOE_RE.search(text or ""))


def says_near_metro(text: str) -> bool:
    """«рядом с метро», «у метро», «недалеко от метро» (the caller checks no station is named)."""
    return bool(_NEAR_METRO_RE.search(text or ""))


# «в районе Хамовники», «район Якиманка», «р-н Зюзино», «в Басманном районе». Only with the word
# «район»: many districts are also stations (Сокольники, Текстильщики) and «у Сокольников» is a station.
_DISTRICT_AFTER = re.compile(r"(?:район\w*|р-н)\s+((?!метро|станц|м\.)[А-ЯЁа-яё][А-ЯЁа-яё-]*(?:\s+(?!и\b|или\b|до\b|от\b)[А-ЯЁа-яё][А-ЯЁа-яё-]*)?)", re.I)
_DISTRICT_BEFORE = re.compile(r"([А-ЯЁа-яё-]+(?:ом|ем|ий|ый|ой))\s+район\w*", re.I)
_NOT_DISTRICT = {"этот", "тот", "какой", "любой", "центральный", "хороший", "спальный", "другой", "ваш", "наш", "этом", "том"}


def district_key(name: str) -> str:
    """A district's name for comparison: lemmas in any order («Чертаново Северное» = «Северное
    Чертаново»), «ё» as «е», hyphens as spaces («Выхино-Жулебино»)."""
    from wewall.nlu.morph import analyzer

    words = re.findall(r"[а-яё]+", (name or "").lower().replace("ё", "е"))
    return " ".join(sorted(analyzer().parse(w)[0].normal_form.replace("ё", "е") for w in words))


def _nominative(adjective: str) -> str:
    """«Басманном» → «Басманный» (the district as it is named)."""
    from wewall.nlu.morph import analyzer

    form = analyzer().parse(adjective.lower())[0].inflect({"nomn", "sing", "masc"})
    word = form.word if form is not None else adjective.lower()
    return word[:1].upper() + word[1:]


def districts_in(text: str) -> List[str]:
    """District names as written after or before «район» (the search checks them against the base)."""
    out: List[str] = []
    for m in _DISTRICT_AFTER.finditer(text or ""):
        words = m.group(1).split()
        # «в районе Хамовники до 500 тысяч»: a second word only if it is a name too (capitalised)
        name = m.group(1) if len(words) == 2 and words[1][:1].isupper() else words[0]
        out.append(name)
    for m in _DISTRICT_BEFORE.finditer(text or ""):
        if m.group(1).lower() not in _NOT_DISTRICT:
            out.append(_nominative(m.group(1)))
    seen, result = set(), []
    for name in out:
        key = district_key(name)
        if key and key not in seen and key not in _NOT_DISTRICT:
            seen.add(key)
            result.append(name)
    return result


def place_phrase(places: Iterable[str]) -> str:
    return ", ".join(PLACE_NAMES.get(p, p) for p in places)
