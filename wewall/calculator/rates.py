"""The three rates of the model: `rent_rate`, `price_ready`, `cadastral` (finance-model.md).

`resolve()` is pure: it takes the station document and the two coefficient tables.
`resolve_from_db()` reads only what `resolve()` will need, so a calculation with every rate
passed directly never touches the store.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Optional, Sequence

from wewall.calculator.errors import CalculationError, RatesUnavailable
from wewall.calculator.inputs import Case, is_building, is_office
from wewall.data.coeffs import RangeTableError, lookup, validate_rows
from wewall.text import num

log = logging.getLogger(__name__)

DISTANCE_TABLE = "way_to_subway_coeffs"
SQUARE_TABLE = "square_coeffs"


@dataclass(frozen=True)
class Rates:
    rent_rate: float  # ₽/m²/year, today
    price_ready: Optional[float]  # ₽/m² of a ready unit today; None when unknown and not needed
    cadastral: float  # ₽/m²
    # Where each rate came from: input | tables | station | monthly_rent | sale_price_ready | default.
    rent_rate_source: str = "input"
    price_ready_source: Optional[str] = None
    cadastral_source: str = "input"
    k_distance: Optional[float] = None
    k_area: Optional[float] = None
    # The station whose rates were read, and whose they are (demo | import | …), for the result's text.
    station: Optional[str] = None
    station_rates_source: Optional[str] = None

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- what is needed


def _office_needs_coeffs(case: Case) -> bool:
    i = case.inputs
    return is_office(i.kind) and (i.rent_rate is None or (is_building(i.kind) and i.price_ready is None))


def needs_station(case: Case) -> bool:
    i = case.inputs
    if is_office(i.kind):
        return _office_needs_coeffs(case) or i.cadastral is None
    return i.cadastral is None and bool(i.metro_station)


def needs_coeffs(case: Case) -> bool:
    return _office_needs_coeffs(case)


# ---------------------------------------------------------------- pure resolution


def _station_name(station: Optional[dict], case: Case) -> str:
    return (station or {}).get("name") or case.inputs.metro_station or "?"


def _station_field(station: dict, name: str, case: Case) -> float:
    value = station.get(name)
    if value is None:
        raise RatesUnavailable(
            f"Для станции «{_station_name(station, case)}» у нас пока нет ставок аренды и цен: "
            "расчёт сделает менеджер",
            "metro_station",
        )
    return float(value)


def _coeff(table: str, rows: Sequence[dict], x: float, what: str, unit: str, fld: str) -> float:
    if not rows:
        raise RatesUnavailable("Таблицы коэффициентов пока не загружены: расчёт сделает менеджер", fld)
    try:
        return lookup(table, rows, x)
    except RangeTableError:
        lo_key, hi_key = ("min_distance", "max_distance") if table == DISTANCE_TABLE else ("min_square", "max_square")
        lo = min(float(r[lo_key]) for r in rows)
        hi = max(float(r[hi_key]) for r in rows)
        raise CalculationError(
            f"{what} {num(x)} {unit} вне наших таблиц (от {num(lo)} до {num(hi)} {unit})", fld
        ) from None


def _office_coeffs(case: Case, distance_rows, square_rows):
    i = case.inputs
    if i.distance_to_metro_m is None:
        raise CalculationError("Укажите, сколько до метро: в метрах или в минутах пешком", "distance_to_metro_m")
    if i.estate_class is None:
        raise CalculationError("Укажите класс здания: A или B", "estate_class")
    k_distance = _coeff(DISTANCE_TABLE, distance_rows, i.distance_to_metro_m, "Расстояние до метро", "м", "distance_to_metro_m")
    k_area = _coeff(SQUARE_TABLE, square_rows, i.area_m2, "Площадь", "м²", "area_m2")
    return k_distance, k_area


def resolve(
    case: Case,
    station: Optional[dict] = None,
    distance_rows: Optional[Sequence[dict]] = None,
    square_rows: Optional[Sequence[dict]] = None,
) -> Rates:
    """The rates for a case; rates passed in the inputs win over the tables."""
    i = case.inputs
    if needs_station(case) and is_office(i.kind) and station is None:
        if not i.metro_station:
            raise CalculationError("Укажите ближайшую станцию метро", "metro_station")
        raise CalculationError(f"Не нашёл станцию метро «{i.metro_station}»: проверьте название", "metro_station")
    if is_office(i.kind):
        return _office(case, station, distance_rows, square_rows)
    return _retail(case, station)


def _office(case: Case, station, distance_rows, square_rows) -> Rates:
    i = case.inputs
    k_distance = k_area = None
    if needs_coeffs(case):
        k_distance, k_area = _office_coeffs(case, distance_rows, square_rows)
    elif station is not None and distance_rows and square_rows and i.estate_class and i.distance_to_metro_m is not None:
        # Tables already at hand: a ready unit's market price is worth showing even when unused.
        try:
            k_distance, k_area = _office_coeffs(case, distance_rows, square_rows)
        except CalculationError:
            pass
    cls = i.estate_class
    if i.rent_rate is not None:
        rent_rate, rent_src = i.rent_rate, "input"
    else:
        rent_base = _station_field(station, f"rent_{cls}", case)
        assert k_distance is not None and k_area is not None  # needs_coeffs: a rent from the tables
        rent_rate, rent_src = rent_base * k_distance * k_area, "tables"
    if i.price_ready is not None:
        price_ready, price_src = i.price_ready, "input"
    elif (k_distance is not None and k_area is not None and station is not None
          and station.get(f"price_{cls}") is not None):
        price_ready, price_src = float(station[f"price_{cls}"]) * k_distance * k_area, "tables"
    elif is_building(i.kind):
        price_base = _station_field(station, f"price_{cls}", case)
        assert k_distance is not None and k_area is not None  # needs_coeffs: a price from the tables
        price_ready, price_src = price_base * k_distance * k_area, "tables"
    else:
        price_ready, price_src = None, None
    if i.cadastral is not None:
        cadastral, cad_src = i.cadastral, "input"
    else:
        cadastral, cad_src = _station_field(station, "average_cadastral_value", case), "station"
    return Rates(rent_rate, price_ready, cadastral, rent_src, price_src, cad_src, k_distance, k_area,
                 *_station_info(station))


def _station_info(station: Optional[dict]):
    if not station:
        return None, None
    return station.get("name"), station.get("rates_source") or ("demo" if station.get("demo") else None)


def _retail(case: Case, station: Optional[dict]) -> Rates:
    i = case.inputs
    if i.rent_rate is not None:
        rent_rate, rent_src = i.rent_rate, "input"
    else:
        assert i.monthly_rent_rub is not None  # validation: a rent rate or a monthly rent
        rent_rate, rent_src = i.monthly_rent_rub * 12 / i.area_m2, "monthly_rent"
    if i.price_ready is not None:
        price_ready, price_src = i.price_ready, "input"
    elif i.sale_price_per_m2_ready is not None:
        price_ready, price_src = i.sale_price_per_m2_ready, "sale_price_ready"
    else:
        price_ready, price_src = None, None
    if i.cadastral is not None:
        cadastral, cad_src = i.cadastral, "input"
    elif station is not None and station.get("average_cadastral_value") is not None:
        cadastral, cad_src = float(station["average_cadastral_value"]), "station"
    else:
        # A station without rates is no reason to refuse retail: the spec's default applies.
        cadastral, cad_src = case.assumptions.retail_default_cadastral, "default"
    return Rates(rent_rate, price_ready, cadastral, rent_src, price_src, cad_src, None, None, *_station_info(station))


# ---------------------------------------------------------------- from the store


def read_tables(case: Case, db):
    """The station document and coefficient rows the case needs (None where not needed)."""
    import pymongo.errors

    from wewall import storage

    station = distance_rows = square_rows = None
    try:
        if needs_station(case) and case.inputs.metro_station:
            station = storage.get_station(db, case.inputs.metro_station)
            if station is None:
                # An empty table means nothing is loaded yet: not the client's misspelling.
                if db[storage.SUBWAY_STATIONS].count_documents({}) == 0:
                    raise RatesUnavailable("Таблица станций метро пока не загружена: расчёт сделает менеджер", "metro_station")
                raise CalculationError(
                    f"Не нашёл станцию метро «{case.inputs.metro_station}»: проверьте название", "metro_station"
                )
        optional = is_office(case.inputs.kind) and station is not None and case.inputs.price_ready is None
        if needs_coeffs(case) or optional:
            distance_rows = validate_rows(DISTANCE_TABLE, storage.get_coeffs(db, DISTANCE_TABLE))
            square_rows = validate_rows(SQUARE_TABLE, storage.get_coeffs(db, SQUARE_TABLE))
    except RangeTableError as exc:
        log.warning("coefficient table rejected: %s", exc)
        if needs_coeffs(case):
            raise RatesUnavailable(
                "Таблицы коэффициентов сейчас недоступны: расчёт сделает менеджер", "metro_station"
            ) from exc
        distance_rows = square_rows = None  # only wanted for the optional price_ready
    except (pymongo.errors.PyMongoError, storage.StorageError) as exc:
        log.warning("rate tables unreadable: %s", exc)
        raise RatesUnavailable("Не удалось прочитать таблицы ставок: расчёт сделает менеджер") from exc
    return station, distance_rows, square_rows


def resolve_from_db(case: Case, db) -> Rates:
    return resolve(case, *read_tables(case, db))
