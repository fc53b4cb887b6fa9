"""Comparable offers after a calculation, and the client's price per m² against their median.

The old `analog_search` service, by search.md «Analogs»: same deal, type and class, near the
same station (the same nearest station, or within `radius_m` by coordinates), area within
±30 %; ranked by similarity:

    similarity = 0.45·closeness + 0.35·area match + 0.20·same station
    closeness = 1 − distance / radius (0 beyond), area match = 1 − |area/area₀ − 1| / 0.30

The median is taken over every analog found, not only the ones shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional

import numpy as np

from wewall.geo import EARTH_RADIUS_M
from wewall.search.columnar import CLASS_CODES, DEAL_CODES, TYPE_CODES
from wewall.text import count as count_words
from wewall.text import num

RADIUS_M = 1_500.0
AREA_TOLERANCE = 0.30
LIMIT = 8
SAME_LEVEL_PCT = 3.0  # within ±3 % of the median the price is «at the median»
FEW = 3  # fewer analogs than this: the median is a weak guide, and we say so
W_CLOSE, W_AREA, W_STATION = 0.45, 0.35, 0.20


@dataclass
class Subject:
    """What is compared: from an offer or from the calculator's inputs."""

    deal: str
    type: str
    estate_class: Optional[str]
    area_m2: float
    price_per_m2: Optional[float]
    station: Optional[str] = None
    lat: Optional[float] = None
    lng: Optional[float] = None
    offer_id: Any = None

    @classmethod
    def of(cls, subject, locator=None) -> Subject:
        """From an `estates` document, a calculator `Inputs`, or a dict of the calculator's inputs."""
        if isinstance(subject, Subject):
            return subject
        data = subject if isinstance(subject, Mapping) else subject.to_dict()
        if "kind" in data:  # the calculator's inputs: a purchase
            station = data.get("metro_station")
            lat = lng = None
            if station and locator is not None:
                pos = locator.position(station)
                if pos:
                    lat, lng = pos
            cls_ = data.get("estate_class")
            cls_ = {"А": "A", "В": "B"}.get(str(cls_).strip().upper(), str(cls_).strip().upper()) if cls_ else None
            return cls(
                deal="sale",
                type="office" if str(data["kind"]).endswith("_office") else "retail",
                estate_class=cls_,
                area_m2=float(data["area_m2"]),
                price_per_m2=float(data["price_per_m2"]) if data.get("price_per_m2") else None,
                station=station, lat=lat, lng=lng,
            )
        metro = (data.get("metro") or [{}])[0] or {}
        coords = (data.get("location") or {}).get("coordinates")
        return cls(
            deal=data.get("deal", "sale"),
            type=data.get("type", "office"),
            estate_class=data.get("estate_class"),
            area_m2=float(data["area_m2"]),
            price_per_m2=None if data.get("price_on_request") else data.get("price_per_m2"),
            station=metro.get("station"),
            lat=coords[1] if coords else None,
            lng=coords[0] if coords else None,
            offer_id=data.get("_id"),
        )


@dataclass
class AnalogResult:
    subject: Subject
    count: int  # every analog found
    ids: List[Any] = field(default_factory=list)  # up to `limit`, most similar first
    similarity: List[float] = field(default_factory=list)
    offers: List[dict] = field(default_factory=list)
    median_price_per_m2: Optional[float] = None
    diff_percent: Optional[float] = None  # the subject's price vs the median, %
    text: str = ""

    def to_dict(self) -> dict:
        return {
            "count": self.count, "ids": list(self.ids), "similarity": [round(s, 4) for s in self.similarity],
            "median_price_per_m2": self.median_price_per_m2, "diff_percent": self.diff_percent, "text": self.text,
        }


def _distance_m(lat0: float, lng0: float, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    p0, p = np.radians(lat0), np.radians(lat)
    a = np.sin((p - p0) / 2) ** 2 + np.cos(p0) * np.cos(p) * np.sin(np.radians(lng - lng0) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def comparison_text(subject: Subject, count: int, median: Optional[float], diff: Optional[float]) -> str:
    unit = "₽ за м²" if subject.deal == "sale" else "₽ за м² в месяц"
    if count == 0 or median is None:
        return "Похожих предложений рядом не нашлось: сравнить цену не с чем."
    analogs = count_words(count, "предложение", "похожий", case="gent")
    if subject.price_per_m2 is None or diff is None:
        text = f"Медиана {analogs}: {num(median, 0)} {unit}."
    elif abs(diff) < SAME_LEVEL_PCT:
        text = f"Ваша цена {num(subject.price_per_m2, 0)} {unit} — на уровне медианы {analogs} ({num(median, 0)} {unit})."
    else:
        where = "выше" if diff > 0 else "ниже"
        text = f"Ваша цена {num(subject.price_per_m2, 0)} {unit} на {num(abs(diff), 0)} % {where} медианы {analogs} ({num(median, 0)} {unit})."
    if count < FEW:
        text += " Аналогов мало, сравнение приблизительное."
    return text


def find_analogs(engine, subject, *, radius_m: float = RADIUS_M, area_tolerance: float = AREA_TOLERANCE, limit: int = LIMIT, locator=None) -> AnalogResult:
    """Analogs of `subject` (an offer, or the calculator's inputs) among the engine's offers.

    For calculator inputs the position is the station's (`locator`: a `StationLocator`);
    without it only offers at the same nearest station are analogs.
    """
    s = Subject.of(subject, locator)
    index = engine.index
    result = AnalogResult(s, 0)
    if s.deal not in DEAL_CODES or s.type not in TYPE_CODES:
        result.text = comparison_text(s, 0, None, None)
        return result
    lo, hi = index.segments[(DEAL_CODES[s.deal], TYPE_CODES[s.type])]
    area = index.area[lo:hi]
    m = (area >= s.area_m2 * (1 - area_tolerance) * (1 - 1e-9)) & (area <= s.area_m2 * (1 + area_tolerance) * (1 + 1e-9))
    m &= ~np.isnan(index.ppm[lo:hi])
    if s.estate_class in CLASS_CODES:
        m &= index.cls[lo:hi] == CLASS_CODES[s.estate_class]
    rows = lo + np.flatnonzero(m)
    code = index.station_code(s.station)
    same = index.station[rows] == code if code is not None else np.zeros(len(rows), dtype=bool)
    if s.lat is not None and s.lng is not None:
        dist = _distance_m(s.lat, s.lng, index.lat[rows], index.lng[rows])
        near = same | (dist <= radius_m)
        closeness = np.clip(1.0 - dist / radius_m, 0.0, 1.0)
    else:
        near = same
        closeness = np.where(same, 0.5, 0.0)
    keep = near
    if s.offer_id is not None:
        keep &= index.ids[rows] != s.offer_id
    rows, closeness, same = rows[keep], closeness[keep], same[keep]
    result.count = len(rows)
    if not len(rows):
        result.text = comparison_text(s, 0, None, None)
        return result
    area_match = np.clip(1.0 - np.abs(index.area[rows] / s.area_m2 - 1.0) / area_tolerance, 0.0, 1.0)
    sim = W_CLOSE * closeness + W_AREA * area_match + W_STATION * same
    order = sorted(range(len(rows)), key=lambda i: (-round(float(sim[i]), 12), str(index.ids[rows[i]])))[:limit]
    result.ids = [index.ids[rows[i]] for i in order]
    result.similarity = [float(sim[i]) for i in order]
    median = float(np.median(index.ppm[rows]))
    result.median_price_per_m2 = round(median, 2)
    if s.price_per_m2:
        result.diff_percent = round((float(s.price_per_m2) / median - 1.0) * 100.0, 1)
    result.text = comparison_text(s, result.count, median, result.diff_percent)
    if engine.fetch and result.ids:
        result.offers = engine.fetch(result.ids)
    return result
