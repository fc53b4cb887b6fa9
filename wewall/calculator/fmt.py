"""Numbers the Russian way: a space between thousands, a decimal comma."""

from __future__ import annotations

from typing import Optional


def num(x: float, decimals: int = 1, thousands: str = "\u202f") -> str:
    """`90` → «90», `33.33` → «33,3», `350000` → «350 000» (no trailing «,0» for whole numbers).

    The default NARROW NO-BREAK SPACE keeps «350 000» on one line in Telegram."""
    x = round(float(x), decimals)
    if x == int(x):
        text = f"{int(x):,}"
    else:
        text = f"{x:,.{decimals}f}".rstrip("0")
    return text.replace(",", thousands).replace(".", ",")


def millions(rub: float) -> str:
    """Rubles as «350,0 млн ₽»: the bot shows key figures in millions with one decimal."""
    m = round(rub / 1e6, 1) + 0.0  # + 0.0 turns −0.0 into 0.0: no «−0,0 млн»
    return f"{m:,.1f}".replace(",", "\u202f").replace(".", ",") + " млн ₽"


def percent(x: Optional[float]) -> str:
    return "—" if x is None else f"{x:.1f}".replace(".", ",") + " %"
