"""The «Оценка доходности» dialogue, apart from Rasa: which question comes next, how an answer
is understood, checked and corrected, and what the summary says.

Actions in `actions/calculation.py` only move data between the tracker and these functions,
so every rule here is tested without a server. Slots hold values already normalised for the
finance model (`wewall.calculator`), under `calc_` and the model's input name (`INPUT_OF`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from wewall.calculator import quarters as Q
from wewall.dialogue import calc_words as W
from wewall.dialogue.answers import close_reading
from wewall.geo import MODE_NAMES, minutes_to_m, transport_mode
from wewall.text import agree, finite, num
from wewall.vocabulary import KIND_NAMES, REPAIRS_NAMES, REPAIRS_OF_FINISH

KIND = "calc_kind"
CONFIRMED = "calc_confirmed"
REMAINING = "calc_remaining"
DOUBT = "calc_doubt"
# The form's slots: `calc_` and the finance model's input name (`INPUT_OF`), so no slot shares its
# name with an entity («area_m2» is what the NLU read, «calc_area_m2» what the form holds).
AREA = "calc_area_m2"
PRICE = "calc_price_per_m2"
CLASS = "calc_estate_class"
STATION = "calc_metro_station"
DISTANCE = "calc_distance_to_metro_m"
REPAIRS = "calc_repairs"
VAT = "calc_nds_rate"
RENT = "calc_monthly_rent_rub"
READY_PRICE = "calc_sale_price_per_m2_ready"
READINESS = "calc_readiness_quarter"
TRANCHES = "calc_tranches"

KIND_SLOTS: Dict[str, List[str]] = {
    "finished_office": [AREA, PRICE, CLASS, STATION, DISTANCE, REPAIRS, VAT],
    "building_office": [
        AREA, PRICE, CLASS, STATION, DISTANCE, REPAIRS, VAT,
        READINESS, TRANCHES,
    ],
    # Retail asks the station too: its cadastral value and the analogs after the result need it.
    "finished_retail": [AREA, PRICE, STATION, RENT, REPAIRS, VAT],
    "building_retail": [
        AREA, PRICE, STATION, RENT, READY_PRICE, REPAIRS, VAT,
        READINESS, TRANCHES,
    ],
}
# The finance model's input (wewall.calculator.inputs) each value slot fills.
INPUT_OF = {slot: ("readiness" if slot == READINESS else slot[len("calc_"):])
            for slot in (AREA, PRICE, CLASS, STATION, DISTANCE, REPAIRS, VAT, RENT, READY_PRICE, READINESS, TRANCHES)}
# Every slot the form may ask, in the order of the domain's `required_slots`.
ALL_SLOTS = [KIND] + list(dict.fromkeys(s for slots in KIND_SLOTS.values() for s in slots)) + [CONFIRMED]
VALUE_SLOTS = [s for s in ALL_SLOTS if s not in (KIND, CONFIRMED)]

# Answers that are not answers: left to the rules (a step back, cancel, questions, menu, hand-over)
# unless they carry values. The form rejects them first; Rasa then applies the unhappy-path rules.
INTERRUPTIONS = {
    "go_back", "cancel",
    "faq", "show_faq", "help", "about", "request_manager", "out_of_scope", "greet", "thank", "goodbye",
    "request_search", "request_analogs", "start",
}

# Values outside these bounds are questioned once, then accepted if the client insists.
PLAUSIBLE = {
    AREA: (10, 100_000),
    PRICE: (20_000, 5_000_000),
    READY_PRICE: (20_000, 5_000_000),
    RENT: (10_000, 200_000_000),
    DISTANCE: (0, 5_000),
}
NDS_RATES = (0, 5, 7, 20)
NAMES = {
    AREA: "площадь",
    PRICE: "цена за м²",
    CLASS: "класс здания",
    STATION: "станция метро",
    DISTANCE: "расстояние до метро",
    REPAIRS: "ремонт до сдачи в аренду",
    VAT: "НДС",
    RENT: "аренда",  # its value says «… ₽ в месяц»
    READY_PRICE: "цена готового м²",
    READINESS: "срок ввода",
    TRANCHES: "график платежей",
    KIND: "тип объекта",
}


# ---------------------------------------------------------------- the order of questions


def required_slots(slots: Dict[str, Any]) -> List[str]:
    """The questions of this conversation, in order; the kind first until it is known.

    VAT 20 % ends the questions: that case goes to a manager, not to the model.
    """
    kind = slots.get(KIND)
    if kind not in KIND_SLOTS:
        return [KIND]
    order = [KIND] + KIND_SLOTS[kind]
    if slots.get(VAT) == 20:
        return order[: order.index(VAT) + 1]
    return order + [CONFIRMED]


def next_slot(slots: Dict[str, Any]) -> Optional[str]:
    return next((s for s in required_slots(slots) if slots.get(s) is None), None)


def remaining_questions(slots: Dict[str, Any]) -> int:
    """Questions still to answer, the confirmation not counted."""
    return sum(1 for s in required_slots(slots) if s != CONFIRMED and slots.get(s) is None)



def remaining_phrase(slots: Dict[str, Any]) -> str:
    if slots.get(KIND) not in KIND_SLOTS:
        return ""  # the count depends on the kind, still unknown
    n = remaining_questions(slots)
    if n <= 1:
        return "(последний вопрос)" if n == 1 else ""
    return f"(осталось {n} {agree(n, 'вопрос')})"


def previous_slot(slots: Dict[str, Any], requested: Optional[str]) -> Optional[str]:
    """The question before `requested` (or the last answered one at the confirmation)."""
    order = required_slots(slots)
    if requested in order:
        before = order[: order.index(requested)]
    else:
        before = order
    answered = [s for s in before if s != CONFIRMED and slots.get(s) is not None]
    return answered[-1] if answered else None


# ---------------------------------------------------------------- understanding answers


@dataclass
class Turn:
    """What the client said this turn, as the NLU understood it."""

    intent: Optional[str]
    entities: List[dict]
    text: str

    def values(self, entity: str, role: Optional[str] = None) -> List[Any]:
        return [
            e.get("value") for e in self.entities
            if e.get("entity") == entity and (role is None or e.get("role") == role)
        ]

    def last(self, entity: str) -> Optional[dict]:
        found = [e for e in self.entities if e.get("entity") == entity]
        return found[-1] if found else None


@dataclass
class Outcome:
    """Slots to set and what to tell the client about them."""

    slots: Dict[str, Any] = field(default_factory=dict)
    messages: List[str] = field(default_factory=list)
    buttons: List[dict] = field(default_factory=list)
    doubt: Optional[dict] = None
    understood: bool = False


def _number(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return finite(value)  # NaN, 1e309, 400 digits from a payload: not a number (issue #22)
    try:
        return finite(float(str(value).replace(" ", "").replace(",", ".")))
    except (TypeError, ValueError, OverflowError):
        return None


_LUMP_SUM = re.compile(r"сразу|единовремен|одним\s+платеж|целиком|100\s*%?\s*(сразу)?$|полностью", re.I)
_STATION_PREFIX = re.compile(r"^\s*(ст\.?\s*м\.?|м\.|метро|станция|станции|у|на|возле|около|рядом\s+с)\s+", re.I)
_CLASS_LETTER = re.compile(r"^\s*[«\"']?\s*([aаbбвAАBБВ])\s*[»\"']?\s*\.?\s*$")


def kind_from(turn: Turn) -> Optional[str]:
    """office/retail × ready/building from the catalogue entities of one message."""
    types = [v for v in turn.values("estate_type") if v in ("office", "retail")]
    ready = [v for v in turn.values("readiness") if v in ("ready", "building")]
    kinds = [v for v in turn.values(KIND) if v in KIND_SLOTS]
    if kinds:
        return kinds[-1]
    if types and ready:
        return ("finished_" if ready[-1] == "ready" else "building_") + types[-1]
    return None


def _words(turn: Turn) -> str:
    """The text to read words from: a button's payload («/inform{…}») has none."""
    return "" if turn.text.lstrip().startswith("/") else turn.text


def _minutes(value: float, mode: str) -> Tuple[float, str]:
    return minutes_to_m(value, mode), f"{num(value)} мин {MODE_NAMES[mode]}"


def _distance(turn: Turn, bare_ok: bool) -> Optional[Tuple[float, str]]:
    """Metres to the metro, and how the client said it; each way of getting there has its speed."""
    named = transport_mode(_words(turn))
    for ent in reversed(turn.entities):
        name, value = ent.get("entity"), _number(ent.get("value"))
        if value is None:
            continue
        if name == "duration_min":
            mode = named or ("transport" if ent.get("role") == "transport" else "walk")
            return _minutes(value, mode)
        if name == "distance_m":
            return value, f"{num(value)} м"
    if bare_ok:
        value = _bare_number(turn)
        if value is not None:
            # Nobody walks 60+ minutes to the metro, and nobody counts 60 metres: so the unit is clear.
            if value <= 60:
                return _minutes(value, named or "walk")
            return value, f"{num(value)} м"
    return None


def _bare_number(turn: Turn) -> Optional[float]:
    for name in ("number", "area_m2", "money_rub", "percent"):
        values = [_number(v) for v in turn.values(name)]
        values = [v for v in values if v is not None]
        if values:
            return values[-1]
    return None


@dataclass
class Priced:
    """A sum read for a money slot: its value for the slot, or a question, or a total kept
    until the area is known."""

    value: Optional[float] = None
    said: str = ""
    note: Optional[str] = None  # how it was converted, told to the client
    ask: Optional[dict] = None  # the question «за всё или за м²?» as a doubt
    pending: Optional[dict] = None  # a total waiting for the area


BASIS_BUTTONS = {
    "price": [("За всё помещение", "за всё помещение"), ("За 1 м²", "за 1 м²")],
    "rent": [("За 1 м² в месяц", "за 1 м² в месяц"), ("За всё помещение в месяц", "за всё помещение в месяц")],
}


def basis_buttons(slot: str) -> List[dict]:
    kind = "rent" if slot == RENT else "price"
    return [{"title": t, "payload": p} for t, p in BASIS_BUTTONS[kind]]


def basis_question(slot: str, raw: float) -> str:
    money = _short_money(raw)
    if slot == RENT:
        return f"{money} — это за 1 м² в месяц или за всё помещение в месяц?"
    return f"{money} — это за всё помещение или за м²?"


def _short_money(value: float) -> str:
    if value >= 1_000_000 and value % 100_000 == 0:
        return f"{num(value / 1_000_000)} млн ₽"
    if value >= 10_000 and value % 1_000 == 0:
        return f"{num(value / 1000)} тыс ₽"
    return f"{num(value, 0)} ₽"


def price_value(slot: str, raw: float, basis: Optional[str], period: Optional[str], area: Optional[float],
                force: bool = False) -> Priced:
    """A sum for `slot` as the slot holds it: ₽/м² for prices, ₽ a month for the whole unit for
    the rent. A total is divided by the area, a rent per m² multiplied; when the words and the
    magnitude disagree (or say nothing and both readings fit) the client is asked once."""
    if slot == RENT:
        return _rent_value(raw, basis, period, area, force)
    lo, hi = PLAUSIBLE[slot]
    per_ok = lo <= raw <= hi
    tot_ok = area is not None and area > 0 and lo <= raw / area <= hi
    ask = Priced(ask={"slot": slot, "raw": raw, "period": period, "ask": "basis"})

    def per() -> Priced:
        return Priced(raw, f"{num(raw, 0)} ₽")

    def total() -> Priced:
        assert area is not None  # called only once the area is known
        value = round(raw / area)
        return Priced(value, f"{num(value, 0)} ₽", f"{_short_money(raw)} за всё помещение — это {num(value, 0)} ₽ за м².")

    if basis == "per_m2":
        return per() if force or per_ok or not tot_ok else ask
    if basis == "total":
        if area is None:
            return Priced(pending={"slot": slot, "raw": raw, "period": period, "basis": "total", "pending": True})
        return total() if force or tot_ok or not per_ok else ask
    if area is None:
        if raw > hi:  # only a whole unit costs that much
            return Priced(pending={"slot": slot, "raw": raw, "period": period, "basis": "total", "pending": True})
        return per()
    if per_ok and not tot_ok:
        return per()
    if tot_ok and not per_ok:
        return total()
    if per_ok and tot_ok:
        return ask
    return per()  # neither fits: the implausible-value question follows


def _rent_value(raw: float, basis: Optional[str], period: Optional[str], area: Optional[float], force: bool) -> Priced:
    lo, hi = PLAUSIBLE[RENT]
    if basis == "per_m2":
        if area is None:
            return Priced(pending={"slot": RENT, "raw": raw, "period": period, "basis": "per_m2", "pending": True})
        month = period == "month" or (period is None and raw <= W.RENT_PER_M2_MONTH_MAX)
        value: float = round(raw * area if month else raw * area / 12)
        unit = "в месяц" if month else "в год"
        return Priced(value, f"{num(value, 0)} ₽ в месяц",
                      f"{num(raw, 0)} ₽ за м² {unit} × {num(area)} м² — это {num(value, 0)} ₽ в месяц за всё помещение.")
    value = round(raw / 12) if period == "year" else raw
    note = f"{_short_money(raw)} в год — это {num(value, 0)} ₽ в месяц." if period == "year" else None
    if basis is None and not force and area and value < lo and lo <= raw * area <= hi:
        return Priced(ask={"slot": RENT, "raw": raw, "period": period, "ask": "basis"})
    return Priced(value, f"{num(value, 0)} ₽ в месяц", note)


_PAYMENT_WORDS = re.compile(r"оплат\w*|плат[её]ж\w*|плат(?:им|ите|ят|ит)|плачу|транш\w*|рассрочк\w*|взнос\w*|график\w*", re.I)


def parse_tranches(turn: Turn, deal: Q.Quarter, readiness: Optional[str] = None, today: Optional[dt.date] = None
                   ) -> Tuple[Optional[Dict[str, float]], Optional[str]]:
    """`{quarter: percent}` from «60 % 1 кв 2026, 40 % 3 кв 2026», «сразу» → all in the deal
    quarter, and schedules in words: «50% сейчас и 50% при вводе», «30% сейчас, остальное при сдаче».

    Each percent goes with the quarter written next to it (after it, or before it).
    """
    today = today or dt.date(deal[0], deal[1] * 3 - 2, 1)
    words = _words(turn)
    percents = [e for e in turn.entities if e.get("entity") == "percent"]
    quarters = [e for e in turn.entities if e.get("entity") == "quarter"]
    in_words = bool(W._AT_READY.search(words) or W._REST.search(words) or W._HALF.search(words))
    if not percents and not in_words and (_LUMP_SUM.search(words) or turn.intent == "affirm"):
        return {Q.label(deal): 100.0}, None
    if len(percents) == 1 and not quarters and _number(percents[0].get("value")) == 100 and not W._AT_READY.search(words):
        return {Q.label(deal): 100.0}, None
    if not percents and not in_words:
        return None, None
    if in_words or len(quarters) != len(percents) or W._NOW.search(words):
        schedule, problem = W.tranches_in_words(words, turn.entities, today, readiness)
        if problem or schedule is None:
            return None, problem or (
                "Не смог сопоставить доли и сроки. Напишите каждый платёж как «доля — когда», например: "
                + W.tranches_example(today) + "."
            )
    else:
        pairs = sorted(percents + quarters, key=lambda e: e.get("start", 0))
        schedule = {}
        first_is_percent = pairs[0].get("entity") == "percent"
        for i in range(0, len(pairs) - 1, 2):
            a, b = pairs[i], pairs[i + 1]
            pct, qtr = (a, b) if first_is_percent else (b, a)
            if pct.get("entity") != "percent" or qtr.get("entity") != "quarter":
                return None, "Не смог сопоставить доли и кварталы: напишите, например, " + W.tranches_example(today) + "."
            label = str(qtr.get("value")).upper()
            schedule[label] = schedule.get(label, 0.0) + float(_number(pct.get("value")) or 0)
    total = sum(schedule.values())
    if abs(total - 100) > 1e-6:
        return None, f"Сумма траншей {num(total)} %, а должна быть 100 %. Напишите график платежей ещё раз."
    for label in schedule:
        q = Q.parse_quarter(label)
        if Q.index(q, deal) < 0:
            return None, f"Платёж в {label} уже в прошлом: укажите кварталы не раньше {Q.label(deal)}."
        if readiness and Q.index(q, Q.parse_quarter(readiness)) > 0:
            return None, f"Платёж в {label} позже ввода ({readiness}): все платежи — не позже ввода."
    return schedule, None


def _check_quarter(label: str, deal: Q.Quarter) -> Optional[str]:
    from wewall.calculator.errors import CalculationError

    try:
        q = Q.parse_quarter(label)
    except CalculationError as exc:
        return str(exc)
    r = Q.index(q, deal)
    if r < 0:
        return f"Срок ввода {Q.label(q)} раньше текущего квартала {Q.label(deal)}. Укажите будущий квартал."
    if r > 24 - 9:
        return f"Срок ввода {Q.label(q)} слишком далёкий: расчёт идёт на 6 лет. Укажите срок не позже {Q.label(Q.shift(deal, 15))}."
    return None


@dataclass
class Context:
    """What the answer is checked against: the date, and the station table."""

    today: dt.date
    station_exists: Callable[[str], Optional[str]]
    suggest_stations: Callable[[str], List[str]]

    @property
    def deal(self) -> Q.Quarter:
        return Q.quarter_of(self.today)


# «площадь не 700, а 800», «цена не 500 тысяч, а 450»: the word names the slot, the value after «а» wins.
_CORRECTION = re.compile(r"(площад|метраж|цен|стоимост|аренд)\w*\D*?\bне\b.*?\bа\b\s*", re.I)
_CORRECTION_SLOTS = {"площад": AREA, "метраж": AREA, "цен": PRICE, "стоимост": PRICE,
                     "аренд": RENT}


def _correction(turn: Turn, slots: Dict[str, Any]) -> Optional[Tuple[str, float]]:
    match = _CORRECTION.search(turn.text)
    if not match:
        return None
    slot = _CORRECTION_SLOTS[match.group(1).lower()]
    after = [e for e in turn.entities if e.get("start", 0) >= match.end() and _number(e.get("value")) is not None]
    before = [e for e in turn.entities if e.get("start", 0) < match.end() and _number(e.get("value")) is not None]
    if not after:
        return None
    new = _number(after[0]["value"])
    assert new is not None  # `after` holds numbers only
    old = _number(before[-1]["value"]) if before else slots.get(slot)
    # «не 500 тысяч, а 450»: the multiplier said once applies to both numbers.
    if old and new and new < 1000 <= old and old / new >= 100:
        new *= 1000
    return slot, new


def _candidates(turn: Turn, slots: Dict[str, Any], requested: Optional[str], ctx: Context) -> Dict[str, Tuple[Any, str]]:
    """Slot → (value, how to say it), from everything this message carries."""
    out: Dict[str, Tuple[Any, str]] = {}
    fix = _correction(turn, slots)
    if fix:
        slot, value = fix
        said = f"{num(value)} м²" if slot == AREA else f"{num(value, 0)} ₽"
        return {slot: (value, said)}
    kind = kind_from(turn)
    if kind:
        out[KIND] = (kind, KIND_NAMES[kind])
    # «за 1 м²», «за метр»: a price's unit, not an area.
    area_values = [_number(e.get("value")) for e in turn.entities if e.get("entity") == "area_m2"
             and not re.search(r"(?<![а-яё])за\s*$", turn.text[max(0, int(e.get("start", 0)) - 4):int(e.get("start", 0))], re.I)]
    areas = [a for a in area_values if a is not None]
    if requested == DISTANCE and not turn.values("distance_m") and not turn.values("duration_min"):
        # «400 метров» to «Сколько до метро?» is a distance, whatever the bare «метров» suggests.
        plain = [e for e in turn.entities if e.get("entity") == "area_m2"
                 and not re.search(r"м2|м²|кв|квадрат", str(e.get("text", "")), re.I)]
        if plain:
            turn = Turn(turn.intent, [dict(e, entity="distance_m") if e in plain else e for e in turn.entities], turn.text)
            areas = []
    if areas:
        out[AREA] = (areas[-1], f"{num(areas[-1])} м²")
    elif requested == AREA and (bare := _bare_number(turn)) is not None:
        out[AREA] = (bare, f"{num(bare)} м²")
    kind_now = kind or slots.get(KIND)
    money_allowed = [s for s in W.MONEY_SLOTS if kind_now not in KIND_SLOTS or s in KIND_SLOTS[kind_now]]
    # A sum goes to the slot its words name («аренда…», «готовый…», «цена…», «по 420 тыс»), else
    # to the question asked; the raw `Money` is converted with the area in `interpret`.
    for money in W.sums(_words(turn) or turn.text, turn.entities, bare=requested in W.MONEY_SLOTS):
        money_to = W.money_slot(money, requested, money_allowed)
        if money_to is not None:
            out[money_to] = (money, "")
    classes = [str(v).upper().replace("А", "A").replace("В", "B").replace("Б", "B") for v in turn.values("estate_class")]
    if not classes and requested == CLASS:
        letter = _CLASS_LETTER.match(turn.text)
        if letter:
            classes = [letter.group(1).upper().replace("А", "A").replace("В", "B").replace("Б", "B")]
    if classes and classes[-1] in ("A", "B"):
        out[CLASS] = (classes[-1], f"класс {classes[-1]}")
    stations = turn.values("metro_station")
    if stations:
        out[STATION] = (stations[-1], str(stations[-1]))
    elif requested == STATION and turn.intent not in INTERRUPTIONS and len(out) == 0:
        # The NLU found no station: take the words as a name, to check it or suggest the closest.
        name = _STATION_PREFIX.sub("", turn.text).strip(" .,!?«»\"")
        if name and not any(ch.isdigit() for ch in name):
            out[STATION] = (name, name)
    dist = _distance(turn, bare_ok=requested == DISTANCE)
    if dist:
        out[DISTANCE] = (round(dist[0]), dist[1])
    # The question reads its own answer first: «полная» to «what is left to do?» is full repairs.
    # Another question reads it only when the words name the repairs («…, ремонт не нужен, НДС 20»).
    repairs = W.read_repairs(_words(turn)) if requested == REPAIRS or _REPAIR_WORDS.search(_words(turn)) else None
    finishes = [REPAIRS_OF_FINISH[v] for v in turn.values("finish") if v in REPAIRS_OF_FINISH]
    if repairs is None and finishes:
        repairs = finishes[-1]
    if repairs is None and requested == REPAIRS and turn.intent in ("deny", "affirm"):
        repairs = "none" if turn.intent == "deny" else "full"
    if repairs is not None:
        out[REPAIRS] = (repairs, REPAIRS_NAMES[repairs])
    nds = W.read_vat(_words(turn), turn.entities, asked=requested == VAT)
    if nds is not None:
        out[VAT] = (nds, f"{num(nds)} %")
    quarters = turn.values("quarter")
    if quarters and requested != TRANCHES and (requested == READINESS or not turn.values("percent")):
        out[READINESS] = (str(quarters[-1]).upper(), str(quarters[-1]).upper())
    elif not quarters and (requested == READINESS or (requested != TRANCHES and _READY_WORDS.search(_words(turn)))):
        found = W.relative_quarter(_words(turn), ctx.today)
        if found:
            label = Q.label(found[0])
            out[READINESS] = (label, f"{found[0][1]} кв {found[0][0]}")
    return out


_REPAIR_WORDS = re.compile(r"ремонт|отделк", re.I)
_READY_WORDS = re.compile(r"ввод\w*|введ\w*|сдач\w*|сдадут|сдают|достро\w*|готовност\w*", re.I)


def _validate(slot: str, value: Any, ctx: Context) -> Tuple[Any, Optional[str], List[dict]]:
    """(clean value, problem for the client or None, buttons to offer)."""
    if slot == STATION:
        canonical = ctx.station_exists(str(value))
        if canonical:
            return canonical, None, []
        options = ctx.suggest_stations(str(value))
        text = f"Не нашёл станцию «{value}»."
        if options:
            text += " Возможно, вы имели в виду: " + ", ".join(options) + "?"
        else:
            text += " Напишите, пожалуйста, название станции ещё раз."
        return None, text, [{"title": o, "payload": f'/inform{{"metro_station":"{o}"}}'} for o in options]
    if slot == VAT:
        if value not in NDS_RATES:
            return None, f"Ставка НДС {num(value)} % не подходит: выберите 0, 5, 7 или 20 %.", []
        return int(value), None, []
    if slot == READINESS:
        problem = _check_quarter(str(value), ctx.deal)
        return (None, problem, []) if problem else (str(value).upper(), None, [])
    if slot in (AREA, PRICE, RENT, READY_PRICE):
        if value is None or value <= 0:
            return None, f"{NAMES[slot].capitalize()} должна быть больше нуля.", []
    if slot == DISTANCE and (value is None or value < 0):
        return None, "Расстояние до метро не может быть отрицательным.", []
    return value, None, []


def _implausible(slot: str, value: Any) -> bool:
    bounds = PLAUSIBLE.get(slot)
    return bounds is not None and isinstance(value, (int, float)) and not bounds[0] <= value <= bounds[1]


DOUBT_TEXT = {
    AREA: "Площадь {v} м² выглядит необычно.",
    PRICE: "Цена {v} ₽ за м² выглядит необычно.",
    READY_PRICE: "Цена {v} ₽ за м² выглядит необычно.",
    RENT: "Аренда {v} ₽ в месяц выглядит необычно.",
    DISTANCE: "{v} м до метро — это очень далеко.",
}


ASK_AGAIN = {
    KIND: "Выберите, пожалуйста, тип объекта кнопкой или напишите, например: «готовый офис».",
    AREA: "Не понял площадь. Напишите число квадратных метров, например: 120 или «семьсот».",
    PRICE: "Не понял цену. Напишите цену за м² или за всё помещение, например: «450 тысяч за метр» или «38 млн за всё».",
    RENT: "Не понял сумму аренды. Напишите, например: «300 тысяч в месяц за всё помещение» или «2500 за метр в месяц».",
    READY_PRICE: "Не понял цену. Напишите цену готового м² в рублях, например: 520 000.",
    CLASS: "Класс здания — А или В?",
    STATION: "Не нашёл станцию. Напишите название станции метро, например: «Белорусская».",
    DISTANCE: "Не понял расстояние. Напишите, например: «5 минут пешком» или «400 метров».",
    REPAIRS: "Какой ремонт ещё нужен: полный (сейчас бетон, без отделки), частичный или никакого (помещение готово)?",
    VAT: "Выберите ставку НДС: 0, 5, 7 или 20 %.",
    READINESS: "Не понял срок. Напишите квартал ввода, например: «3 квартал 2027», «конец 2027» или «через полтора года».",
    TRANCHES: "Напишите график платежей, например: «100 % сразу» или «30 % сейчас, остальное при вводе».",
    CONFIRMED: "Если всё верно, нажмите «Да, считать». Чтобы исправить, напишите, например: «площадь 800».",
}


_YES = re.compile(r"^\s*(?:да|ага|верно|всё\s+верно|все\s+верно|правильно|да,?\s+(?:верно|всё\s+так|все\s+так|считай\w*))\s*[.!]*\s*$", re.I)
_VAT_NEAR = re.compile(r"ндс|nds|усн|ставк", re.I)


def _settle(out: Outcome, slot: str, priced: Priced) -> bool:
    """Record a question or a kept total; True when `priced` holds a value for the slot."""
    if priced.ask:
        out.understood = True
        out.doubt = priced.ask
        out.messages.append(basis_question(slot, priced.ask["raw"]))
        out.buttons.extend(basis_buttons(slot))
        return False
    if priced.pending:
        out.understood = True
        out.doubt = priced.pending
        what = "аренду за м²" if slot == RENT else "общую цену"
        out.messages.append(f"Запомнил {what}: {_short_money(priced.pending['raw'])}. Пересчитаю, когда узнаю площадь.")
        return False
    if priced.note:
        out.messages.append(priced.note)
    return True


def interpret(turn: Turn, slots: Dict[str, Any], requested: Optional[str], ctx: Context) -> Outcome:
    """Understand one answer: fill the asked slot and any other the message names, correct
    answered ones, question implausible values once, and say what went wrong."""
    out = Outcome()
    doubt = slots.get(DOUBT) or {}
    yes = turn.intent == "affirm" or bool(_YES.match(_words(turn)))
    # A value questioned once («выглядит необычно») waits for «да»; a «за всё или за м²?»
    # question and a total kept until the area is known are not answered by «да».
    plain_doubt = bool(doubt) and "value" in doubt
    if requested == CONFIRMED and yes and not plain_doubt:
        out.slots[CONFIRMED] = True
        out.understood = True
        return out
    if plain_doubt and yes:
        out.slots[doubt["slot"]] = doubt["value"]
        out.slots[DOUBT] = None
        out.understood = True
        return out

    found = _candidates(turn, slots, requested, ctx)
    kind_after = found[KIND][0] if KIND in found else slots.get(KIND)
    allowed = set(ALL_SLOTS) if kind_after not in KIND_SLOTS else {KIND, *KIND_SLOTS[kind_after]}
    words = _words(turn)
    paying = requested == TRANCHES or (TRANCHES in allowed and _PAYMENT_WORDS.search(words))
    if paying:
        readiness = found[READINESS][0] if READINESS in found else slots.get(READINESS)
        pay_turn = turn
        if requested != TRANCHES and VAT in found:
            # «ндс 5%, … оплата 100% сразу»: the VAT's percent is not a payment.
            vat = found[VAT][0]
            pay_turn = Turn(turn.intent, [e for e in turn.entities if not (
                e.get("entity") == "percent" and _number(e.get("value")) == vat
                and _VAT_NEAR.search(turn.text[max(0, int(e.get("start", 0)) - 12):int(e.get("start", 0))]))], turn.text)
        schedule, problem = parse_tranches(pay_turn, ctx.deal, readiness, ctx.today)
        if problem and requested == TRANCHES:
            out.messages.append(problem)
            out.understood = True  # an answer, though a wrong one: ask again, do not hand to the rules
        elif schedule:
            found[TRANCHES] = (schedule, ", ".join(f"{num(p)} % — {q}" for q, p in schedule.items()))

    # Sums: converted with the area (this message's or the known one) into what the slot holds.
    area = found[AREA][0] if AREA in found else slots.get(AREA)
    answered_basis = W.basis_of(words) if doubt.get("ask") == "basis" else None
    for slot in W.MONEY_SLOTS:
        if slot not in found or slot not in allowed or not isinstance(found[slot][0], W.Money):
            continue
        money = found.pop(slot)[0]
        period = money.period or (doubt.get("period") if doubt.get("slot") == slot else None)
        priced = price_value(slot, money.value, money.basis or answered_basis, period, area)
        if not _settle(out, slot, priced):
            continue
        found[slot] = (priced.value, priced.said)
    if doubt.get("ask") == "basis" and doubt.get("slot") not in found and not out.doubt:
        slot = doubt["slot"]
        period = W.period_of(words) or doubt.get("period")
        if answered_basis:
            priced = price_value(slot, doubt["raw"], answered_basis, period, area, force=True)
            if _settle(out, slot, priced):
                found[slot] = (priced.value, priced.said)
        elif requested == slot or not found:
            out.understood = True
            out.doubt = doubt
            out.messages.append(basis_question(slot, doubt["raw"]))
            out.buttons.extend(basis_buttons(slot))
    if doubt.get("pending") and doubt.get("slot") not in found and not out.doubt:
        slot = doubt["slot"]
        if area is not None and slot not in out.slots:
            priced = price_value(slot, doubt["raw"], doubt.get("basis"), doubt.get("period"), area)
            if _settle(out, slot, priced):
                found[slot] = (priced.value, priced.said)
        elif slots.get(slot) is None:
            out.doubt = doubt  # still waiting for the area

    for slot, (value, said) in found.items():
        if slot not in allowed:
            continue
        clean, problem, buttons = _validate(slot, value, ctx)
        out.understood = True
        if problem:
            out.messages.append(problem)
            out.buttons.extend(buttons)
            continue
        insisted = doubt.get("slot") == slot and doubt.get("value") == clean
        if _implausible(slot, clean) and not insisted:
            out.doubt = {"slot": slot, "value": clean}
            out.messages.append(
                DOUBT_TEXT[slot].format(v=num(clean)) + " Если всё верно, ответьте «да» или повторите число; если нет — напишите правильное значение."
            )
            continue
        old = slots.get(slot)
        out.slots[slot] = clean
        if old is not None and old != clean and slot != requested:
            out.messages.append(f"Исправил: {NAMES[slot]} — {said}.")
    if out.doubt is not None or doubt:
        out.slots[DOUBT] = out.doubt
    if KIND in out.slots and out.slots[KIND] != slots.get(KIND):
        # Each kind asks its own questions: keep what the new kind shares, drop the rest.
        keep = set(KIND_SLOTS[out.slots[KIND]])
        for slot in VALUE_SLOTS:
            if slot not in keep and slots.get(slot) is not None and slot not in out.slots:
                out.slots[slot] = None
    return close_reading(out, slots, turn, requested, confirmed=CONFIRMED, interruptions=INTERRUPTIONS,
                         ask_again=ASK_AGAIN, ignore=(DOUBT, CONFIRMED),
                         what_to_fix="Что исправить? Напишите, например: «площадь 800» или «станция Динамо».")


# ---------------------------------------------------------------- summary and inputs


def _fmt(slot: str, value: Any) -> str:
    if slot == AREA:
        return f"{num(value)} м²"
    if slot in (PRICE, READY_PRICE):
        return f"{num(value, 0)} ₽/м²"
    if slot == RENT:
        return f"{num(value, 0)} ₽ в месяц"
    if slot == DISTANCE:
        return f"{num(value, 0)} м"
    if slot == REPAIRS:
        return REPAIRS_NAMES.get(value, str(value))
    if slot == VAT:
        return f"{num(value)} %"
    if slot == TRANCHES:
        return ", ".join(f"{num(p)} % — {q}" for q, p in value.items())
    if slot == CLASS:
        return str(value)
    return str(value)


def summary(slots: Dict[str, Any]) -> str:
    kind = slots.get(KIND) or ""
    lines = [f"Проверьте, пожалуйста: {KIND_NAMES.get(kind, '—')}"]
    for slot in KIND_SLOTS.get(kind, []):
        if slots.get(slot) is not None:
            lines.append(f"• {NAMES[slot]}: {_fmt(slot, slots[slot])}")
    lines.append("Всё верно?")
    return "\n".join(lines)


def to_inputs(slots: Dict[str, Any], today: dt.date) -> dict:
    """The finance model's inputs from the dialogue's slots."""
    kind = slots[KIND]
    inputs = {"kind": kind, "as_of": today.isoformat()}
    for slot in KIND_SLOTS[kind]:
        value = slots.get(slot)
        if value is None:
            continue
        inputs[INPUT_OF[slot]] = value
    return inputs


# ---------------------------------------------------------------- from a shown offer

_OFFER_REF = re.compile(r"(?<![а-яё])(?:него|нему|этого|этому|этот|это|эта|этой|эту|данн\w*|объект\w*|предложени\w*|вариант\w*|помещени\w*|офис\w*|лот\w*|там|здесь|тут)(?![а-яё])", re.I)
_CLASS_OF_OFFER = {"A": "A", "А": "A", "PRIME": "A", "A+": "A", "B": "B", "В": "B", "B+": "B", "В+": "B", "C": "B"}


# The offer card's button: /request_calculation{"calc_kind":"from_offer"}.
FROM_OFFER = "from_offer"
OFFER_BUTTON = {"title": "Посчитать доходность", "payload": '/request_calculation{"calc_kind":"from_offer"}'}


def refers_to_offer(text: str) -> bool:
    """«а какая у него доходность?», «посчитай доходность этого офиса»: about the offer shown."""
    return bool(_OFFER_REF.search(text or ""))


def prefill_from_offer(offer: dict, today: Optional[dt.date] = None) -> Dict[str, Any]:
    """The calculation's slots an offer already answers: kind, area, price (a sale), class,
    station and its distance, repairs from the finish, readiness; a retail rent offer gives the
    monthly rent. VAT and payments are the client's, so they are never prefilled."""
    today = today or dt.date.today()
    type_ = offer.get("type")
    if type_ not in ("office", "retail"):
        return {}
    readiness = str(offer.get("readiness") or "ready")
    building = False
    slots: Dict[str, Any] = {}
    if readiness != "ready":
        try:
            q = Q.parse_quarter(readiness)
        except Exception:
            q = None
        if q is not None and Q.index(q, Q.quarter_of(today)) >= 0 and _check_quarter(Q.label(q), Q.quarter_of(today)) is None:
            building = True
            slots[READINESS] = Q.label(q)
    kind = ("building_" if building else "finished_") + type_
    slots[KIND] = kind
    wanted = set(KIND_SLOTS[kind])
    if offer.get("area_m2"):
        slots[AREA] = float(offer["area_m2"])
    if offer.get("deal") == "sale" and offer.get("price_per_m2") and not offer.get("price_on_request"):
        slots[PRICE] = float(offer["price_per_m2"])
    if offer.get("deal") == "rent" and type_ == "retail" and offer.get("rent_rub_month"):
        slots[RENT] = float(offer["rent_rub_month"])
    cls = _CLASS_OF_OFFER.get(str(offer.get("estate_class") or "").strip().upper())
    if cls and CLASS in wanted:
        slots[CLASS] = cls
    metro = (offer.get("metro") or [None])[0] or {}
    if metro.get("station"):
        slots[STATION] = metro["station"]
        if metro.get("distance_m") is not None and DISTANCE in wanted:
            slots[DISTANCE] = float(metro["distance_m"])
    finish = REPAIRS_OF_FINISH.get(str(offer.get("finish") or ""))
    if finish:
        slots[REPAIRS] = finish
    return {k: v for k, v in slots.items() if k == KIND or k in wanted}


def prefill_note(offer: dict, slots: Dict[str, Any]) -> str:
    """What the bot says when it starts from an offer: what it took, and that it asks the rest."""
    name = offer.get("name") or "предложение"
    taken = [f"{NAMES[s]}: {_fmt(s, slots[s])}" for s in KIND_SLOTS.get(slots.get(KIND) or "", []) if s in slots]
    text = f"Посчитаю доходность: {name}, {KIND_NAMES.get(slots.get(KIND) or '', '')}."
    if taken:
        text += " Из объявления: " + "; ".join(taken) + "."
    if offer.get("deal") == "rent":
        text += " Это предложение аренды, поэтому цену покупки спрошу."
    return text + " Спрошу только недостающее."


# ---------------------------------------------------------------- analogs of a retail unit


def analogs_subject(inputs: dict, position: Optional[Tuple[float, float]]) -> Optional[dict]:
    """What «Показать аналоги» compares a retail calculation with: rent offers of its size near
    its station, at the rent the client assumed (street retail is mostly offered for rent, so
    sale offers alone would rarely give any). None for offices: their inputs are compared as
    they are, with sale offers."""
    if not str(inputs.get("kind", "")).endswith("_retail") or not inputs.get("metro_station"):
        return None
    area, rent = inputs.get("area_m2"), inputs.get("monthly_rent_rub")
    if not area or not rent:
        return None
    subject = {
        "deal": "rent", "type": "retail", "area_m2": float(area), "price_per_m2": round(float(rent) / float(area), 2),
        "metro": [{"station": inputs["metro_station"]}],
    }
    if position:
        lat, lng = position
        subject["location"] = {"type": "Point", "coordinates": [lng, lat]}
    return subject


# ---------------------------------------------------------------- VAT 20 %

VAT_MANAGER = "vat_manager"


def vat_manager_slots() -> Dict[str, Any]:
    """After VAT 20 %: every answer kept, the VAT question open again, marked so that it is asked
    as «передать менеджеру или посчитать без НДС для ориентира?»."""
    return {VAT: None, CONFIRMED: None, DOUBT: {"slot": VAT, VAT_MANAGER: True}}


def vat_manager_pending(doubt: Any) -> bool:
    return isinstance(doubt, dict) and bool(doubt.get(VAT_MANAGER))


def vat_manager_record(inputs: dict) -> dict:
    """The calculation as the manager sees it (wewall.crm.summary): the answers, no IRR."""
    return {"inputs": dict(inputs), "rent_irr": None, "sale_irr": None,
            "verdict": {"code": VAT_MANAGER, "text": "НДС 20 % (ОСНО): расчёт делает менеджер"}}


# ---------------------------------------------------------------- the payment question

TRANCHES_BUTTONS = [
    {"title": "100 % сразу", "payload": "100 % сразу"},
    {"title": "50 % сейчас, 50 % при вводе", "payload": "50 % сейчас, 50 % при вводе"},
]


def tranches_question(today: dt.date, remaining: str = "") -> str:
    """«Как вы платите…» with an example of quarters still ahead (never a past one)."""
    return f"Как вы платите за помещение? Например: {W.tranches_example(today)}. {remaining}".rstrip()


def reset_events_slots() -> Dict[str, Any]:
    """Every slot of the dialogue, emptied (cancel, or a new calculation)."""
    return dict.fromkeys(ALL_SLOTS + [DOUBT, REMAINING])
