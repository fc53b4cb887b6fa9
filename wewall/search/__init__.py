"""Offer search (search.md): criteria → filters → ranking → relaxation advice; analogs.

    from wewall.search import Criteria, get_engine
    engine = get_engine(db)                       # columnar index, rebuilt when offers change
    result = engine.search(Criteria(deal="sale", type="office", zone="ttk", budget_rub=300e6))
    result.ids, result.offers, result.total, result.advice, result.relaxations
    engine.find_analogs(offer_or_calc_inputs, locator=StationLocator.from_db(db)).text

`MongoSearch` and `to_filter` give the same search as MongoDB queries.
"""

from wewall.search.analogs import AnalogResult, Subject, find_analogs
from wewall.search.columnar import ColumnarIndex
from wewall.search.criteria import Criteria
from wewall.search.engine import LIMIT, MIN_RESULTS, SearchEngine, SearchResult, get_engine, reset_engines
from wewall.search.mongo import MongoSearch, to_filter
from wewall.search.relax import Relaxation, advise

__all__ = [
    "LIMIT",
    "MIN_RESULTS",
    "AnalogResult",
    "ColumnarIndex",
    "Criteria",
    "MongoSearch",
    "Relaxation",
    "SearchEngine",
    "SearchResult",
    "Subject",
    "advise",
    "find_analogs",
    "get_engine",
    "reset_engines",
    "to_filter",
]
