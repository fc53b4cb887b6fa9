"""An in-memory columnar index of the offers: one numpy array per searchable field.

Chosen over MongoDB queries by measurement (README of this package): the filters of the spec
are a handful of comparisons, which numpy does over a million rows in milliseconds, while
the embedded store (mongomock) scans Python dicts. Rows are grouped by (deal, type) and sorted
by price inside a group, so a query touches only its group and a budget is a binary search.

Missing values: price NaN (price on request, never ≤ a budget), metro distance +inf, IRR NaN.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from wewall.data.names import name_key
from wewall.search import places as pl
from wewall.search.criteria import Criteria
from wewall.search.wishes import no_basement

# Keyed by Any: stored offers are looked up as they come, a missing field (None) included.
DEAL_CODES: Dict[Any, int] = {"sale": 0, "rent": 1}
TYPE_CODES: Dict[Any, int] = {"office": 0, "retail": 1}
# Ordered so that «inside МКАД» (ttk or mkad) is `zone <= 1`.
ZONE_CODES: Dict[Any, int] = {"ttk": 0, "mkad": 1, "outside": 2}
ZONE_UNKNOWN = 3
FINISH_CODES: Dict[Any, int] = {"ready": 0, "partial": 1, "shell": 2}
FINISH_UNKNOWN = 3
CLASS_CODES: Dict[Any, int] = {"A": 1, "B": 2}
OTHER = 9  # a deal or type the search never asks for
PLACE_CODES: Dict[Any, int] = {p: i for i, p in enumerate(pl.OKRUGS)}
READY_NOW = 0  # `ready_q`: 0 commissioned, year·4 + quarter − 1 for «NQYYYY», UNKNOWN_Q when unknown
UNKNOWN_Q = 2 ** 30
_QUARTER = re.compile(r"([1-4])Q(\d{4})")


def quarter_ordinal(readiness) -> int:
    if readiness == "ready":
        return READY_NOW
    m = _QUARTER.fullmatch(str(readiness or ""))
    return int(m.group(2)) * 4 + int(m.group(1)) - 1 if m else UNKNOWN_Q


def current_quarter(today: Optional[dt.date] = None) -> int:
    today = today or dt.date.today()
    return today.year * 4 + (today.month - 1) // 3


def _floor(value) -> float:
    """A numeric floor: 1, «-1», «цоколь» → 0; ranges and text («17-24», «здание») are unknown."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value or "").strip().lower()
    if re.fullmatch(r"-?\d+", text):
        return float(text)
    if text.startswith(("цокол", "полуподв")):
        return 0.0
    if text.startswith("подвал"):
        return -1.0
    return math.nan

# The fields the index reads from storage (a projection: a million offers are read so).
PROJECTION = {
    "deal": 1, "type": 1, "estate_class": 1, "zone": 1, "area_m2": 1, "price_rub": 1, "rent_rub_month": 1,
    "price_per_m2": 1, "price_on_request": 1, "finish": 1, "readiness": 1, "irr_percent": 1,
    "location": 1, "metro": {"$slice": 1}, "okrug": 1, "district": 1, "submarket": 1, "floor": 1,
}
CHUNK = 65_536


def _num(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


class ColumnarIndex:
    """Columns of the offers, rows grouped by (deal, type) and sorted by price within a group."""

    COLUMNS = ("deal", "type", "price", "area", "zone", "cls", "finish", "ready_q", "metro_min", "metro_m", "irr", "ppm",
               "lat", "lng", "station", "okrug", "city", "sadovoe", "floor", "district")
    # One array per name in COLUMNS, set in __init__ (declared for the type checker).
    deal: np.ndarray
    type: np.ndarray
    price: np.ndarray
    area: np.ndarray
    zone: np.ndarray
    cls: np.ndarray
    finish: np.ndarray
    ready_q: np.ndarray
    metro_min: np.ndarray
    metro_m: np.ndarray
    irr: np.ndarray
    ppm: np.ndarray
    lat: np.ndarray
    lng: np.ndarray
    station: np.ndarray
    okrug: np.ndarray
    city: np.ndarray
    sadovoe: np.ndarray
    floor: np.ndarray
    district: np.ndarray

    def __init__(self, columns: Dict[str, np.ndarray], ids: np.ndarray, stations: List[str],
                 positions: Optional[Dict[str, Tuple[float, float]]] = None, districts: Optional[List[str]] = None):
        order = np.lexsort((np.where(np.isnan(columns["price"]), np.inf, columns["price"]), columns["type"], columns["deal"]))
        self.ids = ids[order]
        for name in self.COLUMNS:
            setattr(self, name, columns[name][order])
        self.stations = stations
        # Station coordinates by comparison key: named stations are measured from these.
        self.positions: Dict[str, Tuple[float, float]] = dict(positions or {})
        # District names of the base (from addresses) by comparison key: the code is the index.
        self.districts: List[str] = list(districts or [])
        self.district_codes = {pl.district_key(name): i for i, name in enumerate(self.districts)}
        # By comparison key: a dialogue writes «белорусская», the offers «Белорусская».
        self.station_codes = {name_key(name): i for i, name in enumerate(stations)}
        self.n = len(self.ids)
        key = self.deal.astype(np.int16) * 16 + self.type
        self.segments: Dict[Tuple[int, int], Tuple[int, int]] = {}
        for d in DEAL_CODES.values():
            for t in TYPE_CODES.values():
                k = d * 16 + t
                self.segments[(d, t)] = (int(np.searchsorted(key, k, "left")), int(np.searchsorted(key, k, "right")))

    # ------------------------------------------------------------ building

    @classmethod
    def build(cls, docs: Iterable[dict], positions: Optional[Dict[str, Tuple[float, float]]] = None) -> ColumnarIndex:
        """From offers as stored (any iterable: a cursor with `PROJECTION`, a generator).

        `positions` (station name key → (lat, lng), as `StationLocator.positions`) lets named
        stations filter and labels the okrug of offers whose source did not name it.
        """
        stations: Dict[str, int] = {}
        districts: Dict[str, int] = {}
        parts: Dict[str, List[np.ndarray]] = {name: [] for name in cls.COLUMNS}
        id_parts: List[np.ndarray] = []
        buf: Dict[str, list] = {name: [] for name in cls.COLUMNS}
        ids: list = []

        def flush() -> None:
            if not ids:
                return
            for name, dtype in COLUMN_TYPES.items():
                parts[name].append(np.array(buf[name], dtype=dtype))
                buf[name].clear()
            arr = np.empty(len(ids), dtype=object)
            arr[:] = ids
            id_parts.append(arr)
            ids.clear()

        for doc in docs:
            deal = DEAL_CODES.get(doc.get("deal"), OTHER)
            price = doc.get("price_rub") if deal == 0 else doc.get("rent_rub_month")
            metro = (doc.get("metro") or [None])[0] or {}
            loc = (doc.get("location") or {}).get("coordinates") or (math.nan, math.nan)
            station = metro.get("station")
            ids.append(doc["_id"])
            buf["deal"].append(deal)
            buf["type"].append(TYPE_CODES.get(doc.get("type"), OTHER))
            buf["price"].append(math.nan if doc.get("price_on_request") or price is None else _num(price))
            buf["area"].append(_num(doc.get("area_m2")))
            buf["zone"].append(ZONE_CODES.get(doc.get("zone"), ZONE_UNKNOWN))
            buf["cls"].append(CLASS_CODES.get(doc.get("estate_class"), 0))
            buf["finish"].append(FINISH_CODES.get(doc.get("finish"), FINISH_UNKNOWN))
            buf["ready_q"].append(quarter_ordinal(doc.get("readiness")))
            buf["metro_min"].append(_num(metro.get("walk_minutes", math.inf)))
            buf["metro_m"].append(_num(metro.get("distance_m", math.inf)))
            buf["irr"].append(_num(doc.get("irr_percent")))
            buf["ppm"].append(math.nan if doc.get("price_on_request") else _num(doc.get("price_per_m2")))
            buf["lat"].append(_num(loc[1]))
            buf["lng"].append(_num(loc[0]))
            buf["station"].append(-1 if station is None else stations.setdefault(station, len(stations)))
            buf["okrug"].append(PLACE_CODES.get(doc.get("okrug"), -1))
            buf["city"].append("сити" in str(doc.get("submarket") or "").lower())
            buf["sadovoe"].append(False)
            buf["floor"].append(_floor(doc.get("floor")))
            district = doc.get("district")
            buf["district"].append(-1 if not district else districts.setdefault(district, len(districts)))
            if len(ids) >= CHUNK:
                flush()
        flush()
        if id_parts:
            columns = {name: np.concatenate(parts[name]) for name in cls.COLUMNS}
            all_ids = np.concatenate(id_parts)
        else:
            columns = {name: np.array([], dtype=dtype) for name, dtype in COLUMN_TYPES.items()}
            all_ids = np.array([], dtype=object)
        lat, lng = columns["lat"], columns["lng"]
        columns["city"] |= pl.in_city(lat, lng)
        columns["sadovoe"] = pl.inside_polygon(lat, lng)
        unlabelled = columns["okrug"] < 0
        if positions and unlabelled.any():
            known = ~unlabelled & ~np.isnan(lat) & ~np.isnan(lng)
            locator = pl.OkrugLocator(positions, (lat[known], lng[known], columns["okrug"][known]))
            columns["okrug"][unlabelled] = locator.codes_of(lat[unlabelled], lng[unlabelled])
        columns["district"] = _nearest_label(columns["district"], lat, lng)
        return cls(columns, all_ids, list(stations), positions, list(districts))

    @property
    def nbytes(self) -> int:
        """Memory of the columns (ids counted as pointers plus their string objects)."""
        total = sum(getattr(self, name).nbytes for name in self.COLUMNS) + self.ids.nbytes
        sample = self.ids[: min(1000, self.n)]
        if len(sample):
            import sys

            total += int(sum(sys.getsizeof(x) for x in sample) / len(sample) * self.n)
        return total

    def station_code(self, name: Optional[str]) -> Optional[int]:
        return self.station_codes.get(name_key(name)) if name else None

    def station_points(self, names: Sequence[str]) -> List[Tuple[str, float, float]]:
        """(name, lat, lng) of the named stations that have coordinates."""
        out = []
        for name in names:
            pos = self.positions.get(name_key(name))
            if pos is not None:
                out.append((name, pos[0], pos[1]))
        return out

    def station_distances(self, c: Criteria, rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """For `rows`: metres to the nearest of the named stations, and which (index in c.stations)."""
        points = self.station_points(c.stations)
        best = np.full(len(rows), np.inf)
        which = np.full(len(rows), -1, dtype=np.int16)
        lat, lng = self.lat[rows], self.lng[rows]
        for i, (_, la, ln) in enumerate(points):
            with np.errstate(invalid="ignore"):
                d = np.nan_to_num(pl.distances_m(lat, lng, la, ln), nan=np.inf)
            closer = d < best
            best[closer] = d[closer]
            which[closer] = i
        return best, which

    def _near_stations(self, c: Criteria, lo: int, hi: int) -> np.ndarray:
        limit = c.station_limit_m
        assert limit is not None  # set whenever stations are named
        points = self.station_points(c.stations)
        m = np.zeros(hi - lo, dtype=bool)
        dlat = limit / 111_000.0  # a degree of latitude is 111 km: a cheap band first
        lat = self.lat[lo:hi]
        for _, la, ln in points:
            band = np.flatnonzero(np.abs(lat - la) <= dlat)
            if len(band):
                with np.errstate(invalid="ignore"):
                    d = pl.distances_m(lat[band], self.lng[lo:hi][band], la, ln)
                m[band[d <= limit]] = True
        return m

    # ------------------------------------------------------------ filtering

    def ranges(self, c: Criteria, price_limit: Optional[float] = None) -> List[Tuple[int, int]]:
        """Row ranges of the (deal, type) groups the criteria ask for, cut at the price limit."""
        out = []
        deal = DEAL_CODES[c.deal]
        limit = c.price_limit if price_limit is None else price_limit
        for t in c.types:
            lo, hi = self.segments[(deal, TYPE_CODES[t])]
            if limit is not None:
                hi = lo + int(np.searchsorted(self.price[lo:hi], limit, side="right"))
            out.append((lo, hi))
        return out

    def mask(self, c: Criteria, lo: int, hi: int) -> np.ndarray:
        """Rows lo..hi that pass every filter but deal, type and budget (the ranges do those)."""
        m = np.ones(hi - lo, dtype=bool)
        if c.area_limit is not None:
            m &= self.area[lo:hi] >= c.area_limit
        if c.area_max_limit is not None:
            m &= self.area[lo:hi] <= c.area_max_limit
        if c.price_floor is not None:
            m &= self.price[lo:hi] >= c.price_floor
        if c.ppm_limit is not None:
            m &= self.ppm[lo:hi] <= c.ppm_limit  # NaN (price on request) never passes
        if c.zones is not None:
            m &= self.zone[lo:hi] <= max(ZONE_CODES[z] for z in c.zones)
        if c.zone == "sadovoe":
            m &= self.sadovoe[lo:hi]
        minutes, metres = c.nearest_metro_limits
        if minutes is not None:
            m &= self.metro_min[lo:hi] <= minutes
        if metres is not None:
            m &= self.metro_m[lo:hi] <= metres
        if c.places:
            okrugs = [PLACE_CODES[p] for p in c.places if p in PLACE_CODES]
            in_place = np.isin(self.okrug[lo:hi], okrugs) if okrugs else np.zeros(hi - lo, dtype=bool)
            if pl.CITY in c.places:
                in_place |= self.city[lo:hi]
            m &= in_place
        if c.districts:
            codes = [self.district_codes[k] for k in (pl.district_key(d) for d in c.districts) if k in self.district_codes]
            m &= np.isin(self.district[lo:hi], codes)  # a district the base does not know finds nothing
        if c.max_floor is not None:
            m &= self.floor[lo:hi] <= c.max_floor
        if c.wish and no_basement(c.wish):
            m &= ~(self.floor[lo:hi] < 1)  # an unknown floor (NaN) stays in
        if c.finish == "ready":
            m &= self.finish[lo:hi] == FINISH_CODES["ready"]
        if c.estate_class != "any":
            m &= self.cls[lo:hi] == CLASS_CODES[c.estate_class]
        if c.readiness == "ready":
            m &= self.ready_q[lo:hi] == READY_NOW
        elif c.readiness == "now":
            m &= self.ready_q[lo:hi] <= current_quarter()
        if c.irr_limit is not None:
            m &= self.irr[lo:hi] >= c.irr_limit
        if c.stations:
            # Last, on the rows still in: the distance is the costliest test.
            idx = np.flatnonzero(m)
            if len(idx):
                near = self._near_stations(c, lo, hi)
                m[idx] &= near[idx]
        return m

    def rows(self, c: Criteria) -> np.ndarray:
        """Row numbers of every offer that satisfies the criteria."""
        found = [lo + np.flatnonzero(self.mask(c, lo, hi)) for lo, hi in self.ranges(c)]
        return np.concatenate(found) if found else np.array([], dtype=np.int64)

    def count(self, c: Criteria) -> int:
        return int(sum(np.count_nonzero(self.mask(c, lo, hi)) for lo, hi in self.ranges(c)))


def _nearest_label(codes: np.ndarray, lat: np.ndarray, lng: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Rows without a label (-1) take the label of the nearest labelled row (districts: only CIAN
    addresses name them; offices get the district of the nearest such address)."""
    known = (codes >= 0) & ~np.isnan(lat) & ~np.isnan(lng)
    todo = np.flatnonzero((codes < 0) & ~np.isnan(lat) & ~np.isnan(lng))
    if not known.any() or not len(todo):
        return codes
    klat, klng, kcode = lat[known], lng[known], codes[known]
    k = math.cos(math.radians(55.75))
    out = codes.copy()
    for start in range(0, len(todo), chunk):
        rows = todo[start:start + chunk]
        d = (lat[rows, None] - klat) ** 2 + ((lng[rows, None] - klng) * k) ** 2
        out[rows] = kcode[np.argmin(d, axis=1)]
    return out


COLUMN_TYPES = {
    "deal": np.int8, "type": np.int8, "price": np.float64, "area": np.float64, "zone": np.int8, "cls": np.int8,
    "finish": np.int8, "ready_q": np.int32, "metro_min": np.float32, "metro_m": np.float32, "irr": np.float64,
    "ppm": np.float64, "lat": np.float64, "lng": np.float64, "station": np.int32, "okrug": np.int8,
    "city": np.bool_, "sadovoe": np.bool_, "floor": np.float32, "district": np.int16,
}


def take(index: ColumnarIndex, rows: Union[Sequence[int], np.ndarray],
         names: Sequence[str] = ColumnarIndex.COLUMNS) -> Dict[str, np.ndarray]:
    """Some columns at some rows (the candidates a ranking scores)."""
    at = np.asarray(rows, dtype=np.int64)
    return {name: getattr(index, name)[at] for name in names}
