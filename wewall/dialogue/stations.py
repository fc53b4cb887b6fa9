"""The station table as the dialogue needs it: does a station exist, and what is close to a typo.

Built from the document store and cached for a few minutes (the table changes only when an
operator imports it); blocking, so async code calls it through `wewall.blocking.run_blocking`.
"""

from __future__ import annotations

import threading
import time
from typing import List, Optional, Tuple

from wewall import storage

TTL_SECONDS = 300.0

_lock = threading.Lock()
_cache: Optional[Tuple[float, tuple, object]] = None


def _matcher():
    global _cache
    with _lock:
        now = time.monotonic()
        if _cache is None or now - _cache[0] > TTL_SECONDS:
            names = tuple(s["name"] for s in storage.list_stations(storage.get_db(), {"name": 1}))
            if _cache is None or _cache[1] != names:
                from wewall.nlu.stations import StationMatcher

                _cache = (now, names, StationMatcher(names))
            else:
                _cache = (now, names, _cache[2])
        return _cache[2]


def reset() -> None:
    global _cache
    with _lock:
        _cache = None


def canonical(name: str) -> Optional[str]:
    """The stored name of a station written any way (case, ё, typos), or None."""
    found = storage.get_station(storage.get_db(), name)
    if found:
        return found["name"]
    hits = _matcher().find(name)
    return hits[0]["value"] if hits else None


def suggest(text: str, n: int = 3) -> List[str]:
    return _matcher().suggest(text, n)
