"""The inputs of the model (finance-model.md, «Inputs»), their parsing and validation.

`prepare()` turns raw inputs into a `Case`: the inputs as understood plus what the timeline
needs (deal quarter, readiness index, tranche indexes). Every refusal is a `CalculationError`
whose message can be shown to the client as is.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Dict, List, Mapping, Optional, Tuple

from wewall.calculator import quarters as Q
from wewall.calculator.assumptions import DEFAULT, Assumptions
from wewall.calculator.errors import CalculationError, ManagerRequired
from wewall.text import num
from wewall.vocabulary import KIND_NAMES, KINDS, REPAIRS, REPAIRS_NAMES  # noqa: F401 (this module's API)

# Cyrillic А and В look the same as the Latin letters and are what Russian keyboards type.
_CLASSES = {"A": "A", "B": "B", "А": "A", "В": "B"}
DISTANCE_MODES = ("walk", "transport")


def is_building(kind: str) -> bool:
    return kind.startswith("building_")


def is_office(kind: str) -> bool:
    return kind.endswith("_office")


def minutes_to_meters(minutes: float, mode: str = "walk", assumptions: Assumptions = DEFAULT) -> float:
    """A distance told in minutes, in metres: on foot 80 m a minute, by transport 300 m a minute."""
    if mode not in DISTANCE_MODES:
        raise CalculationError(f"Не понимаю способ добраться «{mode}»: пешком (walk) или на транспорте (transport)", "distance_mode")
    speed = assumptions.walk_m_per_min if mode == "walk" else assumptions.transport_m_per_min
    minutes = _number(minutes, "distance_to_metro_min", "Время до метро")
    if minutes < 0:
        raise CalculationError("Время до метро не может быть отрицательным", "distance_to_metro_min")
    return minutes * speed


@dataclass(frozen=True)
class Inputs:
    kind: str
    area_m2: float
    price_per_m2: float
    repairs: str
    nds_rate: float
    estate_class: Optional[str] = None
    metro_station: Optional[str] = None
    distance_to_metro_m: Optional[float] = None
    readiness: Optional[str] = None
    tranches: Optional[Dict[str, float]] = None
    monthly_rent_rub: Optional[float] = None
    sale_price_per_m2_ready: Optional[float] = None
    as_of: Optional[dt.date] = None
    # Rates passed directly: no table is read for them.
    rent_rate: Optional[float] = None
    price_ready: Optional[float] = None
    cadastral: Optional[float] = None

    @classmethod
    def from_dict(cls, data: Mapping, assumptions: Assumptions = DEFAULT) -> Inputs:
        """Inputs keyed as in the spec. Also `distance_to_metro_min` with `distance_mode`."""
        if not isinstance(data, Mapping):
            raise CalculationError("Параметры расчёта должны быть объектом {\"kind\": …, \"area_m2\": …}")
        data = dict(data)
        known = {f.name for f in fields(cls)}
        minutes = data.pop("distance_to_metro_min", None)
        mode = data.pop("distance_mode", "walk")
        unknown = sorted(set(data) - known)
        if unknown:
            raise CalculationError(f"Неизвестный параметр: {', '.join(unknown)}", unknown[0])
        missing = [n for n in ("kind", "area_m2", "price_per_m2", "repairs", "nds_rate") if data.get(n) is None]
        if missing:
            raise CalculationError(f"Не хватает параметра {missing[0]}: {_ASK[missing[0]]}", missing[0])
        if minutes is not None:
            if data.get("distance_to_metro_m") is not None:
                raise CalculationError("Расстояние до метро указано и в метрах, и в минутах: оставьте что-то одно", "distance_to_metro_m")
            data["distance_to_metro_m"] = minutes_to_meters(minutes, mode, assumptions)
        return cls(**data)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat() if self.as_of else None
        return {k: v for k, v in d.items() if v is not None}


_ASK = {
    "kind": "тип помещения (готовый или строящийся офис, готовое или строящееся торговое помещение)",
    "area_m2": "площадь, м²",
    "price_per_m2": "цена покупки за м², ₽",
    "repairs": "нужна ли отделка: полная, частичная или не нужна",
    "nds_rate": "ставка НДС: 0, 5 или 7 %",
}


@dataclass(frozen=True)
class Case:
    """Validated inputs and the timeline they define."""

    inputs: Inputs
    deal: Q.Quarter
    r: int  # readiness index, 0 for finished units
    tranches: Tuple[Tuple[int, float], ...]  # (quarter index, share 0..1), ascending
    tax_rate: float
    assumptions: Assumptions = field(default=DEFAULT)

    @property
    def labels(self) -> List[str]:
        return Q.labels(self.deal, self.assumptions.horizon_quarters)


# ---------------------------------------------------------------- parsing helpers

_SPACES = re.compile(r"[\s\u00a0\u202f]")


def _number(value, fld: str, what: str) -> float:
    if isinstance(value, bool):
        raise CalculationError(f"{what}: нужно число", fld)
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:  # an int of 400 digits from a payload
            raise CalculationError(f"{what}: нужно обычное число", fld) from None
    elif isinstance(value, str):
        text = _SPACES.sub("", value).replace(",", ".").rstrip("%")
        try:
            x = float(text)
        except ValueError:
            raise CalculationError(f"{what}: не понимаю число «{value}»", fld) from None
    else:
        raise CalculationError(f"{what}: нужно число", fld)
    if not math.isfinite(x):
        raise CalculationError(f"{what}: нужно обычное число", fld)
    return x


def _positive(value, fld: str, what: str) -> float:
    x = _number(value, fld, what)
    if x <= 0:
        raise CalculationError(f"{what} должна быть больше нуля", fld)
    return x


def _optional_positive(value, fld: str, what: str) -> Optional[float]:
    return None if value is None else _positive(value, fld, what)


def _date(value) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CalculationError(f"Дата расчёта «{value}» не в формате ГГГГ-ММ-ДД", "as_of") from None


def _nds(value, assumptions: Assumptions) -> float:
    x = _number(value, "nds_rate", "Ставка НДС")
    if x in assumptions.manager_nds_rates:
        raise ManagerRequired(
            f"Расчёт при НДС {num(x)} % (ОСНО) делает менеджер: я передам ему ваш запрос", "nds_rate"
        )
    if x not in assumptions.nds_rates:
        allowed = ", ".join(num(v) for v in assumptions.nds_rates)
        raise CalculationError(f"Ставка НДС {num(x)} % не подходит: при УСН это {allowed} %", "nds_rate")
    return x


# ---------------------------------------------------------------- validation


def prepare(inputs, assumptions: Assumptions = DEFAULT) -> Case:
    """Validate inputs (an `Inputs` or a dict keyed as in the spec) and build the timeline."""
    if not isinstance(inputs, Inputs):
        inputs = Inputs.from_dict(inputs, assumptions)
    a = assumptions
    kind = str(inputs.kind).strip().lower()
    if kind not in KINDS:
        raise CalculationError(
            f"Не понимаю тип помещения «{inputs.kind}»: это может быть готовый офис, офис в строящемся "
            "здании, готовое торговое помещение или торговое помещение в строящемся здании",
            "kind",
        )
    repairs = str(inputs.repairs).strip().lower()
    if repairs not in REPAIRS:
        raise CalculationError(
            f"Не понимаю вариант отделки «{inputs.repairs}»: полная (full), частичная (partial) или без отделки (none)",
            "repairs",
        )
    area = _positive(inputs.area_m2, "area_m2", "Площадь")
    price = _positive(inputs.price_per_m2, "price_per_m2", "Цена за м²")
    nds = _nds(inputs.nds_rate, a)
    as_of = _date(inputs.as_of)
    deal = Q.quarter_of(as_of)

    estate_class = None
    if inputs.estate_class is not None and is_office(kind):
        estate_class = _CLASSES.get(str(inputs.estate_class).strip().upper())
        if estate_class is None:
            raise CalculationError(f"Класс здания «{inputs.estate_class}» не подходит: нужен A или B", "estate_class")
    distance = None
    if inputs.distance_to_metro_m is not None and is_office(kind):
        distance = _number(inputs.distance_to_metro_m, "distance_to_metro_m", "Расстояние до метро")
        if distance < 0:
            raise CalculationError("Расстояние до метро не может быть отрицательным", "distance_to_metro_m")
    station = str(inputs.metro_station).strip() if inputs.metro_station else None

    cadastral = None
    if inputs.cadastral is not None:
        cadastral = _number(inputs.cadastral, "cadastral", "Кадастровая стоимость")
        if cadastral < 0:
            raise CalculationError("Кадастровая стоимость не может быть отрицательной", "cadastral")
    rent_rate = _optional_positive(inputs.rent_rate, "rent_rate", "Ставка аренды")
    price_ready = _optional_positive(inputs.price_ready, "price_ready", "Цена готового помещения за м²")
    monthly_rent = sale_ready = None
    if not is_office(kind):
        monthly_rent = _optional_positive(inputs.monthly_rent_rub, "monthly_rent_rub", "Месячная аренда")
        if monthly_rent is None and rent_rate is None:
            raise CalculationError("Укажите, сколько в месяц можно получать за аренду помещения, ₽", "monthly_rent_rub")
        if is_building(kind):
            sale_ready = _optional_positive(
                inputs.sale_price_per_m2_ready, "sale_price_per_m2_ready", "Цена готового помещения за м²"
            )
            if sale_ready is None and price_ready is None:
                raise CalculationError(
                    "Укажите, сколько стоил бы 1 м² этого помещения, будь оно готово сегодня", "sale_price_per_m2_ready"
                )

    if is_building(kind):
        readiness, r = _readiness(inputs.readiness, deal, a)
        tranches, shares = _tranches(inputs.tranches, deal, readiness, r)
    else:
        # A finished unit is paid at once in the deal quarter; stray building slots are ignored.
        readiness, r = None, 0
        tranches, shares = None, ((0, 1.0),)

    clean = Inputs(
        kind=kind, area_m2=area, price_per_m2=price, repairs=repairs, nds_rate=nds,
        estate_class=estate_class, metro_station=station, distance_to_metro_m=distance,
        readiness=readiness, tranches=tranches, monthly_rent_rub=monthly_rent,
        sale_price_per_m2_ready=sale_ready, as_of=as_of,
        rent_rate=rent_rate, price_ready=price_ready, cadastral=cadastral,
    )
    return Case(clean, deal, r, shares, a.tax_rate(nds), a)


def _readiness(value, deal: Q.Quarter, a: Assumptions) -> Tuple[str, int]:
    if value is None or str(value).strip() == "":
        raise CalculationError("Укажите срок готовности (ввода в эксплуатацию) здания, например 3Q2027", "readiness")
    q = Q.parse_quarter(value, "readiness")
    r = Q.index(q, deal)
    if r < 0:
        raise CalculationError(f"Срок готовности {Q.label(q)} раньше квартала сделки {Q.label(deal)}", "readiness")
    if r > a.max_readiness_index:
        latest = Q.label(Q.shift(deal, a.max_readiness_index))
        raise CalculationError(
            f"Срок готовности {Q.label(q)} слишком далёкий: расчёт ведётся на {a.horizon_quarters // 4} лет, "
            f"и ввод здания должен быть не позже {latest}",
            "readiness",
        )
    return Q.label(q), r


def _tranches(value, deal: Q.Quarter, readiness: str, r: int):
    if value is None or value == {}:
        # «100 % at once» is the spec's reading of a purchase without instalments.
        return {Q.label(deal): 100.0}, ((0, 1.0),)
    if not isinstance(value, Mapping):
        raise CalculationError("Транши укажите как {\"1Q2026\": 60, \"3Q2026\": 40}", "tranches")
    by_index: Dict[int, float] = {}
    for key, pct in value.items():
        q = Q.parse_quarter(key, "tranches")
        i = Q.index(q, deal)
        p = _number(pct, "tranches", f"Транш в {Q.label(q)}")
        if p <= 0:
            raise CalculationError(f"Транш в {Q.label(q)}: доля должна быть больше нуля", "tranches")
        if i in by_index:
            raise CalculationError(f"Квартал {Q.label(q)} указан в траншах дважды", "tranches")
        if i < 0:
            raise CalculationError(f"Транш в {Q.label(q)} раньше квартала сделки {Q.label(deal)}", "tranches")
        if i > r:
            raise CalculationError(f"Транш в {Q.label(q)} позже срока готовности {readiness}", "tranches")
        by_index[i] = p
    total = sum(by_index.values())
    if abs(total - 100.0) > 1e-6:
        raise CalculationError(f"Сумма траншей {num(total, 4)} %, а должна быть 100 %", "tranches")
    order = sorted(by_index)
    labels = {Q.label(Q.shift(deal, i)): by_index[i] for i in order}
    return labels, tuple((i, by_index[i] / 100.0) for i in order)
