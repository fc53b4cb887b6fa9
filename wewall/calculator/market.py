"""The result against the market: the median IRR of comparable sale offers in the base.

Offers carry `irr_percent` (the same model run on each offer, `wewall.data.estates_irr`); the
comparables are those of the analogs (same type and class, near the same station) with a wider
area band, since an IRR depends on the area far less than a price does.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

RADIUS_M = 1_500.0
AREA_TOLERANCE = 0.5
MIN_OFFERS = 3  # fewer than this say nothing about a market


def comparable_irr(engine, inputs: dict, locator=None, radius_m: float = RADIUS_M,
                   area_tolerance: float = AREA_TOLERANCE) -> Optional[dict]:
    """`{"median_irr", "count"}` of comparable offers with an IRR, or None when too few."""
    from wewall.search.analogs import Subject, _distance_m
    from wewall.search.columnar import CLASS_CODES, DEAL_CODES, TYPE_CODES

    s = Subject.of(inputs, locator)
    index = engine.index
    segment = index.segments.get((DEAL_CODES["sale"], TYPE_CODES.get(s.type, -1)))
    if segment is None:
        return None
    lo, hi = segment
    irr = index.irr[lo:hi]
    area = index.area[lo:hi]
    m = ~np.isnan(irr)
    m &= (area >= s.area_m2 * (1 - area_tolerance)) & (area <= s.area_m2 * (1 + area_tolerance))
    if s.estate_class in CLASS_CODES:
        m &= index.cls[lo:hi] == CLASS_CODES[s.estate_class]
    code = index.station_code(s.station)
    near = index.station[lo:hi] == code if code is not None else np.zeros(hi - lo, dtype=bool)
    if s.lat is not None and s.lng is not None:
        near |= _distance_m(s.lat, s.lng, index.lat[lo:hi], index.lng[lo:hi]) <= radius_m
    m &= near
    found = irr[m]
    if len(found) < MIN_OFFERS:
        return None
    return {"median_irr": round(float(np.median(found)), 1), "count": int(len(found))}


def comparable_irr_from_db(db, inputs: dict) -> Optional[dict]:
    """Blocking: the search engine's index of `db`; None when the base cannot say."""
    from wewall.data.nearest import StationLocator
    from wewall.search import get_engine

    try:
        return comparable_irr(get_engine(db), inputs, locator=StationLocator.from_db(db))
    except Exception:  # the comparison is a bonus: never fail the calculation for it
        import logging

        logging.getLogger(__name__).warning("comparable IRR unavailable", exc_info=True)
        return None
