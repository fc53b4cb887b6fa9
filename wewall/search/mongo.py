"""The same search as MongoDB queries: `to_filter(criteria)` and `MongoSearch`.

Kept beside the columnar index for a MongoDB deployment too large to hold in memory and as
the reference the index is tested against (same ids on a fixed dataset). The filter uses the
fields the spec indexes (`deal`+`type`+`area_m2`, `price_rub`, `rent_rub_month`); ranking is
the shared `rank` module applied to the matching offers' ranking fields.
"""

from __future__ import annotations

from typing import Optional

from wewall.search import relax
from wewall.search.columnar import PROJECTION, ColumnarIndex
from wewall.search.criteria import Criteria
from wewall.search.engine import LIMIT, MIN_RESULTS, SearchResult, ranked

PRICE_FIELD = {"sale": "price_rub", "rent": "rent_rub_month"}


def to_filter(c: Criteria) -> dict:
    """The pymongo filter of the criteria (an offer without a price never passes a budget).

    Places, named stations, the Садовое кольцо, «ready by now» and the floor are geometry or
    parsing the server cannot do: `MongoSearch` applies them to what this filter returns.
    """
    q: dict = {"deal": c.deal, "type": c.type if c.type != "any" else {"$in": list(c.types)}}
    if c.price_limit is not None:
        q[PRICE_FIELD[c.deal]] = {"$lte": c.price_limit}
        q["price_on_request"] = {"$ne": True}
    if c.area_limit is not None or c.area_max_limit is not None:
        q["area_m2"] = {}
        if c.area_limit is not None:
            q["area_m2"]["$gte"] = c.area_limit
        if c.area_max_limit is not None:
            q["area_m2"]["$lte"] = c.area_max_limit
    if c.ppm_limit is not None:
        q["price_per_m2"] = {"$lte": c.ppm_limit}
        q["price_on_request"] = {"$ne": True}
    if c.price_floor is not None:
        q.setdefault(PRICE_FIELD[c.deal], {})["$gte"] = c.price_floor
        q["price_on_request"] = {"$ne": True}
    if c.zones is not None:
        q["zone"] = c.zones[0] if len(c.zones) == 1 else {"$in": list(c.zones)}
    minutes, metres = c.nearest_metro_limits
    if minutes is not None:
        q["metro.0.walk_minutes"] = {"$lte": minutes}
    if metres is not None:
        q["metro.0.distance_m"] = {"$lte": metres}
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

    def _matching(self, c: Criteria):
        from wewall import storage
        from wewall.data.nearest import StationLocator

        positions = StationLocator.from_db(self.db).positions
        # Okrugs and districts of unlabelled offers come from the labelled ones: those must be read
        # too, not only the offers the server filter returns.
        query = {} if (c.places or c.districts) else to_filter(c)
        matching = ColumnarIndex.build(storage.iter_estates(self.db, query, PROJECTION), positions)
        return matching, matching.rows(c)

    def count(self, c: Criteria) -> int:
        from wewall import storage

        if not _in_memory_only(c):
            return self.db[storage.ESTATES].count_documents(to_filter(c))
        return len(self._matching(c)[1])

    def search(self, c: Criteria, limit: int = LIMIT, prefer: Optional[Criteria] = None, advise: bool = True) -> SearchResult:
        from wewall import storage

        matching, rows = self._matching(c)
        ids, scores = ranked(matching, rows, prefer or c, limit)
        result = SearchResult(c, len(rows), ids, scores)
        if ids:
            result.offers = storage.get_estates_by_ids(self.db, ids)
        if advise and len(rows) < MIN_RESULTS:
            result.relaxations = relax.advise(c, self.count, found=len(rows))
        return result


def _in_memory_only(c: Criteria) -> bool:
    return bool(c.stations or c.places or c.districts or c.zone == "sadovoe" or c.readiness == "now" or c.max_floor is not None)
