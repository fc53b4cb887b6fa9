"""Quarters as the model labels them: `1Q2026` is the first quarter of 2026."""

from __future__ import annotations

import datetime as dt
import re
from typing import Tuple

from wewall.calculator.errors import CalculationError

# Latin Q, Cyrillic К/к and lowercase too: people and dialogue slots write it every way.
_QUARTER = re.compile(r"^\s*([1-4])\s*[QqКк]\s*(\d{4})\s*$")

Quarter = Tuple[int, int]  # (year, 1..4)


def parse_quarter(text: str, field: str = "quarter") -> Quarter:
    match = _QUARTER.match(str(text))
    if not match:
        raise CalculationError(
            f"Не понимаю квартал «{text}»: напишите его как 3Q2027 (третий квартал 2027 года)", field
        )
    return int(match.group(2)), int(match.group(1))


def quarter_of(date: dt.date) -> Quarter:
    return date.year, (date.month - 1) // 3 + 1


def label(q: Quarter) -> str:
    return f"{q[1]}Q{q[0]}"


def index(q: Quarter, start: Quarter) -> int:
    """Quarters from `start` to `q` (negative when `q` is earlier)."""
    return (q[0] - start[0]) * 4 + (q[1] - start[1])


def shift(start: Quarter, n: int) -> Quarter:
    total = start[0] * 4 + (start[1] - 1) + n
    return total // 4, total % 4 + 1


def labels(start: Quarter, count: int) -> list:
    return [label(shift(start, n)) for n in range(count)]
