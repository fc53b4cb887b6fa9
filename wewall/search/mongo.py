"""The same search as MongoDB queries: `to_filter(criteria)` and `MongoSearch`.

Kept beside the columnar index for a MongoDB deployment too large to hold in memory and as
the reference the index is tested against (same ids on a fixed dataset). The filter uses the
fields the spec indexes (`deal`+`type`+`area_m2`, `price_rub`, `rent_rub_month`); ranking is
the shared `rank` module applied to the matching offers' ranking fields.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from wewall.search import relax
from wewall.search.columnar import PROJECTION, ColumnarIndex
from wewall.search.criteria import Criteria
from wewall.search.engine import LIMIT, MIN_RESULTS, SearchResult, ranked

PRICE_FIELD = {"sale": "price_rub", "rent": "rent_rub_month"}


def to_filter(c: Criteria) -> dict:
    """The pymongo filter of the criteria (an offer without a price never passes a budget)."""
    q: dict = {"deal": c.deal, "type": c.type if c.type != "any" else {"$in": list(c.types)}}
    if c.price_limit is not None:
        q[PRICE_FIELD[c.deal]] = {"$lte": c.price_limit}
        q["price_on_request"] = {"$ne": True}
    if c.area_limit is not None:
        q["area_m2"] = {"$gte": c.area_limit}
    if c.zones is not None:
        q["zone"] = c.zones[0] if len(c.zones) == 1 else {"$in": list(c.zones)}
    if c.max_metro_minutes is not None:
        q["metro.0.walk_minutes"] = {"$lte": c.max_metro_minutes}
    if c.max_metro_m is not None:
        q["metro.0.distance_m"] = {"$lte": c.max_metro_m}
    if c.finish == "ready":
        q["finish"] = "ready"
    if c.estate_class != "any":
        q["estate_class"] = c.estate_class
    if c.readiness == "ready":
        q["readiness"] = "ready"
    if c.irr_limit is not None:
        q["irr_percent"] = {"$gte": c.irr_limit}
    return q


class MongoSearch:
    """Search by MongoDB queries: the filter on the server, the ranking here."""

    def __init__(self, db):
        self.db = db

    def count(self, c: Criteria) -> int:
        from wewall import storage

        return self.db[storage.ESTATES].count_documents(to_filter(c))

    def search(self, c: Criteria, limit: int = LIMIT, prefer: Optional[Criteria] = None, advise: bool = True) -> SearchResult:
        from wewall import storage

        matching = ColumnarIndex.build(storage.iter_estates(self.db, to_filter(c), PROJECTION))
        # Every offer the server returned is ranked: the filter is the server's alone.
        ids, scores = ranked(matching, np.arange(matching.n), prefer or c, limit)
        result = SearchResult(c, matching.n, ids, scores)
        if ids:
            result.offers = storage.get_estates_by_ids(self.db, ids)
        if advise and matching.n < MIN_RESULTS:
            result.relaxations = relax.advise(c, self.count, found=matching.n)
        return result
