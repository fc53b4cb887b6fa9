"""How clients say the answers of «Оценка доходности»: prices (total or per m², per month or per
year), the fit-out still to do, VAT, the way to the metro, dates and payment schedules in words.

Pure readers over the message text and the NLU's entities; `wewall.dialogue.calculation` decides
what to do with what they read. Each reader returns None when the words say nothing about it, so
the question being asked can read its answer without waiting for the intent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from wewall.calculator import quarters as Q

I = re.IGNORECASE  # noqa: E741 (re.I's own name)
_CLAUSE = re.compile(r"[,;!?\n]|\.(?=\s|$)|\s[-–—]\s|\s(?:а|но)\s")

# ---------------------------------------------------------------- prices

# «за м²», «за метр», «за квадрат», «/м2», «метр стоит», «по 420 тыс» (a price per unit).
PER_M2 = re.compile(
    r"за\s*(?:1\s*|один\s+|каждый\s+)?(?:кв\.?\s*м|кв\.?\s*метр|квадратн\w*\s+метр|квадрат\w*|метр\w*|м2|м²|м(?![а-яё]))"
    r"|/\s*м(?:2|²)?(?![а-яё])|(?:метр|квадрат)\w*\s+(?:стои|обходит)|(?<![а-яё])по\s+(?=\d|[а-яё]+\s+тыс)|за\s+кв(?![а-яё])",
    I,
)
# «за всё», «итого», «общая», «всего», «целиком», «за помещение», «полная цена».
TOTAL = re.compile(
    r"за\s+вс[её](?![а-яё])|итог\w*|общ(?:ая|ую|ей|ий|ее|ей)(?![а-яё])|(?<![а-яё])всего(?![а-яё])|целиком"
    r"|за\s+(?:вс[её]\s+|весь\s+|всю\s+|целое\s+|целиком\s+)?(?:помещени\w*|объект\w*|офис\w*|лот\w*|площад\w*|магазин\w*)"
    r"|за\s+(?:весь|всю)(?![а-яё])|полн(?:ая|ую)\s+(?:цен|стоим)\w*|стоимость\s+(?:объекта|помещения|офиса|лота)",
    I,
)
MONTH = re.compile(r"в\s*мес|ежемесяч\w*|/\s*мес|за\s+месяц|месячн\w*|в\s+м(?:ес)?\.?(?![а-яё])", I)
YEAR = re.compile(r"в\s*год(?![а-яё])|/\s*год|за\s+год(?![а-яё])|годов\w*|ежегодн\w*", I)
RENT_WORDS = re.compile(r"аренд\w*|арендатор\w*|сдава\w*|сдать|сдам|в\s*мес|ежемесяч|месячн", I)
READY_WORDS = re.compile(r"готов\w*", I)
PRICE_WORDS = re.compile(r"цен\w*|стои\w*|стоим\w*|покуп\w*|купи\w*|продаж\w*|продаю\w*|прос(?:ят|ит|ил)\w*|отда(?:ют|ёт|ет)", I)

# A plain number (no ₽, no «тысяч») is a sum only next to these («аренда 2500», «цена 450000»):
# «стоит на 2 этаже», «сдавать 5 лет» are not sums.
_NUMBER_IS_SUM = re.compile(r"(?<![а-яё])(?:аренд\w*|цен\w*|стоимост\w*|ставк\w*)", I)

MONEY_SLOTS = ("calc_price_per_m2", "calc_sale_price_per_m2_ready", "calc_monthly_rent_rub")
# A rent per m² a month above this is surely per year (prime street retail is ≈ 15–20 тыс ₽/м²/мес).
RENT_PER_M2_MONTH_MAX = 12_000


@dataclass(frozen=True)
class Money:
    """A sum said in the message, with what the words around it tell about it."""

    value: float
    start: int
    end: int
    basis: Optional[str]  # "total" | "per_m2" | None: not said
    period: Optional[str]  # "month" | "year" | None
    clause: str
    priced: bool = False  # «за 38 млн», «по 420 тыс»: a price by its preposition

    @property
    def rent(self) -> bool:
        return bool(RENT_WORDS.search(self.clause))

    @property
    def ready(self) -> bool:
        return bool(READY_WORDS.search(self.clause))

    @property
    def price(self) -> bool:
        return bool(PRICE_WORDS.search(self.clause)) or self.basis is not None or self.priced


def clause_around(text: str, start: int, end: int) -> str:
    """The part of the sentence the number stands in (between commas, «а», dashes…)."""
    left = 0
    for m in _CLAUSE.finditer(text, 0, start):
        left = m.end()
    found = _CLAUSE.search(text, end)
    right = found.start() if found else len(text)
    return text[left:right]


def basis_of(words: str) -> Optional[str]:
    """«за всё» → total, «за метр» → per_m2; both or neither → None."""
    per, total = PER_M2.search(words), TOTAL.search(words)
    if per and not total:
        return "per_m2"
    if total and not per:
        return "total"
    if per and total:
        # «итого за метр 400 тысяч»: the nearer word to a unit wins; «общая цена за метр» is per m².
        return "per_m2" if per.start() > total.start() else "total"
    return None


def period_of(words: str) -> Optional[str]:
    if MONTH.search(words):
        return "month"
    if YEAR.search(words):
        return "year"
    return None


def _number(value) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).replace(" ", "").replace(",", "."))
    except (TypeError, ValueError):
        return None


def sums(text: str, entities: List[dict], bare: bool = False) -> List[Money]:
    """Every sum of the message; `bare`: plain numbers count too (the asked question is a sum)."""
    out = []
    for e in entities:
        if e.get("entity") not in ("money_rub", "number"):
            continue
        value = _number(e.get("value"))
        if value is None:
            continue
        start, end = int(e.get("start", 0)), int(e.get("end", 0))
        clause = clause_around(text, start, end) if end > start else text
        if e.get("entity") == "number" and not bare and not (
                _NUMBER_IS_SUM.search(clause) or period_of(clause) or basis_of(clause)):
            continue  # a bare number is a sum only when asked for one, or when its words say so
        priced = bool(re.search(r"(?<![а-яё])(?:за|по)\s*$", text[max(0, start - 4):start], I))
        out.append(Money(value, start, end, basis_of(clause), period_of(clause), clause, priced))
    return out


def money_slot(m: Money, requested: Optional[str], allowed: List[str]) -> Optional[str]:
    """Which question a sum answers: its words first, then the question being asked."""
    if m.rent and "calc_monthly_rent_rub" in allowed:
        return "calc_monthly_rent_rub"
    if m.ready and "calc_sale_price_per_m2_ready" in allowed:
        return "calc_sale_price_per_m2_ready"
    if requested in MONEY_SLOTS and requested in allowed:
        return requested
    if m.price and "calc_price_per_m2" in allowed:
        return "calc_price_per_m2"
    return None


# ---------------------------------------------------------------- fit-out still to do

_NO_REPAIRS = re.compile(
    r"не\s+(?:нужн|нуж|надо|требу|понадоб)\w*|ничего(?!\s+нет)|уже\s+(?:вс[её]\s+)?(?:сделан|сделал|отремонтир|готов)\w*"
    r"|(?:сделал|сделали)\s+(?:вс[её]|ремонт|отделку)|готов\w*\s+(?:к\s+)?(?:работ|въезд|заезд|аренд)\w*"
    r"|под\s+ключ|можно\s+(?:сразу\s+)?(?:заезжать|въезжать|работать|сдавать)|(?<![а-яё])нет(?:\s*[.!]?\s*$)",
    I,
)
_FULL = re.compile(
    r"бетон\w*|без\s+(?:отделк|ремонт)\w*|отделк\w*\s+нет|ремонт\w*\s+нет|нет\s+(?:отделк|ремонт)\w*|черн\w*"
    r"|голы\w*\s+стен\w*|shell|шелл|с\s+нуля|полност\w*|капитальн\w*|(?<![а-яё])полн(?:ая|ый|ую|ое|ого|ой)?(?![а-яё])",
    I,
)
_SHELL = re.compile(r"бетон\w*|без\s+(?:отделк|ремонт)\w*|(?:отделк|ремонт)\w*\s+нет|нет\s+(?:отделк|ремонт)\w*|черн\w*|голы\w*\s+стен\w*", I)
_PARTIAL = re.compile(r"частичн\w*|частично|косметик\w*|косметич\w*|white\s*box|вайт\s*бокс|предчистов\w*|немного|подкрас\w*|освеж\w*", I)
# The unit already has a finish: «полная отделка», «с отделкой», «с ремонтом», «отделка есть».
_HAS_FINISH = re.compile(
    r"(?:полн|чистов|готов|хорош|свеж|нов|качествен|дизайнерск)\w*\s+отделк\w*"
    r"|(?:чистов|готов|хорош|свеж|нов|качествен|евро|дизайнерск)\w*\s+ремонт\w*|с\s+(?:отделк|ремонт|мебел)\w*"
    r"|(?<![а-яё])(?:вс[её]\s+)?готов(?:о|а|ое|ый|ая)?(?![а-яё])"
    r"|(?:отделк|ремонт)\w*\s+(?:есть|сделан\w*|готов\w*)|отремонтирован\w*",
    I,
)


def read_repairs(text: str) -> Optional[str]:
    """full | partial | none from the words; None when they say nothing about it.

    The question asks what is still to do, so «полная» and «полный ремонт» are full repairs; a
    finish the unit already has («полная отделка», «с ремонтом») means nothing is left to do.
    """
    if _SHELL.search(text):
        return "full"
    if _NO_REPAIRS.search(text) and not re.search(r"(?<!не\s)нужн\w*\s+(?:полн|частичн)", text, I):
        return "none"
    if _PARTIAL.search(text):
        return "partial"
    if _HAS_FINISH.search(text) and not re.search(r"нуж|треб|надо|делать|сделать", text, I):
        return "none"
    if _FULL.search(text):
        return "full"
    return None


# ---------------------------------------------------------------- VAT

_VAT_WORD = re.compile(r"ндс|nds|усн|осно|упрощ\w*|общ\w*\s+систем\w*", I)
_NO_VAT = re.compile(
    r"без\s+ндс|ндс\s+(?:нет|не\s+плач|не\s+плат)|не\s+(?:плач|плат)\w*\s+ндс|освобожд\w*|(?<![а-яё])нет\s+ндс", I
)
_OSNO = re.compile(r"осно(?![а-яё])|общ\w*\s+(?:систем|режим)\w*|с\s+ндс\s*$|плательщик\w*\s+ндс", I)
_USN = re.compile(r"усн|упрощ\w*", I)


def read_vat(text: str, entities: List[dict], asked: bool) -> Optional[float]:
    """The VAT rate in %: the percent said next to «НДС»/«УСН», «без НДС»/«УСН» → 0, «ОСНО» → 20."""
    word = _VAT_WORD.search(text)
    if not word and not asked:
        return None
    percents = [e for e in entities if e.get("entity") == "percent" and _number(e.get("value")) is not None]
    if word and percents:
        # «ндс 5%, … оплата 100% сразу»: the percent nearest to the word, in its clause.
        words = list(_VAT_WORD.finditer(text))

        def distance(e):
            return min(abs(int(e.get("start", 0)) - m.end()) if int(e.get("start", 0)) >= m.end()
                       else abs(m.start() - int(e.get("end", 0))) for m in words)

        near = [e for e in percents if any(clause_around(text, int(e.get("start", 0)), int(e.get("end", 0)))
                                           == clause_around(text, m.start(), m.end()) for m in words)]
        pool = near or percents
        return _number(min(pool, key=distance).get("value"))
    if _NO_VAT.search(text):
        return 0.0
    if _OSNO.search(text):
        return 20.0
    if _USN.search(text):
        return 0.0
    if asked:
        if percents:
            return _number(percents[-1].get("value"))
        numbers = [_number(e.get("value")) for e in entities if e.get("entity") == "number"]
        numbers = [n for n in numbers if n is not None]
        if numbers:
            return numbers[-1]
        if re.search(r"(?<![а-яё])(?:нет|не\s+плач\w*|не\s+плат\w*|ноль|нулев\w*)(?![а-яё])", text, I):
            return 0.0
    return None


# ---------------------------------------------------------------- dates

SEASONS = [
    (re.compile(r"зим\w*", I), 1),
    (re.compile(r"весн\w*|весен\w*", I), 2),
    (re.compile(r"лет(?:ом|о|а|е)(?![а-яё])|летн\w*", I), 3),
    (re.compile(r"осен\w*|осень", I), 4),
]
PARTS = [
    (re.compile(r"конц\w*|конец|концу|финал\w*|на\s+исход\w*", I), 4),
    (re.compile(r"втор\w*\s+половин\w*|втор\w*\s+полугоди\w*", I), 4),
    (re.compile(r"перв\w*\s+половин\w*|перв\w*\s+полугоди\w*|середин\w*", I), 2),
    (re.compile(r"начал\w*", I), 1),
]
_YEAR_NUM = re.compile(r"(?<![0-9])(20[2-9][0-9]|[2-9][0-9])(?![0-9])(?!\s*(?:%|процент|проц|млн|тыс|м2|м²|мин|метр|кв\.?\s*м))(?:\s*-?\s*(?:го|й|ом|м)(?![а-яё]))?(?:\s*(?:года|году|год|г\.?)(?![а-яё]))?", I)
_REL_YEAR = [
    (re.compile(r"(?:в\s+)?(?:этом|текущем|нынешнем)\s+год\w*|(?:в\s+)?(?:этого|текущего)\s+год\w*", I), 0),
    (re.compile(r"следующ\w*\s+год\w*|будущ\w*\s+год\w*|через\s+год(?![а-яё])", I), 1),
    (re.compile(r"через\s+(?:два|2)\s+год\w*|послезавтр", I), 2),
]
_IN = re.compile(
    r"через\s+(полгода|пол\s+года|полтора\s+года|год|[0-9]+(?:[.,][0-9]+)?|один|одну|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|двенадцать|восемнадцать)"
    r"\s*(год\w*|лет|месяц\w*|мес\.?|квартал\w*|кв\.?)?",
    I,
)
_WORD_NUMS = {"один": 1, "одну": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7,
              "восемь": 8, "девять": 9, "десять": 10, "двенадцать": 12, "восемнадцать": 18}
_ASAP = re.compile(r"(?<![а-яё])(?:сейчас|сразу|уже\s+(?:сдан|введ|готов)\w*|в\s+этом\s+квартал\w*)", I)


def _year_in(text: str, today: dt.date) -> Optional[int]:
    for m in _YEAR_NUM.finditer(text):
        value = int(m.group(1))
        year = value if value >= 2000 else 2000 + value
        if today.year - 1 <= year <= today.year + 15:
            return year
    return None


def relative_quarter(text: str, today: dt.date) -> Optional[Tuple[Q.Quarter, str]]:
    """A quarter told in words: «к концу 27го», «летом 2028», «через полтора года», «в следующем
    году» (its last quarter: a building «next year» is commissioned by its end). (quarter, how)."""
    deal = Q.quarter_of(today)
    m = _IN.search(text)
    if m:
        amount, unit = m.group(1).lower().replace(" ", ""), (m.group(2) or "").lower()
        months: float
        if amount == "полгода":
            months = 6
        elif amount == "полторагода":
            months = 18
        elif amount == "год":
            months = 12
        else:
            word_n = _WORD_NUMS.get(amount)
            n = float(amount.replace(",", ".")) if word_n is None else word_n
            if unit.startswith("мес"):
                months = n
            elif unit.startswith("кв"):
                months = n * 3
            elif unit.startswith(("год", "лет")):
                months = n * 12
            else:
                return None
        q = Q.shift(deal, int(round(months / 3)))
        return q, f"через {m.group(1)} {m.group(2) or ''}".strip()
    year = _year_in(text, today)
    rel_year = None
    for pattern, plus in _REL_YEAR:
        if pattern.search(text):
            rel_year = today.year + plus
            break
    if year is None:
        year = rel_year
    if year is None:
        if re.search(r"(?:конц\w*|конец|концу)\s+(?:года|этого\s+года)", text, I):
            year = today.year
        else:
            return None
    for pattern, quarter in PARTS + SEASONS:
        if pattern.search(text):
            return (year, quarter), ""
    return (year, 4), ""


# ---------------------------------------------------------------- payments

_NOW = re.compile(
    r"(?<![а-яё])(?:сейчас|сразу|сегодня|при\s+(?:покупк|подписани|заключени|бронировани|сделк)\w*|на\s+старт\w*"
    r"|в\s+начал\w*|первы\w*\s+взнос\w*|аванс\w*|предоплат\w*|в\s+момент\s+сделки|в\s+этом\s+квартал\w*)",
    I,
)
_AT_READY = re.compile(
    r"при\s+(?:ввод|сдач|получени|готовност|передач)\w*|по\s+(?:ввод|готовност|сдач|окончани|завершени)\w*"
    r"|после\s+(?:ввод|сдач|постройк|окончани)\w*|на\s+ввод\w*|в\s+конц\w*|ключ\w*|в\s+момент\s+ввод\w*",
    I,
)
_REST = re.compile(r"остальн\w*|остат\w*|оставш\w*|остающ\w*", I)
_HALF = re.compile(r"половин\w*", I)
_SPLIT = re.compile(r"[,;]|\s(?:и|а|потом|затем)\s|\.(?=\s|$)", I)


def tranches_in_words(text: str, entities: List[dict], today: dt.date, readiness: Optional[str]
                      ) -> Tuple[Optional[Dict[str, float]], Optional[str]]:
    """«50% сейчас и 50% при вводе», «30% сейчас, остальное при сдаче», «половина сейчас,
    половина через год» → {quarter: percent}; (None, None) when the words are not a schedule."""
    deal = Q.quarter_of(today)
    pieces, start = [], 0
    for m in _SPLIT.finditer(text):
        pieces.append((start, m.start()))
        start = m.end()
    pieces.append((start, len(text)))
    parts: List[Tuple[Optional[float], Optional[Q.Quarter], str]] = []
    for a, b in pieces:
        part = text[a:b]
        if not part.strip():
            continue
        pcts = [e for e in entities if e.get("entity") == "percent" and a <= int(e.get("start", 0)) < b]
        quarters = [e for e in entities if e.get("entity") == "quarter" and a <= int(e.get("start", 0)) < b]
        share: Optional[float]
        if pcts:
            share = _number(pcts[0].get("value"))
        elif _REST.search(part):
            share = -1.0  # the rest, known once the others are read
        elif _HALF.search(part):
            share = 50.0
        else:
            continue
        when: Optional[Q.Quarter] = None
        if quarters:
            try:
                when = Q.parse_quarter(str(quarters[0].get("value")))
            except Exception:
                when = None
        elif _AT_READY.search(part):
            if readiness is None:
                return None, "Сначала нужен срок ввода: напишите квартал ввода, например «4 квартал 2027»."
            when = Q.parse_quarter(readiness)
        elif _NOW.search(part):
            when = deal
        else:
            rel = relative_quarter(part, today)
            when = rel[0] if rel else None
        parts.append((share, when, part.strip()))
    if not parts:
        return None, None
    if any(when is None for _, when, _ in parts):
        missing = next(p for _, when, p in parts if when is None)
        return None, (f"Не понял, когда платёж «{missing}». Напишите, например: «30 % сейчас, остальное при вводе» "
                      f"или «50 % {example_quarters(today, 1)[0]}, 50 % {example_quarters(today, 2)[1]}».")
    known = sum(s for s, _, _ in parts if s is not None and s >= 0)
    rests = [i for i, (s, _, _) in enumerate(parts) if s is not None and s < 0]
    if len(rests) > 1:
        return None, "«Остальное» можно написать только один раз. Напишите доли платежей, например: «30 % сейчас, 70 % при вводе»."
    schedule: Dict[str, float] = {}
    for share, when, _ in parts:
        value = (100.0 - known) if share is not None and share < 0 else float(share or 0)
        assert when is not None  # a payment without a date returned above
        label = Q.label(when)
        schedule[label] = schedule.get(label, 0.0) + value
    return schedule, None


def example_quarters(today: dt.date, n: int = 3) -> List[str]:
    """Future quarters for a payment example («1 кв 2027»), the first one the next quarter."""
    deal = Q.quarter_of(today)
    out = []
    for k in range(1, n + 1):
        year, quarter = Q.shift(deal, 2 * k - 1)
        out.append(f"{quarter} кв {year}")
    return out


def tranches_example(today: dt.date) -> str:
    q = example_quarters(today, 3)
    return f"«100 % сразу», «30 % сейчас, остальное при вводе» или «60 % {q[0]}, 20 % {q[1]}, 20 % {q[2]}»"
