"""Typed quantities for the NLU: numbers plus their units and context.

``extract_quantities(text)`` returns Rasa-style entity dicts
``{"entity", "value", "start", "end", "text"[, "role"]}`` for the entities of
the NLU catalogue (shared/domain/nlu-catalogue.md): ``area_m2``, ``money_rub``, ``percent``,
``duration_min`` (role ``walk``/``transport``), ``distance_m``, ``quarter``
(``NQYYYY``) and ``number`` for any other number.

Rules, in the order they are applied (tests pin each of them):

1. Quarters first, because they swallow two numbers: «3Q2027», «Q3 2027»,
   «3 кв 2027», «3-й квартал 2027 года», «третий квартал 2027», «IV квартал
   2027», «2 квартал 26 года» (two-digit years are 20YY).  Halves of a year
   name the quarter in which they end: «начало 2028» → 1Q2028, «середина
   2027» and «первая половина 2027» → 2Q2027, «конец 2027» and «вторая
   половина 2027» → 4Q2027.  A quarter without a year stays a plain number.
2. A unit right after the number decides: % / процент → percent; м², м2,
   кв. м, квадрат(ов), квадратных метров → area; км, километр → distance
   (×1000); ₽, руб, р. → money (т.р. = ×1000); мин/минут → duration, час → ×60.
   A unit right before it works too: «метров на семьсот», «минут десять».
3. Bare «метр(ов)/м» is area or distance by context: «до»/«от»/«пешком» right
   after it, «в … метрах», or a distance word in the clause (метро, станция,
   пешком, радиус, расстояние, ходьбы) make it distance, unless the clause
   speaks of area (площадь, офис, помещение, квадрат…) *before* the number;
   with no cue at all it is area, the bot's usual question.
   «офис 700 метров» → area; «500 метров до метро» → distance.
4. No unit: «площадь(ю) [от|до|около] N» → area; «бюджет/цена/стоимость/стоит/
   ставка N» → money; a number with a money multiplier («500 тысяч», «3,5 млн»,
   «500к», «полтора ляма») → money.
5. A number without a unit followed by «-»/«до»/«или» and a number with one
   shares its unit: «от 500 до 700 м²», «5-7 минут пешком».
6. Anything else is ``number``.

Duration role: the words after the unit up to the next number or clause end,
then the words before the number: пешком/ходьбы/пешая → walk; на машине/авто/
такси/транспорте/метро, езды, ехать → transport; default walk («7 мин до метро»).

Spans cover the number and its unit, snapped outwards to the tokens of Rasa's
WhitespaceTokenizer, so an annotation always starts and ends on a token.  That
tokenizer drops some symbols (₽, %, the ² of м²), so «5%» is annotated as «5»
and «700 м²» as «700 м»; a unit glued to the number is one token and is kept
whole («45м2», «500к», «3-комнатная»).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from fractions import Fraction

from wewall.nlu.numbers import NumberMatch, extract_numbers

try:  # Rasa's own tokenizer uses `regex`; mirror it when it is there.
    import regex as _rx
except ImportError:  # pragma: no cover - `regex` comes with rasa
    _rx = re

__all__ = ["extract_quantities", "rasa_token_spans"]

I = re.IGNORECASE  # noqa: E741 (re.I's own name)
_YO = str.maketrans("ёЁ", "еЕ")
_W = "[а-яёa-z]"          # a letter, for word ends
_END = rf"(?!{_W})"        # the unit word ends here
_CLAUSE_BREAK = re.compile(r"[,;!?\n]|\.(?=\s|$)|\s[-–—]\s")

# --------------------------------------------------------------------------
# Units after the number.  Each: (entity, pattern, factor).  Order matters:
# «кв. м» before «кв», «км» before «м».
# --------------------------------------------------------------------------
UNITS_AFTER: list[tuple[str, re.Pattern, int]] = [
    ("percent", re.compile(rf"\s*(?:%|процент{_W}*|проц\.?{_END})", I), 1),
    ("area_m2", re.compile(
        rf"\s*(?:[мm](?:2|²)(?![0-9])|кв\.?\s*(?:м|метр{_W}*)\.?{_END}|квм{_END}"
        rf"|квадратн{_W}*\s+(?:м|метр{_W}*){_END}\.?|квадрат{_W}*"
        rf"|метр{_W}*\s+квадратн{_W}*)", I), 1),
    # A bare «кв» is area after «300», but a quarter without its year after «4».
    ("bare_kv", re.compile(rf"\s*кв\.?{_END}(?!\s*[0-9])", I), 1),
    ("distance_m", re.compile(rf"\s*(?:км{_END}\.?|километр{_W}*)", I), 1000),
    ("money_rub", re.compile(rf"\s*т\.?\s?р\.?{_END}", I), 1000),
    # «\.?» first: the number may end in an abbreviation, «45 тыс. руб.»
    ("money_rub", re.compile(rf"\.?\s*(?:₽|руб(?:{_W}*|\.)|р\.|р{_END}|rub{_END})", I), 1),
    ("duration_min", re.compile(rf"\s*(?:мин(?:ут{_W}*|уточ{_W}*)?{_END}\.?)", I), 1),
    ("duration_min", re.compile(rf"\s*(?:час(?:а|ов|ик{_W}*)?{_END}|ч\.)", I), 60),
    ("metres", re.compile(rf"\s*(?:метр{_W}*|[мm]{_END}(?![²³0-9])\.?)", I), 1),
]
# Units before the number: «метров на семьсот», «минут десять».
UNITS_BEFORE: list[tuple[str, re.Pattern, int]] = [
    ("area_m2", re.compile(rf"(?<!за )(?<!{_W})(?:квадрат{_W}*|квадратных\s+метров|кв\.?\s*м\.?)"
                           rf"\s+(?:на\s+|так\s+|где-?то\s+|около\s+)?$", I), 1),
    ("duration_min", re.compile(rf"(?<!{_W})минут{_W}*\s+(?:на\s+|за\s+|так\s+|через\s+)?$", I), 1),
    # «метров на семьсот», but not «цена за метр 300 тысяч» (a price per metre).
    ("metres", re.compile(rf"(?<!{_W})(?<!за )метр(?:ов|а){_END}"
                          rf"\s+(?:на\s+|так\s+|где-?то\s+|около\s+)?$", I), 1),
] + [
    # «тысяч 400», «миллионов 38», «тысяч за 350»: the multiplier said first, colloquially, means the same sum.
    ("money_rub", re.compile(rf"(?<![0-9]\s)(?<![0-9])(?<!{_W}){word}\s+(?:так\s+|где-?то\s+|около\s+|на\s+|за\s+)?$", I), factor)
    for word, factor in ((r"(?:тысяч|тыщ|тыс\.?)", 1000), (r"(?:миллионов|млн\.?|лямов)", 10**6))
]

# --------------------------------------------------------------------------
# Context words.
# --------------------------------------------------------------------------
# What may stand between a cue word and its number: «площадь: от 700».
_LEAD = (r"(?:\s*[:—–-]\s*|\s+)(?:от\s+|до\s+|около\s+|примерно\s+|порядка\s+"
         r"|не\s+(?:более|больше|менее|меньше)\s+|в\s+|где-?то\s+|~\s*)?$")
AREA_BEFORE = re.compile(rf"(?<!{_W})(?:площад{_W}*|метраж{_W}*){_LEAD}", I)
_PER_UNIT = rf"за\s+(?:кв\.?\s*(?:м{_END}\.?|метр{_W}*)|метр{_W}*|м2|м²|квадрат{_W}*|сотк{_W}*)"
MONEY_BEFORE = re.compile(
    rf"(?<!{_W})(?:(?:бюджет{_W}*|цен{_W}*|стоимост{_W}*|стои(?:т|ят)|ставк{_W}*|"
    rf"арендн{_W}*\s+плат{_W}*|оплат{_W}*|платеж{_W}*|доход{_W}*)(?:\s+{_PER_UNIT})?"
    rf"|{_PER_UNIT}){_LEAD}", I)
MONEY_MULTIPLIER = re.compile(r"тыс|тыщ|млн|миллион|млрд|миллиард|лям|лимон|[0-9][кk]$", I)

DISTANCE_AFTER = re.compile(rf"\s*(?:до|от){_END}|\s*пешк{_W}*|\s*ходьб{_W}*", I)
# «100 метров до 3000 за метр»: «до» starts a budget, not «до метро»
LIMIT_AFTER = re.compile(r"\s*(?:до|от)\s*\d")
AREA_AFTER = re.compile(rf"\s*(?:площад{_W}*|квадрат{_W}*)", I)
DISTANCE_WORDS = re.compile(
    rf"(?<!{_W})(?:метро{_END}|станци{_W}*|пешк{_W}*|ходьб{_W}*|радиус{_W}*|расстояни{_W}*|"
    rf"удален{_W}*|идти|дойти|близко|далеко)", I)
AREA_WORDS = re.compile(
    rf"(?<!{_W})(?:площад{_W}*|офис{_W}*|помещени{_W}*|кабинет{_W}*|зал{_W}*|"
    rf"квадрат{_W}*|метраж{_W}*|псн|склад{_W}*|магазин{_W}*)", I)

WALK_WORDS = re.compile(rf"(?<!{_W})(?:пешк{_W}*|ходьб{_W}*|пеш{_W}*|ногами|прогулк{_W}*)", I)
TRANSPORT_WORDS = re.compile(
    rf"(?<!{_W})(?:на\s+(?:машин{_W}*|авто{_W}*|транспорт{_W}*|такси|автобус{_W}*|метро|"
    rf"трамва{_W}*|троллейбус{_W}*|электричк{_W}*|мцк|мцд|каршеринг{_W}*|колес{_W}*|маршрутк{_W}*|электробус{_W}*)|"
    rf"езд{_W}*|ехать|доехать|транспорт{_W}*|общественн{_W}*)", I)

# «5 минут пешком», «10 минут на машине»: the way of getting there is part of the answer, so
# the span takes it in (the annotations of the training data do the same).
MODE_AFTER = re.compile(
    rf"\s+(?:пешком|пешочком|ходьбы|ходу|езды|на\s+(?:общественном\s+)?(?:машин{_W}*|авто{_W}*|"
    rf"транспорт{_W}*|такси|автобус{_W}*|метро|каршеринг{_W}*|маршрутк{_W}*|трамва{_W}*|троллейбус{_W}*)){_END}", I)

RANGE_LINK = re.compile(r"\s*(?:-|–|—|до|или|и)\s*$", I)

# --------------------------------------------------------------------------
# Quarters.
# --------------------------------------------------------------------------
_YEAR_TAIL = rf"(?:\s*-?(?:го|й|ом){_END})?(?:\s*(?:года|году|год|гг?\.?){_END})?"
QUARTER_WORD = re.compile(
    rf"\s*(?:-?(?:ы?й|ий|ого|го|ом|ем|м){_END})?\s*(?:квартал{_W}*|кв{_END})\.?\s*", I)
QUARTER_COMPACT = re.compile(
    rf"(?<![0-9a-zа-я])(?:([1-4])\s*q\s*'?\s*((?:19|20)[0-9]{{2}}|[0-9]{{2}})"
    rf"|q\s*([1-4])\s*['/-]?\s*((?:19|20)[0-9]{{2}}|[0-9]{{2}})){_YEAR_TAIL}(?![0-9])", I)
QUARTER_ROMAN = re.compile(
    rf"(?<![a-zа-я])(iv|i{{1,3}})\s*(?:-?(?:ы?й|ий|го|м){_END})?\s*(?:квартал{_W}*|кв{_END})\.?\s*", I)
PERIOD_WORDS: list[tuple[re.Pattern, int]] = [
    (re.compile(rf"(?<!{_W})(?:конц{_W}*|конец|финал{_W}*){_END}\s*$", I), 4),
    (re.compile(rf"(?<!{_W})втор{_W}*\s+половин{_W}*\s*$", I), 4),
    (re.compile(rf"(?<!{_W})перв{_W}*\s+половин{_W}*\s*$", I), 2),
    (re.compile(rf"(?<!{_W})середин{_W}*\s*$", I), 2),
    (re.compile(rf"(?<!{_W})начал{_W}*\s*$", I), 1),
]
YEAR_TAIL = re.compile(_YEAR_TAIL, I)
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def _year(number: NumberMatch) -> int | None:
    value = number.value
    if not isinstance(value, int):
        return None
    if 1900 <= value <= 2100:
        return value
    if 0 <= value <= 99:
        return 2000 + value
    return None


def _entity(entity: str, value, start: int, end: int, role: str | None = None) -> dict:
    item = {"entity": entity, "value": value, "start": start, "end": end}
    if role:
        item["role"] = role
    return item


def _scale(value: int | float, factor: int) -> int | float:
    # Via Fraction(str) so 1,2 км is exactly 1200, not 1200.0000000000002.
    exact = Fraction(str(value)) * factor
    return int(exact) if exact.denominator == 1 else float(exact)


class _Sentence:
    """The text, its numbers and which of them are already spoken for."""

    def __init__(self, text: str):
        # Context patterns are written with «е»; folding keeps every offset.
        self.text = text.translate(_YO)
        self.numbers = extract_numbers(text)
        self.by_start = {n.start: i for i, n in enumerate(self.numbers)}
        self.starts = [n.start for n in self.numbers]
        self.used: set[int] = set()
        self.entities: list[dict] = []

    def number_at(self, position: int) -> int | None:
        """Index of the number starting at ``position`` (after spaces)."""
        while position < len(self.text) and self.text[position] in " \u00a0\t":
            position += 1
        return self.by_start.get(position)

    def clause_before(self, index: int, limit: int = 60) -> str:
        start = self.numbers[index].start
        previous_end = self.numbers[index - 1].end if index else 0
        window = self.text[max(previous_end, start - limit):start]
        breaks = list(_CLAUSE_BREAK.finditer(window))
        return window[breaks[-1].end():] if breaks else window

    def clause_after(self, index: int, position: int, limit: int = 60) -> str:
        next_start = self.numbers[index + 1].start if index + 1 < len(self.numbers) else len(self.text)
        window = self.text[position:min(next_start, position + limit)]
        found = _CLAUSE_BREAK.search(window)
        return window[:found.start()] if found else window


# --------------------------------------------------------------------------
# Passes.
# --------------------------------------------------------------------------

def _quarters(s: _Sentence) -> None:
    text = s.text
    for match in QUARTER_COMPACT.finditer(text):
        quarter = int(match.group(1) or match.group(3))
        year_text = match.group(2) or match.group(4)
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        _claim_quarter(s, quarter, year, match.start(), match.end())
    for match in QUARTER_ROMAN.finditer(text):
        index = s.number_at(match.end())
        if index is not None:
            _quarter_with_year(s, ROMAN[match.group(1).lower()], match.start(), index)
    for index, number in enumerate(s.numbers):
        if index in s.used:
            continue
        word = QUARTER_WORD.match(text, number.end)
        if word and number.value in (1, 2, 3, 4):
            year_index = s.number_at(word.end())
            if year_index is not None and year_index != index:
                _quarter_with_year(s, int(number.value), number.start, year_index)
                continue
        for pattern, quarter in PERIOD_WORDS:
            period = pattern.search(text, max(0, number.start - 40), number.start)
            if period and _year(number) and number.value >= 1900:
                _quarter_with_year(s, quarter, period.start(), index)
                break


def _quarter_with_year(s: _Sentence, quarter: int, start: int, year_index: int) -> None:
    year_number = s.numbers[year_index]
    year = _year(year_number)
    if year is None or year_index in s.used:
        return
    tail = YEAR_TAIL.match(s.text, year_number.end)
    _claim_quarter(s, quarter, year, start, tail.end() if tail else year_number.end)


def _claim_quarter(s: _Sentence, quarter: int, year: int, start: int, end: int) -> None:
    first = max(bisect_right(s.starts, start) - 1, 0)
    inside = []
    for i in range(first, len(s.numbers)):
        if s.numbers[i].start >= end:
            break
        if s.numbers[i].end > start:
            inside.append(i)
    if any(i in s.used for i in inside):
        return
    s.used.update(inside)
    s.entities.append(_entity("quarter", f"{quarter}Q{year}", start, end))


def _metres_kind(s: _Sentence, index: int, unit: re.Match) -> str:
    after = s.clause_after(index, unit.end())
    before = s.clause_before(index)
    if (DISTANCE_AFTER.match(after) and not LIMIT_AFTER.match(s.text, unit.end())) or re.search(r"метрах", unit.group(0), I):
        return "distance_m"
    if AREA_AFTER.match(after) or AREA_WORDS.search(before):
        return "area_m2"
    if DISTANCE_WORDS.search(before) or DISTANCE_WORDS.search(after):
        return "distance_m"
    return "area_m2"


def _duration_role(s: _Sentence, index: int, end: int) -> str:
    after = s.clause_after(index, end)
    before = s.clause_before(index)
    for window in (after, before):
        walk, transport = WALK_WORDS.search(window), TRANSPORT_WORDS.search(window)
        if walk and (not transport or walk.start() < transport.start()):
            return "walk"
        if transport:
            return "transport"
    return "walk"


def _unit(s: _Sentence, index: int) -> tuple[str, int, int, int, str | None] | None:
    """(entity, factor, start, end, role) from a unit after or before the number."""
    number, text = s.numbers[index], s.text
    for entity, pattern, factor in UNITS_AFTER:
        unit = pattern.match(text, number.end)
        if not unit or unit.end() == number.end:
            continue
        if entity == "bare_kv":
            if number.value in (1, 2, 3, 4):
                continue
            entity = "area_m2"
        if entity == "metres":
            entity = _metres_kind(s, index, unit)
        end = unit.end()
        role = None
        if entity == "duration_min":
            role = _duration_role(s, index, end)
            mode = MODE_AFTER.match(text, end)
            end = mode.end() if mode else end
        return entity, factor, number.start, end, role
    previous_end = s.numbers[index - 1].end if index else 0
    window_start = max(previous_end, number.start - 40)
    for entity, pattern, factor in UNITS_BEFORE:
        unit = pattern.search(text, window_start, number.start)
        if not unit:
            continue
        if entity == "metres":
            around = s.clause_before(index) + " " + s.clause_after(index, number.end)
            entity = "distance_m" if DISTANCE_WORDS.search(around) else "area_m2"
        role = _duration_role(s, index, number.end) if entity == "duration_min" else None
        return entity, factor, unit.start(), number.end, role
    return None


# «3000 за метр», «3000 руб/м2»: a bare number priced per square metre is money
PER_M2_AFTER = re.compile(
    rf"\s*(?:₽|р\.|руб{_W}*\.?)?\s*(?:за|/)\s*(?:кв\.?\s*)?(?:м2|м²|метр{_W}*|квадрат{_W}*|кв\.?\s*м{_END}|m2)", I)


def _context(s: _Sentence, index: int) -> str | None:
    number = s.numbers[index]
    before = s.text[max(0, number.start - 40):number.start]
    if AREA_BEFORE.search(before):
        return "area_m2"
    if MONEY_BEFORE.search(before) or MONEY_MULTIPLIER.search(number.text) or PER_M2_AFTER.match(s.text, number.end):
        return "money_rub"
    return None


_MULTIPLIER_WORD = [
    (re.compile(r"(?:млрд|миллиард)", I), 10**9),
    (re.compile(r"(?:млн|миллион|лям|лимон)", I), 10**6),
    (re.compile(r"(?:тыс|тыщ|[0-9][кk]$)", I), 1000),
]


def _shared_multiplier(upper: NumberMatch, lower: NumberMatch) -> int:
    if MONEY_MULTIPLIER.search(lower.text) or lower.value >= 1000:
        return 1
    for pattern, factor in _MULTIPLIER_WORD:
        if pattern.search(upper.text):
            return factor
    return 1


def _classify(s: _Sentence) -> None:
    decided: dict[int, tuple] = {}
    # Right to left, so «от 500 до 700 м²» knows the unit of 700 when it reads 500.
    for index in reversed(range(len(s.numbers))):
        if index in s.used:
            continue
        number = s.numbers[index]
        unit = _unit(s, index)
        if unit is None:
            following = decided.get(index + 1)
            link = s.text[number.end:s.numbers[index + 1].start] if following else ""
            if following and RANGE_LINK.match(link) and following[0] != "number":
                entity, factor, _, _, role = following
                # «от 300 до 500 тысяч»: the multiplier belongs to both ends.
                factor *= _shared_multiplier(s.numbers[index + 1], number)
                unit = (entity, factor, number.start, number.end, role)
        if unit is None:
            entity = _context(s, index) or "number"
            unit = (entity, 1, number.start, number.end, None)
        decided[index] = unit
        entity, factor, start, end, role = unit
        s.entities.append(_entity(entity, _scale(number.value, factor), start, end, role))


# --------------------------------------------------------------------------
# Token alignment, as Rasa's WhitespaceTokenizer sees the text.
# --------------------------------------------------------------------------

_RASA_DROP = _rx.compile(
    r"[^\w#@&]+(?=\s|$)|"
    r"(\s|^)[^\w#@&]+(?=[^0-9\s])|"
    r"(?<=[^0-9\s])[^\w._~:/?#\[\]()@!$&*+,;=-]+(?=[^0-9\s])"
)


def rasa_token_spans(text: str) -> list[tuple[int, int]]:
    """Token (start, end) pairs of rasa.nlu WhitespaceTokenizer, without rasa.

    Same regex and the same word-finding loop as rasa 3.6; emoji-only tokens,
    which Rasa also drops, cannot border a number and are kept here.
    """
    spans, offset = [], 0
    for word in _RASA_DROP.sub(" ", text).split():
        start = text.find(word, offset)
        if start < 0:  # pragma: no cover - words are substrings by construction
            continue
        offset = start + len(word)
        spans.append((start, offset))
    return spans


def _snap(spans: list[tuple[int, int]], starts: list[int], start: int, end: int
          ) -> tuple[int, int] | None:
    """Widen [start, end) to the tokens it touches; None if it touches none."""
    first = max(bisect_right(starts, start) - 1, 0)
    inside = []
    for index in range(first, len(spans)):
        a, b = spans[index]
        if a >= end:
            break
        if b > start:
            inside.append((a, b))
    if not inside:
        return None
    return inside[0][0], inside[-1][1]


def extract_quantities(text: str | None) -> list[dict]:
    """Typed quantity entities in ``text``, in text order; [] for none."""
    if not text:
        return []
    s = _Sentence(text)
    if not s.numbers and not QUARTER_COMPACT.search(text):
        return []
    _quarters(s)
    _classify(s)
    spans = rasa_token_spans(text)
    starts = [a for a, _ in spans]
    result: list[dict] = []
    for item in sorted(s.entities, key=lambda e: e["start"]):
        snapped = _snap(spans, starts, item["start"], item["end"])
        if snapped is None:
            continue
        item["start"], item["end"] = snapped
        item["text"] = text[item["start"]:item["end"]]
        if result and item["start"] < result[-1]["end"]:
            # «5-7 минут» is one Rasa token, so both ends of the range cannot
            # be annotated: keep the one that carries the unit (the wider span;
            # on a tie the later, upper end).
            if item["end"] - item["start"] >= result[-1]["end"] - result[-1]["start"]:
                result[-1] = item
            continue
        result.append(item)
    return result

