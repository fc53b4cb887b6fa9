"""Numbers the Russian way for every text the bot shows: a space between thousands and a decimal
comma (`num`, `millions`, `percent`), and number agreement for every count: «4 884 предложения»,
«1 вариант», «медианы 1 похожего предложения», «ещё 3 похожих лота».

One helper, pymorphy2 underneath (the process already holds its analyzer, `wewall.nlu.morph`):

    count(4884, "предложение")                       → «4 884 предложения»
    count(1, "предложение", "похожий", case="gent")  → «1 похожего предложения»
    agree(5, "вариант")                               → «вариантов»

Words are given in the nominative singular. In the nominative (and the accusative of inanimate
nouns) the numeral governs: 1, 21 → nominative singular; 2–4, 22–24 → genitive singular of the
noun with the adjective in the genitive plural; the rest → genitive plural. In other cases the
phrase keeps the case and only the number changes (1 → singular, otherwise plural), as in
«медианы 72 похожих предложений».
"""

from __future__ import annotations

import functools
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


def _kind(n: int) -> str:
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


@functools.lru_cache(maxsize=512)
def _parse(word: str, pos: str):
    from wewall.nlu.morph import analyzer

    parses = analyzer().parse(word)
    for p in parses:
        if p.tag.POS == pos and "nomn" in p.tag and ("sing" in p.tag or pos == "ADJF" or "Sgtm" in p.tag):
            return p
    return parses[0]


@functools.lru_cache(maxsize=2048)
def _form(word: str, pos: str, grams: frozenset) -> str:
    p = _parse(word, pos)
    inflected = p.inflect(set(grams))
    return inflected.word if inflected is not None else word


# After a number «человек» keeps its counting form (15 человек, not «15 людей»).
COUNTING_FORMS = {("человек", "many", "nomn"): "человек", ("человек", "many", "gent"): "человек"}


def agree(n: int, noun: str, case: str = "nomn") -> str:
    """The form of `noun` (nominative singular) that goes after the number `n`."""
    kind = _kind(n)
    special = COUNTING_FORMS.get((noun, kind, "gent" if case == "gent" else "nomn" if case in ("nomn", "accs") else case))
    if special:
        return special
    if case in ("nomn", "accs"):
        grams = {"one": {"sing", "nomn"}, "few": {"sing", "gent"}, "many": {"plur", "gent"}}[kind]
    else:
        grams = {"sing" if kind == "one" else "plur", case}
    return _form(noun, "NOUN", frozenset(grams))


def agree_adjective(n: int, adjective: str, noun: str, case: str = "nomn") -> str:
    kind = _kind(n)
    gender = _parse(noun, "NOUN").tag.gender or "masc"
    if case in ("nomn", "accs"):
        grams = {"sing", "nomn", gender} if kind == "one" else {"plur", "gent"}
    else:
        grams = {"sing", case, gender} if kind == "one" else {"plur", case}
    return _form(adjective, "ADJF", frozenset(grams))


def count(n: int, noun: str, adjective: Optional[str] = None, case: str = "nomn") -> str:
    """«4 884 предложения»: the number (grouped by thousands) and the agreeing words."""
    words = agree(n, noun, case)
    if adjective:
        words = f"{agree_adjective(n, adjective, noun, case)} {words}"
    return f"{num(n, 0)} {words}"
