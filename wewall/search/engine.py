"""The search: filters, ranking and relaxation advice over the columnar index.

    from wewall.search import Criteria, get_engine
    result = get_engine(db).search(Criteria(deal="sale", type="office", budget_rub=80e6))
    result.ids, result.offers, result.total, result.advice

`get_engine(db)` keeps one index per database and rebuilds it when the offers change (every
writer in `storage` bumps a version) or after a TTL, in case something wrote around `storage`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from wewall.geo import WALK_M_PER_MIN
from wewall.search import rank, relax
from wewall.search.columnar import PROJECTION, ColumnarIndex, take
from wewall.search.criteria import Criteria

LIMIT = 8  # the client sees up to 8 offers, one at a time
MIN_RESULTS = 3  # fewer than this is «too little»: advise a relaxation
INDEX_TTL_S = 600.0


GROUP_TOLERANCE = 0.05  # lots of one building within 5 % in area and price per m² are «similar»
GROUP_POOL = 12  # ranked candidates looked at per offer shown, to fold similar lots into it


@dataclass
class SearchResult:
    criteria: Criteria
    total: int  # offers passing the filters
    ids: List[Any]  # up to LIMIT, best first
    scores: List[float]
    offers: List[dict] = field(default_factory=list)  # the documents, when the engine can fetch them
    relaxations: List[relax.Relaxation] = field(default_factory=list)
    # id → how many near-identical lots of the same building were folded into it
    similar: Dict[Any, int] = field(default_factory=dict)
    # id → (named station, metres from it), when the client named stations
    near: Dict[Any, Tuple[str, int]] = field(default_factory=dict)
    # a sentence when the base holds nothing of this deal and type at all
    missing: Optional[str] = None

    @property
    def advice(self) -> Optional[str]:
        """A Russian sentence when too little matched (the best relaxation, or that none helps)."""
        if self.missing:
            return self.missing
        if self.total >= MIN_RESULTS:
            return None
        return relax.advice_text(self.relaxations, self.total)

    def to_dict(self) -> dict:
        return {
            "criteria": self.criteria.to_dict(), "total": self.total, "ids": list(self.ids),
            "scores": [round(s, 4) for s in self.scores], "advice": self.advice,
            "relaxations": [r.to_dict() for r in self.relaxations],
        }


def ranked(index: ColumnarIndex, rows: np.ndarray, prefer: Criteria, limit: int) -> Tuple[List[Any], List[float]]:
    """Ids and scores of the best `limit` of `rows`."""
    ids, scores, _, _ = ranked_rows(index, rows, prefer, limit)
    return ids, scores


def ranked_rows(index: ColumnarIndex, rows: np.ndarray, prefer: Criteria, limit: int):
    """Ids, scores, index rows and station distances (or None) of the best `limit` of `rows`."""
    cols = take(index, rows, rank.COLUMNS)
    dist = which = None
    if prefer.stations:
        dist, which = index.station_distances(prefer, rows)
        # Nearer the named station ranks higher, as nearer the metro does otherwise.
        cols["metro_min"] = dist / WALK_M_PER_MIN
    s = rank.scores(cols, prefer)
    best = rank.top(s, cols["ppm"], lambda i: index.ids[rows[i]], limit)
    near = None if dist is None or which is None else [(int(which[i]), float(dist[i])) for i in best]
    return [index.ids[rows[i]] for i in best], [float(s[i]) for i in best], [int(rows[i]) for i in best], near


def group_similar(index: ColumnarIndex, best_rows: List[int], limit: int) -> Tuple[List[int], Dict[int, int]]:
    """Positions in `best_rows` to show (at most `limit`) and, per shown position, how many later
    lots of the same building (same coordinates, deal and type) within 5 % in area and price per
    m² were folded into it: «ещё 3 похожих лота в этом БЦ»."""
    shown: List[int] = []
    folded: Dict[int, int] = {}
    for pos, r in enumerate(best_rows):
        twin = None
        for p in shown:
            q = best_rows[p]
            if (index.deal[q] == index.deal[r] and index.type[q] == index.type[r]
                    and index.lat[q] == index.lat[r] and index.lng[q] == index.lng[r]
                    and _close(index.area[q], index.area[r]) and _close(index.ppm[q], index.ppm[r])):
                twin = p
                break
        if twin is not None:
            folded[twin] = folded.get(twin, 0) + 1
        elif len(shown) < limit:
            shown.append(pos)
    return shown, folded


def _close(a: float, b: float) -> bool:
    if np.isnan(a) and np.isnan(b):
        return True
    return bool(abs(a - b) <= GROUP_TOLERANCE * max(abs(a), abs(b)))


class SearchEngine:
    """Search over a `ColumnarIndex`; with `fetch` (ids → documents) the results carry offers."""

    def __init__(self, index: ColumnarIndex, fetch: Optional[Callable[[List[Any]], List[dict]]] = None):
        self.index = index
        self.fetch = fetch

    @classmethod
    def from_db(cls, db) -> SearchEngine:
        from wewall import storage
        from wewall.data.nearest import StationLocator

        positions = StationLocator.from_db(db).positions
        index = ColumnarIndex.build(storage.iter_estates(db, projection=PROJECTION), positions)
        return cls(index, fetch=lambda ids: storage.get_estates_by_ids(db, ids))

    def count(self, c: Criteria) -> int:
        return self.index.count(c)

    def search(self, c: Criteria, limit: int = LIMIT, prefer: Optional[Criteria] = None, advise: bool = True,
               group: bool = False, offset: int = 0) -> SearchResult:
        """The best `limit` offers for `c`, ranked by the wishes in `prefer` (default: `c`).

        When fewer than `MIN_RESULTS` match, `relaxations` holds the computed advice. With
        `group`, near-identical lots of one building are shown once (`similar` counts the rest);
        `offset` skips that many shown offers («показать ещё»).
        """
        rows = self.index.rows(c)
        want = offset + limit
        pool = want * GROUP_POOL if group else want
        ids, scores, best_rows, near = ranked_rows(self.index, rows, prefer or c, pool)
        keep = list(range(len(ids)))
        folded: Dict[int, int] = {}
        if group:
            keep, folded = group_similar(self.index, best_rows, want)
        keep = keep[offset:offset + limit]
        result = SearchResult(c, len(rows), [ids[i] for i in keep], [scores[i] for i in keep])
        result.similar = {ids[i]: folded[i] for i in keep if folded.get(i)}
        if near is not None:
            result.near = {ids[i]: (c.stations[near[i][0]], int(round(near[i][1]))) for i in keep if near[i][0] >= 0}
        if self.fetch and result.ids:
            result.offers = self.fetch(result.ids)
        if advise and len(rows) < MIN_RESULTS:
            result.relaxations = relax.advise(c, self.count, found=len(rows))
            if not self.index.count(Criteria(deal=c.deal, type=c.type)):
                # Nothing of this deal and type at all: no other step can help, the deal might.
                result.missing = relax.missing_text(c)
                switch = relax.switch_deal(c)
                result.relaxations = [relax.Relaxation(switch.criterion, switch.step, switch.severity, switch.phrase,
                                                       switch.criteria, self.count(switch.criteria))]
        return result

    def find_analogs(self, subject, **kwargs):
        from wewall.search.analogs import find_analogs

        return find_analogs(self, subject, **kwargs)


# ---------------------------------------------------------------- the shared engine

_lock = threading.Lock()
_engines: Dict[Tuple[int, str], Tuple[SearchEngine, int, float]] = {}


def get_engine(db=None, ttl_s: float = INDEX_TTL_S) -> SearchEngine:
    """The engine of `db` (default: the configured store), rebuilt when the offers changed."""
    from wewall import storage

    db = db if db is not None else storage.get_db()
    key = (id(db.client), db.name)
    version = storage.estates_version(db)
    with _lock:
        cached = _engines.get(key)
        if cached and cached[1] == version and time.monotonic() - cached[2] < ttl_s:
            engine = cached[0]
            # The embedded store hands out a fresh Database after a reload: fetch from the current one.
            engine.fetch = lambda ids: storage.get_estates_by_ids(db, ids)
            return engine
        engine = SearchEngine.from_db(db)
        _engines[key] = (engine, version, time.monotonic())
        return engine


def reset_engines() -> None:
    with _lock:
        _engines.clear()
