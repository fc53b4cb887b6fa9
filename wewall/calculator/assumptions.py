"""The model's constants (finance-model.md). Defaults follow the spec; every one may be overridden."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Tuple


@dataclass(frozen=True)
class Assumptions:
    horizon_quarters: int = 24  # H: six years
    ipc: float = 0.06  # inflation per year: rent and resale prices grow with it until readiness
    rent_indexation: float = 0.07  # per year, from the first rent quarter
    cap_rate: float = 0.085  # terminal value = annual rent / cap_rate
    income_tax: float = 0.06  # УСН «доходы»; the VAT rate is added on top
    property_tax: float = 0.015  # per year, of cadastral value × area
    fitout_lag_quarters: int = 1  # fit-out is paid the quarter after readiness
    rent_holidays_quarters: int = 2  # rent starts after fit-out and the holidays: r + 3
    property_tax_lag_quarters: int = 4  # property tax from a year after readiness: r + 4
    sale_lag_quarters: int = 1  # off-plan unit is sold the quarter after readiness
    # Readiness later than H − 9 leaves too few rent quarters for a meaningful rent scenario.
    readiness_tail_quarters: int = 9
    fitout_full_per_m2: float = 70_000.0
    fitout_partial_share: float = 0.8  # partial fit-out: 80 % of the full one
    retail_default_cadastral: float = 120_000.0
    walk_m_per_min: float = 80.0
    transport_m_per_min: float = 300.0
    nds_rates: Tuple[float, ...] = (0.0, 5.0, 7.0)  # УСН VAT rates the model computes
    manager_nds_rates: Tuple[float, ...] = (20.0,)  # ОСНО: handed over, not computed
    thresholds_finished: Tuple[float, float, float] = (6.0, 8.0, 10.0)
    thresholds_building: Tuple[float, float, float] = (6.0, 9.0, 13.0)

    def __post_init__(self) -> None:
        # A bad override should fail at configuration time, not as a strange IRR later.
        if self.horizon_quarters - self.readiness_tail_quarters < 0:
            raise ValueError("horizon_quarters must be at least readiness_tail_quarters")
        if max(self.rent_start_lag, self.sale_lag_quarters) >= self.readiness_tail_quarters:
            raise ValueError("rent and sale must fall inside the horizon for every allowed readiness")
        if self.cap_rate <= 0:
            raise ValueError("cap_rate must be positive")
        for name in ("thresholds_finished", "thresholds_building"):
            t = getattr(self, name)
            if len(t) != 3 or list(t) != sorted(t):
                raise ValueError(f"{name} must be three ascending numbers")

    @property
    def rent_start_lag(self) -> int:
        return self.fitout_lag_quarters + self.rent_holidays_quarters

    @property
    def max_readiness_index(self) -> int:
        return self.horizon_quarters - self.readiness_tail_quarters

    def fitout_per_m2(self, repairs: str) -> float:
        return {
            "full": self.fitout_full_per_m2,
            "partial": self.fitout_full_per_m2 * self.fitout_partial_share,
            "none": 0.0,
        }[repairs]

    def tax_rate(self, nds_rate: float) -> float:
        return self.income_tax + nds_rate / 100.0

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> Assumptions:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown assumptions: {', '.join(sorted(unknown))}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return replace(cls(), **values)


DEFAULT = Assumptions()

# Russian names for the spreadsheet and anyone reading the assumptions.
LABELS = {
    "horizon_quarters": "Горизонт расчёта, кварталов",
    "ipc": "Инфляция (ИПЦ) в год",
    "rent_indexation": "Индексация аренды в год",
    "cap_rate": "Ставка капитализации",
    "income_tax": "Налог УСН «доходы»",
    "property_tax": "Налог на имущество в год, от кадастровой стоимости",
    "fitout_lag_quarters": "Отделка: кварталов после ввода",
    "rent_holidays_quarters": "Арендные каникулы, кварталов",
    "property_tax_lag_quarters": "Налог на имущество: кварталов после ввода",
    "sale_lag_quarters": "Продажа: кварталов после ввода",
    "readiness_tail_quarters": "Ввод не позже чем за столько кварталов до конца горизонта",
    "fitout_full_per_m2": "Полная отделка, ₽/м²",
    "fitout_partial_share": "Частичная отделка, доля от полной",
    "retail_default_cadastral": "Кадастровая стоимость торговых помещений по умолчанию, ₽/м²",
    "walk_m_per_min": "Пешком, м в минуту",
    "transport_m_per_min": "На транспорте, м в минуту",
    "nds_rates": "Ставки НДС при УСН, %",
    "manager_nds_rates": "Ставки НДС, передаваемые менеджеру, %",
    "thresholds_finished": "Пороги оценки IRR, готовые помещения, %",
    "thresholds_building": "Пороги оценки IRR, строящиеся помещения, %",
}
