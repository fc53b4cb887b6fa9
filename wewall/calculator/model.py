"""The cash flows, IRRs, totals and verdict of finance-model.md.

Everything here is pure and cheap (a few lists of 24 numbers and one `np.roots`), so the
dialogue can call it directly; tables are read in `rates`, files are written in `chart`/`xlsx`.
Cash flows keep their sign: money paid out is negative, in the flows and in the totals alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import numpy_financial as npf

from wewall.calculator import quarters as Q
from wewall.calculator import rates as rates_mod
from wewall.calculator.assumptions import DEFAULT, Assumptions
from wewall.calculator.inputs import Case, Inputs, is_building, prepare
from wewall.calculator.rates import Rates

RENT_COMPONENTS = ("purchase", "fitout", "rent", "rent_tax", "property_tax", "terminal_value", "terminal_tax")
SALE_COMPONENTS = ("purchase", "sale", "sale_tax")

VERDICT_TEXTS = {
    "very_low": "Доходность очень низкая: на таких условиях вложение вряд ли оправдано.",
    "below_market": "Доходность ниже рыночной.",
    "average": "Доходность на уровне рынка: советуем сравнить объект с аналогами.",
    "high": "Доходность высокая.",
    "undefined": "Доходность по этим потокам однозначно не определяется: лучше обсудить расчёт с менеджером.",
}
IRR_NOTES = {
    "no_inflows": "Поступления не покрывают вложений ни в одном квартале, поэтому IRR не существует.",
    "no_solution": "У потоков нет IRR: уравнение доходности не имеет решения.",
    "not_applicable": None,
}


@dataclass(frozen=True)
class Flows:
    """One scenario quarter by quarter: named components, their sum and the running balance."""

    labels: List[str]
    components: Dict[str, List[float]]
    total: List[float]
    cumulative: List[float]

    @classmethod
    def of(cls, labels: List[str], components: Dict[str, List[float]]) -> Flows:
        total = [math.fsum(col[q] for col in components.values()) for q in range(len(labels))]
        cumulative, acc = [], 0.0
        for x in total:
            acc += x
            cumulative.append(acc)
        return cls(labels, components, total, cumulative)

    def sum(self, name: str) -> float:
        return math.fsum(self.components[name])

    @property
    def net(self) -> float:
        return math.fsum(self.total)

    def rows(self) -> List[dict]:
        out = []
        for q, lbl in enumerate(self.labels):
            row = {"label": lbl, "index": q}
            row.update({name: _money(col[q]) for name, col in self.components.items()})
            row["total"] = _money(self.total[q])
            row["cumulative"] = _money(self.cumulative[q])
            out.append(row)
        return out


# ---------------------------------------------------------------- scenarios


def _purchase(case: Case, n: int) -> List[float]:
    i = case.inputs
    col = [0.0] * n
    for q, share in case.tranches:
        col[q] -= i.area_m2 * i.price_per_m2 * share
    return col


def rent_flows(case: Case, rates: Rates) -> Flows:
    a, i, r, t = case.assumptions, case.inputs, case.r, case.tax_rate
    H = a.horizon_quarters
    c = {name: [0.0] * H for name in RENT_COMPONENTS}
    c["purchase"] = _purchase(case, H)
    c["fitout"][r + a.fitout_lag_quarters] = -i.area_m2 * a.fitout_per_m2(i.repairs)
    s = r + a.rent_start_lag
    # The rent a unit fetches grows with inflation while it is being built; indexation applies after.
    rate_s = rates.rent_rate * (1 + a.ipc) ** (r / 4)
    for q in range(s, H):
        rent = i.area_m2 * rate_s / 4 * (1 + a.rent_indexation) ** ((q - s) // 4)
        c["rent"][q] = rent
        c["rent_tax"][q] = -t * rent
    for q in range(r + a.property_tax_lag_quarters, H):
        c["property_tax"][q] = -a.property_tax * rates.cadastral * i.area_m2 / 4
    tv = 4 * c["rent"][H - 1] / a.cap_rate
    c["terminal_value"][H - 1] = tv
    c["terminal_tax"][H - 1] = -t * tv
    return Flows.of(case.labels, c)


def sale_flows(case: Case, rates: Rates) -> Flows:
    a, i, r, t = case.assumptions, case.inputs, case.r, case.tax_rate
    n = r + a.sale_lag_quarters + 1  # the scenario ends with the sale
    assert rates.price_ready is not None  # a building's rates always carry its ready price
    c = {name: [0.0] * n for name in SALE_COMPONENTS}
    c["purchase"] = _purchase(case, n)
    sale = i.area_m2 * rates.price_ready * (1 + a.ipc) ** (r / 4)
    c["sale"][n - 1] = sale
    c["sale_tax"][n - 1] = -t * sale
    return Flows.of(case.labels[:n], c)


# ---------------------------------------------------------------- IRR


def annual_irr(values: Sequence[float]) -> Tuple[Optional[float], Optional[str]]:
    """Annual IRR in % from quarterly flows, or (None, reason) when there is none."""
    arr = np.asarray(values, dtype=float)
    if not (arr > 0).any() or not (arr < 0).any():
        return None, "no_inflows"
    with np.errstate(all="ignore"):
        q = npf.irr(arr)
    if q is None or not math.isfinite(q) or q <= -1:
        return None, "no_solution"
    # np.roots can return a root that is no root at all on ill-conditioned flows: check it.
    npv = math.fsum(v / (1 + q) ** n for n, v in enumerate(values))
    if abs(npv) > 1e-6 * math.fsum(abs(v) for v in values):
        return None, "no_solution"
    return ((1 + q) ** 4 - 1) * 100, None


def _round_irr(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 1) + 0.0


# ---------------------------------------------------------------- verdict


def verdict(case: Case, rent_irr: Optional[float], sale_irr: Optional[float], nets: Dict[str, float]) -> dict:
    """The verdict on the rounded IRR the client sees, so the words never contradict the number."""
    a = case.assumptions
    building = is_building(case.inputs.kind)
    thresholds = a.thresholds_building if building else a.thresholds_finished
    candidates = {"rent": _round_irr(rent_irr)}
    if building:
        candidates["sale"] = _round_irr(sale_irr)
    known = {k: v for k, v in candidates.items() if v is not None}
    if known:
        basis = max(known, key=lambda k: known[k])
        irr = known[basis]
        low, below, avg = thresholds
        code = "very_low" if irr <= low else "below_market" if irr <= below else "average" if irr <= avg else "high"
    else:
        # No IRR: if even undiscounted the money does not come back, that is a very low return.
        basis, irr = max(nets, key=lambda k: nets[k]), None
        code = "very_low" if nets[basis] <= 0 else "undefined"
    return {"code": code, "text": VERDICT_TEXTS[code], "basis": basis, "irr": irr, "thresholds": list(thresholds)}


# ---------------------------------------------------------------- result


def _money(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 2) + 0.0


@dataclass(frozen=True)
class Result:
    case: Case
    rates: Rates
    rent: Flows
    sale: Optional[Flows]
    rent_irr_exact: Optional[float]
    sale_irr_exact: Optional[float]
    irr_status: Dict[str, str]
    verdict: dict
    totals: Dict[str, Optional[float]] = field(default_factory=dict)

    @property
    def rent_irr(self) -> Optional[float]:
        return _round_irr(self.rent_irr_exact)

    @property
    def sale_irr(self) -> Optional[float]:
        return _round_irr(self.sale_irr_exact)

    @property
    def inputs(self) -> Inputs:
        return self.case.inputs

    @property
    def assumptions(self) -> Assumptions:
        return self.case.assumptions

    def to_dict(self) -> dict:
        c = self.case
        return {
            "inputs": c.inputs.to_dict(),
            "deal_quarter": Q.label(c.deal),
            "readiness_index": c.r,
            "rent_irr": self.rent_irr,
            "sale_irr": self.sale_irr,
            "irr_status": dict(self.irr_status),
            "irr_notes": {k: IRR_NOTES.get(v) for k, v in self.irr_status.items() if IRR_NOTES.get(v)},
            "rent_rate": _money(self.rates.rent_rate),
            "price_ready": _money(self.rates.price_ready),
            "cadastral": _money(self.rates.cadastral),
            "rates_source": {
                "rent_rate": self.rates.rent_rate_source,
                "price_ready": self.rates.price_ready_source,
                "cadastral": self.rates.cadastral_source,
                "k_distance": self.rates.k_distance,
                "k_area": self.rates.k_area,
            },
            "tax_rate": round(c.tax_rate, 6),
            "totals": {k: _money(v) for k, v in self.totals.items()},
            "flows": self.rent.rows(),
            "sale_flows": self.sale.rows() if self.sale else None,
            "verdict": dict(self.verdict),
            "assumptions": c.assumptions.to_dict(),
        }


def evaluate(case: Case, rates: Rates) -> Result:
    """The model proper, for validated inputs and resolved rates."""
    rent = rent_flows(case, rates)
    rent_irr, rent_reason = annual_irr(rent.total)
    status = {"rent": rent_reason or "ok"}
    sale = None
    sale_irr = None
    if is_building(case.inputs.kind):
        sale = sale_flows(case, rates)
        sale_irr, sale_reason = annual_irr(sale.total)
        status["sale"] = sale_reason or "ok"
    else:
        status["sale"] = "not_applicable"
    totals = {
        "purchase": rent.sum("purchase"),
        "fitout": rent.sum("fitout"),
        "rent_income": rent.sum("rent"),
        "terminal_value": rent.sum("terminal_value"),
        "taxes": rent.sum("rent_tax") + rent.sum("property_tax") + rent.sum("terminal_tax"),
        "rent_net": rent.net,
        "sale_income": sale.sum("sale") if sale else None,
        "sale_tax": sale.sum("sale_tax") if sale else None,
        "sale_net": sale.net if sale else None,
    }
    nets = {"rent": rent.net}
    if sale:
        nets["sale"] = sale.net
    return Result(case, rates, rent, sale, rent_irr, sale_irr, status, verdict(case, rent_irr, sale_irr, nets), totals)


def calculate(
    inputs,
    *,
    assumptions: Optional[Assumptions] = None,
    db=None,
    station: Optional[dict] = None,
    distance_rows: Optional[Sequence[dict]] = None,
    square_rows: Optional[Sequence[dict]] = None,
) -> Result:
    """Validate, resolve the rates (from `db`, or from the tables passed in) and evaluate.

    `inputs` is an `Inputs` or a dict keyed as in the spec. Raises `CalculationError`.
    """
    case = prepare(inputs, assumptions or DEFAULT)
    if db is not None:
        rates = rates_mod.resolve_from_db(case, db)
    else:
        rates = rates_mod.resolve(case, station, distance_rows, square_rows)
    return evaluate(case, rates)
