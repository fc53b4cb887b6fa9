"""Numbers the Russian way: a space between thousands, a decimal comma."""

from __future__ import annotations

import math
from typing import Any, Optional


# Beyond this no figure of ours is real (a quadrillion rubles or square metres): a button payload
# such as /inform{"area_m2": 1e309} or a 400-digit number is refused, not formatted.
ABSURD = 1e15


def finite(value: Any, limit: float = ABSURD) -> Optional[float]:
    """`value` as a float when it is an ordinary number (not NaN/∞, |x| < limit), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        x = float(value)
    except OverflowError:  # an int of 400 digits
        return None
    return x if math.isfinite(x) and abs(x) < limit else None


def num(x: float, decimals: int = 1, thousands: str = "\u202f") -> str:
    """`90` → «90», `33.33` → «33,3», `350000` → «350 000» (no trailing «,0» for whole numbers).

    The default NARROW NO-BREAK SPACE keeps «350 000» on one line in Telegram. A value that is
    not an ordinary number (NaN, ∞, absurdly large) is shown as «—» instead of failing the reply."""
    if isinstance(x, str):
        try:
            x = float(x)
        except ValueError:
            return "—"
    value = finite(x)
    if value is None:
        return "—"
    x = round(value, decimals)
    if x == int(x):
        text = f"{int(x):,}"
    else:
        text = f"{x:,.{decimals}f}".rstrip("0")
    return text.replace(",", thousands).replace(".", ",")


def millions(rub: float) -> str:
    """Rubles as «350,0 млн ₽»: the bot shows key figures in millions with one decimal."""
    value = finite(rub)
    if value is None:
        return "—"
    m = round(value / 1e6, 1) + 0.0  # + 0.0 turns −0.0 into 0.0: no «−0,0 млн»
    return f"{m:,.1f}".replace(",", "\u202f").replace(".", ",") + " млн ₽"


def percent(x: Optional[float]) -> str:
    return "—" if x is None else f"{x:.1f}".replace(".", ",") + " %"
