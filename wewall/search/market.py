"""Asking prices of the base by zone: the answer to «сколько стоит аренда офиса в среднем».

Medians of the priced offers of one deal and type (and class, when the client names one) in each
zone of the city, from the search's columnar index: the same offers the search shows, so the
figures and the offers the client is then shown agree. A zone with fewer than `MIN_OFFERS` priced
offers is left out rather than given a median of two lots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from wewall.search.columnar import CLASS_CODES, DEAL_CODES, TYPE_CODES, ZONE_CODES, ColumnarIndex
from wewall.search.places import distances_m

MIN_OFFERS = 5
ZONES = ("ttk", "mkad", "outside")  # from the centre out
STATION_RADIUS_M = 1_500.0  # as the station rates of the calculator (wewall.data.market_rates)


@dataclass
class ZonePrice:
    zone: str  # wewall.vocabulary.OFFER_ZONES, or a station's name
    median_ppm: float  # ₽/m² (a sale) or ₽/m² a month (a rent)
    offers: int


def _priced(index: ColumnarIndex, deal: str, estate_type: str, estate_class: Optional[str]):
    lo, hi = index.segments[(DEAL_CODES[deal], TYPE_CODES[estate_type])]
    ppm = index.ppm[lo:hi]
    priced = np.isfinite(ppm) & (ppm > 0)
    if estate_class in CLASS_CODES:
        priced &= index.cls[lo:hi] == CLASS_CODES[estate_class]
    return lo, hi, ppm, priced


def station_price(index: ColumnarIndex, deal: str, estate_type: str, estate_class: Optional[str],
                  station: str) -> Optional[ZonePrice]:
    """The median of the offers within `STATION_RADIUS_M` of a named station, if there are enough."""
    points = index.station_points([station])
    if not points:
        return None
    name, lat, lng = points[0]
    lo, hi, ppm, priced = _priced(index, deal, estate_type, estate_class)
    with np.errstate(invalid="ignore"):
        near = priced & (distances_m(index.lat[lo:hi], index.lng[lo:hi], lat, lng) <= STATION_RADIUS_M)
    n = int(near.sum())
    return ZonePrice(name, float(np.median(ppm[near])), n) if n >= MIN_OFFERS else None


def zone_prices(index: ColumnarIndex, deal: str, estate_type: str, estate_class: Optional[str] = None) -> List[ZonePrice]:
    lo, hi, ppm, priced = _priced(index, deal, estate_type, estate_class)
    zones = index.zone[lo:hi]
    rows = []
    for zone in ZONES:
        chosen = priced & (zones == ZONE_CODES[zone])
        n = int(chosen.sum())
        if n >= MIN_OFFERS:
            rows.append(ZonePrice(zone, float(np.median(ppm[chosen])), n))
    return rows
