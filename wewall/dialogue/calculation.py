"""The «Оценка доходности» dialogue, apart from Rasa: which question comes next, how an answer
is understood, checked and corrected, and what the summary says.

Actions in `actions/calculation.py` only move data between the tracker and these functions,
so every rule here is tested without a server. Slots hold values already normalised for the
finance model (`wewall.calculator`), under the model's own input names where they exist.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from wewall.calculator import quarters as Q
from wewall.calculator.fmt import finite, num
from wewall.calculator.inputs import KIND_NAMES, REPAIRS_NAMES, is_building, is_office
from wewall.geo import TRANSPORT_M_PER_MIN, WALK_M_PER_MIN

KIND = "calc_kind"
CONFIRMED = "calc_confirmed"
REMAINING = "calc_remaining"
DOUBT = "calc_doubt"
READINESS = "readiness_quarter"

KIND_SLOTS: Dict[str, List[str]] = {
    "finished_office": ["area_m2", "price_per_m2", "estate_class", "metro_station", "distance_to_metro_m", "repairs", "nds_rate"],
    "building_office": [
        "area_m2", "price_per_m2", "estate_class", "metro_station", "distance_to_metro_m", "repairs", "nds_rate",
        READINESS, "tranches",
    ],
    "finished_retail": ["area_m2", "price_per_m2", "monthly_rent_rub", "repairs", "nds_rate"],
    "building_retail": [
        "area_m2", "price_per_m2", "monthly_rent_rub", "sale_price_per_m2_ready", "repairs", "nds_rate",
        READINESS, "tranches",
    ],
}
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
    "area_m2": (10, 100_000),
    "price_per_m2": (20_000, 5_000_000),
    "sale_price_per_m2_ready": (20_000, 5_000_000),
    "monthly_rent_rub": (10_000, 200_000_000),
    "distance_to_metro_m": (0, 5_000),
}
NDS_RATES = (0, 5, 7, 20)
FINISH_TO_REPAIRS = {"shell": "full", "partial": "partial", "ready": "none"}
NAMES = {
    "area_m2": "площадь",
    "price_per_m2": "цена за м²",
    "estate_class": "класс здания",
    "metro_station": "станция метро",
    "distance_to_metro_m": "расстояние до метро",
    "repairs": "отделка",
    "nds_rate": "НДС",
    "monthly_rent_rub": "аренда в месяц",
    "sale_price_per_m2_ready": "цена готового м²",
    READINESS: "срок ввода",
    "tranches": "график платежей",
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
    if slots.get("nds_rate") == 20:
        return order[: order.index("nds_rate") + 1]
    return order + [CONFIRMED]


def next_slot(slots: Dict[str, Any]) -> Optional[str]:
    return next((s for s in required_slots(slots) if slots.get(s) is None), None)


def remaining_questions(slots: Dict[str, Any]) -> int:
    """Questions still to answer, the confirmation not counted."""
    return sum(1 for s in required_slots(slots) if s != CONFIRMED and slots.get(s) is None)


def plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def remaining_phrase(slots: Dict[str, Any]) -> str:
    if slots.get(KIND) not in KIND_SLOTS:
        return ""  # the count depends on the kind, still unknown
    n = remaining_questions(slots)
    if n <= 1:
        return "(последний вопрос)" if n == 1 else ""
    return f"(осталось {n} {plural(n, 'вопрос', 'вопроса', 'вопросов')})"


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


_CONTEXT = {
    "price_per_m2": re.compile(r"цен|стоим|покуп|за\s*(кв|м|метр)", re.I),
    "monthly_rent_rub": re.compile(r"аренд|в\s*месяц|ежемесяч", re.I),
    "sale_price_per_m2_ready": re.compile(r"готов", re.I),
    "nds_rate": re.compile(r"ндс|nds|усн|осно", re.I),
}
_LUMP_SUM = re.compile(r"сразу|единовремен|одним\s+платеж|целиком|100\s*%?\s*(сразу)?$|полностью", re.I)
_NO_VAT = re.compile(r"без\s+ндс|усн\s+без|не\s+плач|не\s+плат", re.I)
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


def _distance(turn: Turn, bare_ok: bool) -> Optional[Tuple[float, str]]:
    """Metres to the metro, and how the client said it."""
    for ent in reversed(turn.entities):
        name, value = ent.get("entity"), _number(ent.get("value"))
        if value is None:
            continue
        if name == "duration_min":
            if ent.get("role") == "transport":
                return value * TRANSPORT_M_PER_MIN, f"{num(value)} мин на транспорте"
            return value * WALK_M_PER_MIN, f"{num(value)} мин пешком"
        if name == "distance_m":
            return value, f"{num(value)} м"
    if bare_ok:
        value = _bare_number(turn)
        if value is not None:
            # Nobody walks 60+ minutes to the metro, and nobody counts 60 metres: so the unit is clear.
            if value <= 60:
                return value * WALK_M_PER_MIN, f"{num(value)} мин пешком"
            return value, f"{num(value)} м"
    return None


def _bare_number(turn: Turn) -> Optional[float]:
    for name in ("number", "area_m2", "money_rub", "percent"):
        values = [_number(v) for v in turn.values(name)]
        values = [v for v in values if v is not None]
        if values:
            return values[-1]
    return None


def _money(turn: Turn, slot: str, requested: Optional[str]) -> Optional[float]:
    """A sum in ₽ for `slot`: when that slot is asked, or when the words say it is about it."""
    values = [_number(v) for v in turn.values("money_rub")]
    values = [v for v in values if v is not None]
    if requested == slot:
        if values:
            return values[-1]
        return _number(turn.values("number")[-1]) if turn.values("number") else None
    if values and _CONTEXT[slot].search(turn.text):
        return values[-1]
    return None


def parse_tranches(turn: Turn, deal: Q.Quarter) -> Tuple[Optional[Dict[str, float]], Optional[str]]:
    """`{quarter: percent}` from «60 % 1 кв 2026, 40 % 3 кв 2026», or «сразу» → all in the deal quarter.

    Each percent goes with the quarter written next to it (after it, or before it).
    """
    percents = [e for e in turn.entities if e.get("entity") == "percent"]
    quarters = [e for e in turn.entities if e.get("entity") == "quarter"]
    if not percents and (_LUMP_SUM.search(turn.text) or turn.intent == "affirm"):
        return {Q.label(deal): 100.0}, None
    if len(percents) == 1 and not quarters and _number(percents[0].get("value")) == 100:
        return {Q.label(deal): 100.0}, None
    if not percents:
        return None, None
    if len(quarters) != len(percents):
        return None, (
            "Не смог сопоставить доли и кварталы. Напишите каждый платёж как «доля — квартал», "
            "например: «60 % 1 кв 2026, 40 % 3 кв 2026»."
        )
    pairs = sorted(percents + quarters, key=lambda e: e.get("start", 0))
    schedule: Dict[str, float] = {}
    first_is_percent = pairs[0].get("entity") == "percent"
    for i in range(0, len(pairs) - 1, 2):
        a, b = pairs[i], pairs[i + 1]
        pct, qtr = (a, b) if first_is_percent else (b, a)
        if pct.get("entity") != "percent" or qtr.get("entity") != "quarter":
            return None, "Не смог сопоставить доли и кварталы: напишите, например, «60 % 1 кв 2026, 40 % 3 кв 2026»."
        label = str(qtr.get("value")).upper()
        schedule[label] = schedule.get(label, 0.0) + float(_number(pct.get("value")) or 0)
    total = sum(schedule.values())
    if abs(total - 100) > 1e-6:
        return None, f"Сумма траншей {num(total)} %, а должна быть 100 %. Напишите график платежей ещё раз."
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
_CORRECTION_SLOTS = {"площад": "area_m2", "метраж": "area_m2", "цен": "price_per_m2", "стоимост": "price_per_m2",
                     "аренд": "monthly_rent_rub"}


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
        said = f"{num(value)} м²" if slot == "area_m2" else f"{num(value, 0)} ₽"
        return {slot: (value, said)}
    kind = kind_from(turn)
    if kind:
        out[KIND] = (kind, KIND_NAMES[kind])
    areas = [_number(v) for v in turn.values("area_m2")]
    areas = [a for a in areas if a is not None]
    if areas:
        out["area_m2"] = (areas[-1], f"{num(areas[-1])} м²")
    elif requested == "area_m2" and _bare_number(turn) is not None:
        out["area_m2"] = (_bare_number(turn), f"{num(_bare_number(turn))} м²")
    for slot in ("price_per_m2", "monthly_rent_rub", "sale_price_per_m2_ready"):
        value = _money(turn, slot, requested)
        if value is not None:
            out[slot] = (value, f"{num(value, 0)} ₽")
    classes = [str(v).upper().replace("А", "A").replace("В", "B").replace("Б", "B") for v in turn.values("estate_class")]
    if not classes and requested == "estate_class":
        letter = _CLASS_LETTER.match(turn.text)
        if letter:
            classes = [letter.group(1).upper().replace("А", "A").replace("В", "B").replace("Б", "B")]
    if classes and classes[-1] in ("A", "B"):
        out["estate_class"] = (classes[-1], f"класс {classes[-1]}")
    stations = turn.values("metro_station")
    if stations:
        out["metro_station"] = (stations[-1], str(stations[-1]))
    elif requested == "metro_station" and turn.intent not in INTERRUPTIONS and len(out) == 0:
        # The NLU found no station: take the words as a name, to check it or suggest the closest.
        name = _STATION_PREFIX.sub("", turn.text).strip(" .,!?«»\"")
        if name and not any(ch.isdigit() for ch in name):
            out["metro_station"] = (name, name)
    dist = _distance(turn, bare_ok=requested == "distance_to_metro_m")
    if dist:
        out["distance_to_metro_m"] = (round(dist[0]), dist[1])
    finishes = [FINISH_TO_REPAIRS[v] for v in turn.values("finish") if v in FINISH_TO_REPAIRS]
    if finishes:
        out["repairs"] = (finishes[-1], REPAIRS_NAMES[finishes[-1]])
    elif requested == "repairs" and turn.intent in ("deny", "affirm"):
        value = "none" if turn.intent == "deny" else "full"
        out["repairs"] = (value, REPAIRS_NAMES[value])
    nds = None
    if requested == "nds_rate" or _CONTEXT["nds_rate"].search(turn.text):
        if _NO_VAT.search(turn.text):
            nds = 0.0
        else:
            nds = next((_number(v) for v in reversed(turn.values("percent"))), None)
            if nds is None and requested == "nds_rate":
                nds = _bare_number(turn)
    if nds is not None:
        out["nds_rate"] = (nds, f"{num(nds)} %")
    quarters = turn.values("quarter")
    if quarters and requested != "tranches" and (requested == READINESS or not turn.values("percent")):
        out[READINESS] = (str(quarters[-1]).upper(), str(quarters[-1]).upper())
    return out


def _validate(slot: str, value: Any, ctx: Context) -> Tuple[Any, Optional[str], List[dict]]:
    """(clean value, problem for the client or None, buttons to offer)."""
    if slot == "metro_station":
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
    if slot == "nds_rate":
        if value not in NDS_RATES:
            return None, f"Ставка НДС {num(value)} % не подходит: выберите 0, 5, 7 или 20 %.", []
        return int(value), None, []
    if slot == READINESS:
        problem = _check_quarter(str(value), ctx.deal)
        return (None, problem, []) if problem else (str(value).upper(), None, [])
    if slot in ("area_m2", "price_per_m2", "monthly_rent_rub", "sale_price_per_m2_ready"):
        if value is None or value <= 0:
            return None, f"{NAMES[slot].capitalize()} должна быть больше нуля.", []
    if slot == "distance_to_metro_m" and (value is None or value < 0):
        return None, "Расстояние до метро не может быть отрицательным.", []
    return value, None, []


def _implausible(slot: str, value: Any) -> bool:
    bounds = PLAUSIBLE.get(slot)
    return bool(bounds) and isinstance(value, (int, float)) and not bounds[0] <= value <= bounds[1]


DOUBT_TEXT = {
    "area_m2": "Площадь {v} м² выглядит необычно.",
    "price_per_m2": "Цена {v} ₽ за м² выглядит необычно.",
    "sale_price_per_m2_ready": "Цена {v} ₽ за м² выглядит необычно.",
    "monthly_rent_rub": "Аренда {v} ₽ в месяц выглядит необычно.",
    "distance_to_metro_m": "{v} м до метро — это очень далеко.",
}


ASK_AGAIN = {
    KIND: "Выберите, пожалуйста, тип объекта кнопкой или напишите, например: «готовый офис».",
    "area_m2": "Не понял площадь. Напишите число квадратных метров, например: 120 или «семьсот».",
    "price_per_m2": "Не понял цену. Напишите цену за м² в рублях, например: 450 000 или «450 тысяч».",
    "monthly_rent_rub": "Не понял сумму аренды. Напишите, сколько в месяц, например: 300 000 или «300 тысяч».",
    "sale_price_per_m2_ready": "Не понял цену. Напишите цену готового м² в рублях, например: 520 000.",
    "estate_class": "Класс здания — А или В?",
    "metro_station": "Не нашёл станцию. Напишите название станции метро, например: «Белорусская».",
    "distance_to_metro_m": "Не понял расстояние. Напишите, например: «5 минут пешком» или «400 метров».",
    "repairs": "Какая отделка нужна: полная, частичная или не нужна?",
    "nds_rate": "Выберите ставку НДС: 0, 5, 7 или 20 %.",
    READINESS: "Не понял срок. Напишите квартал ввода, например: «3 квартал 2027».",
    "tranches": "Напишите график платежей, например: «100 % сразу» или «60 % 1 кв 2026, 40 % 3 кв 2026».",
    CONFIRMED: "Если всё верно, нажмите «Да, считать». Чтобы исправить, напишите, например: «площадь 800».",
}


def interpret(turn: Turn, slots: Dict[str, Any], requested: Optional[str], ctx: Context) -> Outcome:
    """Understand one answer: fill the asked slot and any other the message names, correct
    answered ones, question implausible values once, and say what went wrong."""
    out = Outcome()
    doubt = slots.get(DOUBT) or {}
    if requested == CONFIRMED and turn.intent == "affirm" and not doubt:
        out.slots[CONFIRMED] = True
        out.understood = True
        return out
    if doubt and (turn.intent == "affirm"):
        out.slots[doubt["slot"]] = doubt["value"]
        out.slots[DOUBT] = None
        out.understood = True
        return out

    found = _candidates(turn, slots, requested, ctx)
    if requested == "tranches":
        schedule, problem = parse_tranches(turn, ctx.deal)
        if problem:
            out.messages.append(problem)
            out.understood = True  # an answer, though a wrong one: ask again, do not hand to the rules
        elif schedule:
            found["tranches"] = (schedule, ", ".join(f"{num(p)} % — {q}" for q, p in schedule.items()))

    kind_after = found[KIND][0] if KIND in found else slots.get(KIND)
    allowed = set(ALL_SLOTS) if kind_after not in KIND_SLOTS else {KIND, *KIND_SLOTS[kind_after]}
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
    changed = {k for k, v in out.slots.items() if k not in (DOUBT, CONFIRMED) and v != slots.get(k)}
    if requested == CONFIRMED and changed:
        out.slots[CONFIRMED] = None
    if requested == CONFIRMED and turn.intent == "deny" and not changed:
        out.understood = True
        out.messages.append("Что исправить? Напишите, например: «площадь 800» или «станция Динамо».")
    if not out.understood and requested and turn.intent not in INTERRUPTIONS:
        out.understood = True
        out.messages.append(ASK_AGAIN.get(requested, "Не понял ответ, попробуйте ещё раз."))
    return out


# ---------------------------------------------------------------- summary and inputs


def _fmt(slot: str, value: Any) -> str:
    if slot == "area_m2":
        return f"{num(value)} м²"
    if slot in ("price_per_m2", "sale_price_per_m2_ready"):
        return f"{num(value, 0)} ₽/м²"
    if slot == "monthly_rent_rub":
        return f"{num(value, 0)} ₽ в месяц"
    if slot == "distance_to_metro_m":
        return f"{num(value, 0)} м"
    if slot == "repairs":
        return REPAIRS_NAMES.get(value, str(value))
    if slot == "nds_rate":
        return f"{num(value)} %"
    if slot == "tranches":
        return ", ".join(f"{num(p)} % — {q}" for q, p in value.items())
    if slot == "estate_class":
        return str(value)
    return str(value)


def summary(slots: Dict[str, Any]) -> str:
    kind = slots.get(KIND)
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
        inputs["readiness" if slot == READINESS else slot] = value
    return inputs


def reset_events_slots() -> Dict[str, Any]:
    """Every slot of the dialogue, emptied (cancel, or a new calculation)."""
    return {s: None for s in ALL_SLOTS + [DOUBT, REMAINING]}
