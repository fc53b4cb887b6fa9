"""The two range tables of the finance model: `way_to_subway_coeffs` and `square_coeffs`.

A row matches when `min <= x <= max`. Rows must touch (the next `min` equals the previous
`max`; the shared bound belongs to the lower row): a gap would leave some areas without a
coefficient and an overlap would make the answer depend on row order.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

TABLES: Dict[str, tuple] = {
    "way_to_subway_coeffs": ("min_distance", "max_distance"),
    "square_coeffs": ("min_square", "max_square"),
}
UNITS = {"way_to_subway_coeffs": "м до метро", "square_coeffs": "м²"}


class RangeTableError(ValueError):
    pass


@dataclass(frozen=True)
class RangeRow:
    low: float
    high: float
    coeff: float


def validate_rows(table: str, rows: Sequence[dict]) -> List[dict]:
    """Check a range table and return its rows sorted, with numbers as numbers."""
    if table not in TABLES:
        raise RangeTableError(f"неизвестная таблица «{table}»; есть: {', '.join(TABLES)}")
    lo_key, hi_key = TABLES[table]
    if not rows:
        raise RangeTableError(f"{table}: таблица пуста")
    clean = []
    for n, row in enumerate(rows, start=1):
        try:
            lo, hi, coeff = float(row[lo_key]), float(row[hi_key]), float(row["coeff"])
        except KeyError as exc:
            raise RangeTableError(f"{table}, строка {n}: нет поля {exc}") from None
        except (TypeError, ValueError):
            raise RangeTableError(f"{table}, строка {n}: {lo_key}, {hi_key} и coeff должны быть числами") from None
        if lo < 0 or hi < lo:
            raise RangeTableError(f"{table}, строка {n}: диапазон {lo:g}–{hi:g} пуст или отрицателен")
        if not 0 < coeff <= 10:
            raise RangeTableError(f"{table}, строка {n}: коэффициент {coeff:g} вне (0; 10]")
        clean.append({lo_key: lo, hi_key: hi, "coeff": coeff, "_row": n})
    clean.sort(key=lambda r: r[lo_key])
    for prev, cur in itertools.pairwise(clean):
        if cur[lo_key] > prev[hi_key]:
            raise RangeTableError(
                f"{table}: пропуск между строкой {prev['_row']} (до {prev[hi_key]:g}) "
                f"и строкой {cur['_row']} (от {cur[lo_key]:g})"
            )
        if cur[lo_key] < prev[hi_key]:
            raise RangeTableError(
                f"{table}: строки {prev['_row']} ({prev[lo_key]:g}–{prev[hi_key]:g}) и "
                f"{cur['_row']} ({cur[lo_key]:g}–{cur[hi_key]:g}) перекрываются"
            )
    for r in clean:
        r.pop("_row")
    return clean


def lookup(table: str, rows: Sequence[dict], x: float) -> float:
    """The coefficient of the first row (in ascending order) with `min <= x <= max`."""
    lo_key, hi_key = TABLES[table]
    for row in sorted(rows, key=lambda r: r[lo_key]):
        if row[lo_key] <= x <= row[hi_key]:
            return float(row["coeff"])
    raise RangeTableError(f"значение {x:g} {UNITS[table]} вне таблицы {table}")


def _table_of_header(fields: Sequence[str]) -> str:
    for table, (lo_key, hi_key) in TABLES.items():
        if lo_key in fields and hi_key in fields:
            return table
    raise RangeTableError(
        "не понимаю таблицу: нужны колонки min_distance,max_distance,coeff "
        "или min_square,max_square,coeff"
    )


def read_coeffs_file(path: Path) -> Dict[str, List[dict]]:
    """Read a JSON (`{table: [rows]}`) or CSV (one table, by its header) file and validate it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RangeTableError(f"файл не найден: {path}") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RangeTableError(f"{path}: это не JSON ({exc})") from None
        if not isinstance(data, dict) or not data:
            raise RangeTableError(f"{path}: ожидался объект {{\"square_coeffs\": [...], ...}}")
        return {table: validate_rows(table, rows) for table, rows in data.items()}
    reader = csv.DictReader(io.StringIO(text))
    table = _table_of_header(reader.fieldnames or [])
    return {table: validate_rows(table, list(reader))}


# Demo tables of our own making (marked demo wherever they are stored).
DEMO_COEFFS = {
    "way_to_subway_coeffs": [
        {"min_distance": 0, "max_distance": 300, "coeff": 1.10},
        {"min_distance": 300, "max_distance": 700, "coeff": 1.00},
        {"min_distance": 700, "max_distance": 1200, "coeff": 0.92},
        {"min_distance": 1200, "max_distance": 2000, "coeff": 0.85},
        {"min_distance": 2000, "max_distance": 5000, "coeff": 0.75},
        {"min_distance": 5000, "max_distance": 100000, "coeff": 0.65},
    ],
    "square_coeffs": [
        {"min_square": 0, "max_square": 100, "coeff": 1.15},
        {"min_square": 100, "max_square": 300, "coeff": 1.05},
        {"min_square": 300, "max_square": 1000, "coeff": 1.00},
        {"min_square": 1000, "max_square": 3000, "coeff": 0.95},
        {"min_square": 3000, "max_square": 1000000, "coeff": 0.90},
    ],
}
