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

from wewall.search import rank, relax
from wewall.search.columnar import PROJECTION, ColumnarIndex, take
from wewall.search.criteria import Criteria

LIMIT = 8  # the client sees up to 8 offers, one at a time
MIN_RESULTS = 3  # fewer than this is «too little»: advise a relaxation
INDEX_TTL_S = 600.0


@dataclass
class SearchResult:
    criteria: Criteria
    total: int  # offers passing the filters
    ids: List[Any]  # up to LIMIT, best first
    scores: List[float]
    offers: List[dict] = field(default_factory=list)  # the documents, when the engine can fetch them
    relaxations: List[relax.Relaxation] = field(default_factory=list)

    @property
    def advice(self) -> Optional[str]:
        """A Russian sentence when too little matched (the best relaxation, or that none helps)."""
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
    cols = take(index, rows, rank.COLUMNS)
    s = rank.scores(cols, prefer)
    best = rank.top(s, cols["ppm"], lambda i: index.ids[rows[i]], limit)
    return [index.ids[rows[i]] for i in best], [float(s[i]) for i in best]


class SearchEngine:
    """Search over a `ColumnarIndex`; with `fetch` (ids → documents) the results carry offers."""

    def __init__(self, index: ColumnarIndex, fetch: Optional[Callable[[List[Any]], List[dict]]] = None):
        self.index = index
        self.fetch = fetch

    @classmethod
    def from_db(cls, db) -> "SearchEngine":
        from wewall import storage

        index = ColumnarIndex.build(storage.iter_estates(db, projection=PROJECTION))
        return cls(index, fetch=lambda ids: storage.get_estates_by_ids(db, ids))

    def count(self, c: Criteria) -> int:
        return self.index.count(c)

    def search(self, c: Criteria, limit: int = LIMIT, prefer: Optional[Criteria] = None, advise: bool = True) -> SearchResult:
        """The best `limit` offers for `c`, ranked by the wishes in `prefer` (default: `c`).

        When fewer than `MIN_RESULTS` match, `relaxations` holds the computed advice.
        """
        rows = self.index.rows(c)
        ids, scores = ranked(self.index, rows, prefer or c, limit)
        result = SearchResult(c, len(rows), ids, scores)
        if self.fetch and ids:
            result.offers = self.fetch(ids)
        if advise and len(rows) < MIN_RESULTS:
            result.relaxations = relax.advise(c, self.count, found=len(rows))
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
