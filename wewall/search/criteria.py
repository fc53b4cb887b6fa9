"""The client's search criteria (search.md, «Search criteria») and the limits they imply.

One object for both search paths (the columnar index and the MongoDB filter), so the 10 %
tolerances are computed in one place and the two paths cannot disagree on an edge.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

from wewall.geo import WALK_M_PER_MIN

DEALS = ("sale", "rent")
TYPES = ("office", "retail", "any")
ZONES = ("sadovoe", "ttk", "mkad", "any")  # sadovoe: inside the Садовое кольцо (so inside ТТК too)
FINISHES = ("ready", "any")
CLASSES = ("A", "B", "any")
PURPOSES = ("investment", "business")
READINESS = ("ready", "now", "any")  # now: commissioned or commissioned by the current quarter
PLACES = ("ЦАО", "САО", "СВАО", "ВАО", "ЮВАО", "ЮАО", "ЮЗАО", "ЗАО", "СЗАО", "ЗелАО", "НАО", "ТАО", "city")
DEFAULT_STATION_MINUTES = 15.0  # «у Белорусской» without a distance: 15 minutes on foot

BUDGET_TOLERANCE = 0.10  # price ≤ budget × 1.10
AREA_TOLERANCE = 0.10  # area ≥ min area × 0.90
# Float products such as 100 × 1.1 may land a hair below the exact bound; an offer priced
# exactly at budget × 1.10 must match (and one rouble more must not).
EPS = 1e-9

# What the dialogue may say, mapped to the canonical values.
_ALIASES = {
    "buy": "sale", "купить": "sale", "покупка": "sale", "аренда": "rent", "арендовать": "rent",
    "офис": "office", "торговое": "retail", "street retail": "retail", "любой": "any", "любая": "any", "": "any",
    "а": "A", "в": "B", "a": "A", "b": "B",
    "invest": "investment", "инвестиции": "investment", "бизнес": "business", "own": "business",
    "with_finish": "ready", "с отделкой": "ready", "готов": "ready", "готовый": "ready",
    "внутри ттк": "ttk", "внутри мкад": "mkad", "внутри садового": "sadovoe", "садовое": "sadovoe",
}


def _canon(value, allowed: Tuple[str, ...], what: str) -> str:
    if value is None:
        value = "any"
    text = str(value).strip()
    for candidate in (text, text.lower(), text.upper()):
        if candidate in allowed:
            return candidate
    alias = _ALIASES.get(text.lower())
    if alias in allowed:
        return alias
    raise ValueError(f"{what}: «{value}» не подходит, допустимо: {', '.join(allowed)}")


def _positive(value, what: str) -> Optional[float]:
    if value is None:
        return None
    x = float(value)
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{what} должно быть положительным числом, а не «{value}»")
    return x


@dataclass(frozen=True)
class Criteria:
    """What the client wants. `None` or "any" means no filter on that field."""

    deal: str = "sale"  # sale | rent
    type: str = "any"  # office | retail | any
    budget_rub: Optional[float] = None  # max total price (sale) or max monthly rent (rent)
    zone: str = "any"  # ttk (inside ТТК) | mkad (inside МКАД, ТТК included) | any
    min_area_m2: Optional[float] = None
    max_metro_minutes: Optional[float] = None  # on foot to the nearest station
    max_metro_m: Optional[float] = None
    finish: str = "any"  # ready (only with finish) | any
    estate_class: str = "any"  # A | B | any
    purpose: Optional[str] = None  # investment | business
    min_irr: Optional[float] = None  # %, investors buying only
    readiness: str = "any"  # ready (only commissioned buildings) | any
    wishes: str = ""  # free text for the manager; never filters
    # Named stations: offers within walking distance of any of them (max_metro_* or 15 minutes),
    # measured from the station, not to the offer's nearest station; ranked by that distance.
    stations: Tuple[str, ...] = ()
    places: Tuple[str, ...] = ()  # okrugs (ЦАО…ТАО) and «city» (Москва-Сити): any of them
    districts: Tuple[str, ...] = ()  # district names as the client wrote them (compared by `district_key`)
    max_area_m2: Optional[float] = None  # area ≤ max × 1.10
    min_budget_rub: Optional[float] = None  # «от 100 до 150 млн»: price ≥ min × 0.90
    # Wishes the data can answer (wewall.search.wishes): they rank, `strict_wishes` also filter.
    wish: Tuple[str, ...] = ()
    max_floor: Optional[float] = None
    # «до 500 тысяч за метр»: price per m² (sale) or rent per m² a month (rent) ≤ this × 1.10
    max_price_per_m2: Optional[float] = None

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        set_("deal", _canon(self.deal, DEALS, "Сделка"))
        set_("type", _canon(self.type, TYPES, "Тип помещения"))
        set_("zone", _canon(self.zone, ZONES, "Район"))
        set_("finish", _canon(self.finish, FINISHES, "Отделка"))
        set_("estate_class", _canon(self.estate_class, CLASSES, "Класс"))
        set_("readiness", _canon(self.readiness, READINESS, "Готовность"))
        if self.purpose is not None:
            set_("purpose", _canon(self.purpose, PURPOSES, "Цель"))
        set_("budget_rub", _positive(self.budget_rub, "Бюджет"))
        set_("min_area_m2", _positive(self.min_area_m2, "Площадь"))
        set_("max_metro_minutes", _positive(self.max_metro_minutes, "Время до метро"))
        set_("max_metro_m", _positive(self.max_metro_m, "Расстояние до метро"))
        if self.min_irr is not None:
            set_("min_irr", float(self.min_irr))
        set_("wishes", str(self.wishes or ""))
        set_("stations", tuple(str(x) for x in (self.stations or ()) if str(x).strip()))
        places = tuple(str(x) for x in (self.places or ()))
        bad = [p for p in places if p not in PLACES]
        if bad:
            raise ValueError(f"Район: «{bad[0]}» не подходит, допустимо: {', '.join(PLACES)}")
        set_("places", places)
        set_("districts", tuple(str(x) for x in (self.districts or ()) if str(x).strip()))
        set_("max_area_m2", _positive(self.max_area_m2, "Площадь"))
        set_("min_budget_rub", _positive(self.min_budget_rub, "Бюджет"))
        set_("wish", tuple(str(x) for x in (self.wish or ())))
        if self.max_floor is not None:
            set_("max_floor", float(self.max_floor))
        set_("max_price_per_m2", _positive(self.max_price_per_m2, "Цена за м²"))
        for lo, hi, what in (("min_area_m2", "max_area_m2", "Площадь"), ("min_budget_rub", "budget_rub", "Бюджет")):
            if getattr(self, lo) is not None and getattr(self, hi) is not None and getattr(self, lo) > getattr(self, hi):
                raise ValueError(f"{what}: «от» больше, чем «до»")

    @classmethod
    def from_dict(cls, data: Mapping) -> Criteria:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Неизвестный критерий поиска: {', '.join(unknown)}")
        return cls(**dict(data))

    def to_dict(self) -> dict:
        """JSON-ready (tuples as lists): a slot keeps it and `from_dict` reads it back."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def replace(self, **changes) -> Criteria:
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------ derived limits

    @property
    def price_limit(self) -> Optional[float]:
        return None if self.budget_rub is None else self.budget_rub * (1 + BUDGET_TOLERANCE) * (1 + EPS)

    @property
    def area_limit(self) -> Optional[float]:
        return None if self.min_area_m2 is None else self.min_area_m2 * (1 - AREA_TOLERANCE) * (1 - EPS)

    @property
    def area_max_limit(self) -> Optional[float]:
        return None if self.max_area_m2 is None else self.max_area_m2 * (1 + AREA_TOLERANCE) * (1 + EPS)

    @property
    def ppm_limit(self) -> Optional[float]:
        return None if self.max_price_per_m2 is None else self.max_price_per_m2 * (1 + BUDGET_TOLERANCE) * (1 + EPS)

    @property
    def price_floor(self) -> Optional[float]:
        return None if self.min_budget_rub is None else self.min_budget_rub * (1 - BUDGET_TOLERANCE) * (1 - EPS)

    @property
    def station_limit_m(self) -> Optional[float]:
        """How far from a named station an offer may be (straight line, as `metro.distance_m`)."""
        if not self.stations:
            return None
        limits = []
        if self.max_metro_m is not None:
            limits.append(self.max_metro_m)
        if self.max_metro_minutes is not None:
            limits.append(self.max_metro_minutes * WALK_M_PER_MIN)
        return min(limits) if limits else DEFAULT_STATION_MINUTES * WALK_M_PER_MIN

    @property
    def nearest_metro_limits(self) -> Tuple[Optional[float], Optional[float]]:
        """(minutes, metres) to the offer's nearest station; with named stations these measure
        the distance from them instead, so they do not filter the nearest station."""
        if self.stations:
            return None, None
        return self.max_metro_minutes, self.max_metro_m

    @property
    def zones(self) -> Optional[Tuple[str, ...]]:
        """The zones that satisfy the criterion: inside МКАД includes inside ТТК."""
        return {"sadovoe": ("ttk",), "ttk": ("ttk",), "mkad": ("ttk", "mkad"), "any": None}[self.zone]

    @property
    def types(self) -> Tuple[str, ...]:
        return ("office", "retail") if self.type == "any" else (self.type,)

    @property
    def investor(self) -> bool:
        return self.purpose == "investment" and self.deal == "sale"

    @property
    def irr_limit(self) -> Optional[float]:
        """IRR is the buyer's measure: it filters only an investor's purchase."""
        return self.min_irr if self.investor and self.min_irr is not None else None
