"""Station rates from the offers themselves: medians of real offers near each station.

When real offers are imported, the calculator's per-station rates (`price_A/B` — sale ₽/m²,
`rent_A/B` — rent ₽/m² a year, by class) come from the offices around the station instead of the
demo curve: the median price per m² of the priced office offers of that deal and class within
1.5 km of the station, when there are at least 3 of them in at least 2 buildings (lots of one
building are not independent prices). A rate without enough offers keeps what the station had.
Each station says where its rates come from: `rates_source: "offers"` and, per rate, the number
of offers and buildings behind the median (`rates_basis`), so the bot can say «медиана 12
предложений». The cadastral value is never derived from offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np

from wewall.search.places import distances_m

RADIUS_M = 1_500.0
MIN_OFFERS = 3
MIN_BUILDINGS = 2
SOURCE = "offers"
# Keyed by Any: offers are looked up as stored, a missing field (None) included.
FIELDS: Dict[Tuple[Any, Any], str] = {("sale", "A"): "price_A", ("sale", "B"): "price_B", ("rent", "A"): "rent_A", ("rent", "B"): "rent_B"}


@dataclass
class Sample:
    lat: np.ndarray
    lng: np.ndarray
    rate: np.ndarray  # ₽/m² (sale) or ₽/m² a year (rent)
    building: np.ndarray  # a building's key: its rounded coordinates


def samples(offers: Iterable[dict]) -> Dict[str, Sample]:
    """Per rate field, the priced office offers that can stand for it."""
    rows: Dict[str, List[Tuple[float, float, float, int]]] = {f: [] for f in FIELDS.values()}
    for o in offers:
        field = FIELDS.get((o.get("deal"), o.get("estate_class")))
        ppm = o.get("price_per_m2")
        coords = (o.get("location") or {}).get("coordinates")
        if field is None or o.get("type") != "office" or o.get("price_on_request") or not ppm or not coords:
            continue
        rate = float(ppm) * (12 if o["deal"] == "rent" else 1)  # offers keep rent per m² a month
        lng, lat = coords
        rows[field].append((lat, lng, rate, hash((round(lat, 5), round(lng, 5)))))
    out = {}
    for field, items in rows.items():
        arr = np.array(items, dtype=float).reshape(-1, 4)
        out[field] = Sample(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])
    return out


def station_rates(stations: Iterable[dict], offers: Iterable[dict], radius_m: float = RADIUS_M) -> Dict[str, dict]:
    """Station `_id` → {"rates": {field: median}, "basis": {field: {"offers", "buildings", "radius_m"}}}."""
    by_field = samples(offers)
    out: Dict[str, dict] = {}
    for st in stations:
        if st.get("lat") is None or st.get("lng") is None:
            continue
        rates, basis = {}, {}
        for field, s in by_field.items():
            if not len(s.rate):
                continue
            near = distances_m(s.lat, s.lng, st["lat"], st["lng"]) <= radius_m
            n = int(near.sum())
            buildings = len(set(s.building[near].tolist()))
            if n >= MIN_OFFERS and buildings >= MIN_BUILDINGS:
                rates[field] = round(float(np.median(s.rate[near])), -2)
                basis[field] = {"offers": n, "buildings": buildings, "radius_m": radius_m}
        if rates:
            out[st["_id"]] = {"rates": rates, "basis": basis}
    return out


def apply(db, stations: List[dict], found: Dict[str, dict]) -> int:
    """Store the medians over the station rates; the rest of a station's rates stay."""
    from wewall import storage

    done = 0
    for st in stations:
        got = found.get(st["_id"])
        if not got:
            continue
        rates = {f: st.get(f) for f in storage.RATE_FIELDS}
        rates.update(got["rates"])
        if any(rates[f] is None for f in storage.RATE_FIELDS):
            continue  # a station with no rates at all gets the demo ones first (fill_demo_rates)
        storage.set_station_rates(db, st["_id"], rates, SOURCE)
        storage.set_station_fields(db, st["_id"], {"rates_basis": got["basis"]})
        done += 1
    return done


def describe(basis: Optional[dict], field: str) -> Optional[str]:
    """«медиана 12 предложений в 4 зданиях в радиусе 1,5 км», for a rate that came from offers."""
    from wewall.text import count, num

    b = (basis or {}).get(field)
    if not b:
        return None
    return (f"медиана {count(b['offers'], 'предложение', case='gent')} в {count(b['buildings'], 'здание', case='loct')} "
            f"в радиусе {num(b['radius_m'] / 1000)} км")
