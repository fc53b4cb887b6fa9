"""`irr_percent` of sale offers: the finance model run on each offer (search.md, field table).

The model's inputs come from the offer: its nearest station and the distance to it, VAT 0
(УСН), the fit-out the buyer still needs from the finish (with finish → none, partial →
partial, without or unknown → full: new business centres sell offices without finish), and
the kind from type and readiness. A building whose commissioning quarter is already past is
counted as commissioned this quarter (the model refuses a readiness before the deal).

Retail has no station rates in the model: its rent is the client's figure. For a retail sale
offer we take the median rent per m² of retail rent offers within 1.5 km (at least 3 of them),
so the number rests on data, not on a guess; without such neighbours there is no IRR.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from wewall.calculator import CalculationError, calculate
from wewall.calculator import quarters as Q
from wewall.data.names import name_key
from wewall.geo import EARTH_RADIUS_M

REPAIRS = {"ready": "none", "partial": "partial", "shell": "full", None: "full"}
RETAIL_RENT_RADIUS_M = 1_500.0
RETAIL_RENT_MIN_OFFERS = 3
# Fields the calculation reads from an offer (the projection of the storage query).
FIELDS = ("deal", "type", "estate_class", "area_m2", "price_per_m2", "finish", "readiness", "metro", "location")

# Grouping of the model's refusals: its messages carry the numbers of each offer.
REASONS_BY_FIELD = {
    "area_m2": "площадь вне таблицы коэффициентов площади",
    "distance_to_metro_m": "расстояние до метро вне таблицы коэффициентов",
    "metro_station": "нет ставок для станции или таблиц коэффициентов",
    "readiness": "срок ввода дальше горизонта расчёта",
    "estate_class": "нет класса здания",
}


@dataclass
class IrrReport:
    offers: int = 0
    computed: int = 0
    not_computed: Counter = field(default_factory=Counter)
    demo_rates: int = 0
    past_readiness: int = 0
    as_of: Optional[dt.date] = None

    def lines(self) -> List[str]:
        out = [f"Предложений на продажу: {self.offers}, IRR рассчитан: {self.computed}, не рассчитан: {sum(self.not_computed.values())}"]
        for reason, n in self.not_computed.most_common():
            out.append(f"  не рассчитан — {reason}: {n}")
        if self.past_readiness:
            out.append(f"  срок ввода уже прошёл, ввод принят в текущем квартале: {self.past_readiness}")
        if self.demo_rates:
            out.append(f"  внимание: по демо-ставкам станций рассчитано {self.demo_rates} (загрузите настоящие ставки)")
        return out


def _kind(doc: dict, deal_q: Q.Quarter) -> Tuple[Optional[str], Optional[str], Optional[str], bool]:
    """(kind, readiness, reason, readiness moved to the current quarter)."""
    office = doc.get("type") == "office"
    readiness = doc.get("readiness")
    if readiness == "ready":
        return ("finished_office" if office else "finished_retail"), None, None, False
    if not readiness:
        return None, None, "срок ввода здания неизвестен", False
    if not office:
        return None, None, "торговое помещение в строящемся здании: модели нужна цена готового помещения", False
    try:
        q = Q.parse_quarter(readiness)
    except CalculationError:
        return None, None, "срок ввода здания не в формате NQYYYY", False
    if Q.index(q, deal_q) < 0:
        return "building_office", Q.label(deal_q), None, True
    return "building_office", Q.label(q), None, False


class RetailRents:
    """Monthly rent per m² of retail rent offers, to give retail sale offers a rent."""

    def __init__(self, docs: Iterable[dict]):
        pts, ppm = [], []
        for d in docs:
            if d.get("price_per_m2") and d.get("location"):
                lng, lat = d["location"]["coordinates"]
                pts.append((lat, lng))
                ppm.append(float(d["price_per_m2"]))
        arr = np.radians(np.array(pts, dtype=float).reshape(-1, 2))
        self.lat, self.lng = arr[:, 0], arr[:, 1]
        self.ppm = np.array(ppm, dtype=float)

    def median_near(self, lat: float, lng: float) -> Optional[float]:
        if not len(self.ppm):
            return None
        la, ln = np.radians(lat), np.radians(lng)
        a = np.sin((self.lat - la) / 2) ** 2 + np.cos(la) * np.cos(self.lat) * np.sin((self.lng - ln) / 2) ** 2
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
        near = self.ppm[d <= RETAIL_RENT_RADIUS_M]
        return float(np.median(near)) if len(near) >= RETAIL_RENT_MIN_OFFERS else None


def compute(
    docs: Sequence[dict],
    stations: Dict[str, dict],
    distance_rows: Sequence[dict],
    square_rows: Sequence[dict],
    retail_rents: RetailRents,
    as_of: dt.date,
    progress=lambda items, desc: items,
) -> Tuple[Dict[object, dict], IrrReport]:
    """`{offer id: fields to set}` for the offers whose IRR the model gives, and the report.

    `stations` maps `name_key` to station documents (with their rates).
    """
    report = IrrReport(offers=len(docs), as_of=as_of)
    deal_q = Q.quarter_of(as_of)
    updates: Dict[object, dict] = {}
    for doc in progress(docs, "IRR"):
        reason, fields = _one(doc, stations, distance_rows, square_rows, retail_rents, as_of, deal_q, report)
        if reason:
            report.not_computed[reason] += 1
        else:
            updates[doc["_id"]] = fields
    report.computed = len(updates)
    return updates, report


def _one(doc, stations, distance_rows, square_rows, retail_rents, as_of, deal_q, report):
    if doc.get("deal") != "sale":
        return "не продажа", None
    if not doc.get("price_per_m2") or not doc.get("area_m2"):
        return "цена по запросу", None
    kind, readiness, reason, moved = _kind(doc, deal_q)
    if reason:
        return reason, None
    assert kind is not None  # _kind gives a kind or a reason
    metro = (doc.get("metro") or [None])[0]
    if not metro:
        return "нет ближайшей станции метро", None
    station = stations.get(name_key(metro["station"]))
    inputs = {
        "kind": kind,
        "area_m2": float(doc["area_m2"]),
        "price_per_m2": float(doc["price_per_m2"]),
        "repairs": REPAIRS.get(doc.get("finish"), "full"),
        "nds_rate": 0,
        "metro_station": metro["station"],
        "as_of": as_of,
    }
    basis = {"station": metro["station"], "distance_m": metro["distance_m"], "kind": kind, "repairs": inputs["repairs"], "as_of": as_of.isoformat()}
    if kind.endswith("_office"):
        if station is None:
            return "станции нет в таблице станций", None
        inputs.update(estate_class=doc.get("estate_class"), distance_to_metro_m=float(metro["distance_m"]))
        if readiness:
            inputs["readiness"] = readiness
        basis["rates"] = station.get("rates_source") or "imported"
    else:
        lng, lat = doc["location"]["coordinates"]
        ppm = retail_rents.median_near(lat, lng)
        if ppm is None:
            return "нет данных об аренде торговых помещений рядом (нужно 3 в 1,5 км)", None
        inputs["monthly_rent_rub"] = ppm * float(doc["area_m2"])
        basis["rent_from"] = "медиана аренды стрит-ритейла в 1,5 км"
        basis["rates"] = (station or {}).get("rates_source") or "default"
    try:
        result = calculate(inputs, station=station, distance_rows=distance_rows, square_rows=square_rows)
    except CalculationError as exc:
        return REASONS_BY_FIELD.get(exc.field or "", exc.message), None
    if result.rent_irr is None:
        return "у потоков аренды нет IRR", None
    report.past_readiness += moved
    report.demo_rates += basis["rates"] == "demo"
    return None, {"irr_percent": result.rent_irr, "irr_basis": basis}
