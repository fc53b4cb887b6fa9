"""Errors of the calculator. Their messages are shown to the client as they are: Russian, plain."""

from __future__ import annotations

from typing import Optional


class CalculationError(ValueError):
    """An input the model cannot use. `field` names the input, so a dialogue can ask it again."""

    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ManagerRequired(CalculationError):
    """A case the model deliberately does not compute (VAT 20 %, ОСНО): hand over to a manager."""


class RatesUnavailable(CalculationError):
    """The rate tables cannot answer (no rates for a station, broken table): not the client's fault."""
