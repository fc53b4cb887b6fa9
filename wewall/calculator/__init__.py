"""The finance model (finance-model.md): IRR of a commercial unit bought to rent out or resell.

    from wewall.calculator import calculate
    result = calculate({"kind": "finished_office", "area_m2": 700, ...}, db=db)
    result.rent_irr, result.verdict, result.to_dict()

`chart.render_png` and `xlsx.write_xlsx` are imported from their modules: they pull in
matplotlib and openpyxl, which the model itself does not need.
"""

from wewall.calculator.assumptions import DEFAULT, Assumptions
from wewall.calculator.errors import CalculationError, ManagerRequired, RatesUnavailable
from wewall.calculator.inputs import KINDS, Case, Inputs, minutes_to_meters, prepare
from wewall.calculator.model import Flows, Result, annual_irr, calculate, evaluate
from wewall.calculator.rates import Rates, resolve, resolve_from_db
from wewall.calculator.text import summary_text

__all__ = [
    "DEFAULT",
    "KINDS",
    "Assumptions",
    "CalculationError",
    "Case",
    "Flows",
    "Inputs",
    "ManagerRequired",
    "Rates",
    "RatesUnavailable",
    "Result",
    "annual_irr",
    "calculate",
    "evaluate",
    "minutes_to_meters",
    "prepare",
    "resolve",
    "resolve_from_db",
    "summary_text",
]
