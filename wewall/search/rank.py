"""The order in which matching offers are shown: better fits first (search.md, «rank»).

score = Σ wᵢ·sᵢ / Σ wᵢ over the terms that apply to the request, each sᵢ in [0, 1]:

| term | weight | sᵢ | applies |
|---|---|---|---|
| price | 0.30 | 1 at or under budget, falling linearly to 0 at budget + 10 % | a budget was given |
| area | 0.25 | wished/area above the wish (2× the wish → 0.5); 1 − 5·shortfall below it (−10 % → 0.5) | a minimum area was given |
| metro | 0.20 | exp(−minutes on foot / 15): 5 min → 0.72, 15 min → 0.37; unknown → 0 | always |
| class | 0.10 | 1 if the class wished, else 0 | a class was wished |
| IRR | 0.15 | (IRR − 5 %) / 10 %, clipped to [0, 1]; unknown → 0 | an investor buying |
| wishes | 0.25 | share of the wishes the offer meets (first floor; with finish) | wishes the data answers |

Under budget is flat on purpose: the cheapest offer is not the best fit for a client who
named what they can spend; the other terms decide among offers under budget. The class term
matters in relaxed searches, where «any class» finds offers but the wished class should
still come first. Ties go to the lower price per m², then to the id, so the order does not
depend on storage order (both search paths give the same list).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from wewall.search.columnar import CLASS_CODES
from wewall.search.criteria import BUDGET_TOLERANCE, Criteria

# The columns `scores` and `top` read (the rest are not gathered for the candidates).
COLUMNS = ("price", "area", "metro_min", "cls", "irr", "ppm", "floor", "finish")
WEIGHTS = {"price": 0.30, "area": 0.25, "metro": 0.20, "class": 0.10, "irr": 0.15, "wishes": 0.25}
FINISH_READY = 0  # columnar.FINISH_CODES["ready"]
METRO_SCALE_MIN = 15.0
IRR_FLOOR, IRR_SPAN = 5.0, 10.0


def scores(cols: Dict[str, np.ndarray], prefer: Criteria) -> np.ndarray:
    """The score of each candidate row (`cols` as from `columnar.take`), by the wishes in `prefer`."""
    n = len(cols["price"])
    total = np.zeros(n)
    weight = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        if prefer.budget_rub is not None:
            p = cols["price"] / prefer.budget_rub
            s = np.where(p <= 1.0, 1.0, np.clip(1.0 - (p - 1.0) / BUDGET_TOLERANCE, 0.0, 1.0))
            total += WEIGHTS["price"] * np.nan_to_num(s, nan=0.0)
            weight += WEIGHTS["price"]
        if prefer.max_price_per_m2 is not None:
            p = cols["ppm"] / prefer.max_price_per_m2
            s = np.where(p <= 1.0, 1.0, np.clip(1.0 - (p - 1.0) / BUDGET_TOLERANCE, 0.0, 1.0))
            total += WEIGHTS["price"] * np.nan_to_num(s, nan=0.0)
            weight += WEIGHTS["price"]
        if prefer.min_area_m2 is not None:
            r = cols["area"] / prefer.min_area_m2
            s = np.where(r >= 1.0, 1.0 / r, np.clip(1.0 - 5.0 * (1.0 - r), 0.0, 1.0))
            if prefer.max_area_m2 is not None:  # a range: anything inside it fits fully
                s = np.where((r >= 1.0) & (cols["area"] <= prefer.max_area_m2), 1.0, s)
            total += WEIGHTS["area"] * np.nan_to_num(s, nan=0.0)
            weight += WEIGHTS["area"]
        s = np.exp(-cols["metro_min"].astype(float) / METRO_SCALE_MIN)
        total += WEIGHTS["metro"] * np.nan_to_num(s, nan=0.0, posinf=0.0)
        weight += WEIGHTS["metro"]
        if prefer.estate_class != "any":
            total += WEIGHTS["class"] * (cols["cls"] == CLASS_CODES[prefer.estate_class])
            weight += WEIGHTS["class"]
        if prefer.investor:
            s = np.clip((cols["irr"] - IRR_FLOOR) / IRR_SPAN, 0.0, 1.0)
            total += WEIGHTS["irr"] * np.nan_to_num(s, nan=0.0)
            weight += WEIGHTS["irr"]
        wished = []
        if "first_floor" in prefer.wish or "street" in prefer.wish:
            wished.append(cols["floor"] == 1)
        if "finish" in prefer.wish:
            wished.append(cols["finish"] == FINISH_READY)
        if wished:
            total += WEIGHTS["wishes"] * np.mean(np.vstack(wished).astype(float), axis=0)
            weight += WEIGHTS["wishes"]
    return total / weight


def top(scores_: np.ndarray, ppm: np.ndarray, id_of: Callable[[int], Any], limit: int) -> List[int]:
    """Positions of the `limit` best candidates, best first, deterministic on ties.

    `id_of(position)` gives a candidate's id; it is asked only for the few that can be shown.
    """
    n = len(scores_)
    if n == 0 or limit <= 0:
        return []
    # Rounding keeps float noise from outranking the tie-breakers.
    s = np.round(scores_, 12)
    price = np.where(np.isnan(ppm), np.inf, ppm)
    if n > limit:
        kth = np.partition(-s, limit - 1)[limit - 1]
        pool = np.flatnonzero(-s <= kth)  # every tie at the boundary stays in the pool
    else:
        pool = np.arange(n)
    order = pool[np.lexsort((price[pool], -s[pool]))]
    head, rest = order[:limit], order[limit:]
    last = head[-1]
    # Offers equal on score and price per m² to the last one shown: the id decides among them.
    tied = rest[(s[rest] == s[last]) & (price[rest] == price[last])]
    keyed: List[Tuple[float, float, str, int]] = [
        (-float(s[i]), float(price[i]), str(id_of(int(i))), int(i)) for i in np.concatenate([head, tied])
    ]
    keyed.sort()
    return [k[3] for k in keyed[:limit]]
