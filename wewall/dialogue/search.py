"""The «Подбор недвижимости» dialogue, apart from Rasa: which question comes next for this
branch, how an answer is understood (several values per message, «не важно», corrections),
the summary, the search criteria, and the offer card.

Actions in `actions/search_form.py` only move data between the tracker and these functions.
Slots hold canonical values of `wewall.search.Criteria`; "any" means «не важно».
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from wewall import vocabulary as V
from wewall.dialogue.answers import close_reading
from wewall.dialogue.calculation import Turn
from wewall.geo import TRANSPORT_M_PER_MIN, WALK_M_PER_MIN
from wewall.nlu.ranges import M2_PER_PERSON, area_for, find_range, head_count
from wewall.search import places as pl
from wewall.search import wishes as wl
from wewall.search.criteria import DEFAULT_STATION_MINUTES, Criteria
from wewall.text import count as count_words
from wewall.text import finite, num

TYPE = "search_type"
DEAL = "search_deal"
BUDGET = "search_budget"
PURPOSE = "search_purpose"
MIN_IRR = "search_min_irr"
AREA = "search_min_area"
METRO = "search_max_walk"  # the longest way to the metro: {"minutes": 10} | {"m": 500} | "any"
ZONE = "search_zone"
CLASS = "search_class"
FINISH = "search_finish"
READINESS = "search_readiness"
WISHES = "search_wishes"
CONFIRMED = "search_confirmed"
STATION = "search_stations"  # the stations the client named (a list): offers within walking distance
PLACE = "search_place"  # okrugs and «city» (Москва-Сити) the client named (a list)
DISTRICT = "search_district"  # districts named with «район» (a list of names as written)
# Slots the form never asks but every answer may fill (kept and reset with the others).
EXTRA_SLOTS = [STATION, PLACE, DISTRICT]
NEAR_METRO_MINUTES = 10  # «рядом с метро» without a station: 10 minutes on foot

# Every slot the form may ask, in the order of the domain's `required_slots`.
ALL_SLOTS = [TYPE, DEAL, BUDGET, PURPOSE, MIN_IRR, AREA, METRO, ZONE, CLASS, FINISH, READINESS, WISHES, CONFIRMED]
VALUE_SLOTS = [s for s in ALL_SLOTS if s != CONFIRMED]
OPTIONAL = {TYPE, MIN_IRR, AREA, METRO, ZONE, CLASS, FINISH, READINESS}
ANY = "any"

INTERRUPTIONS = {
    "faq", "show_faq", "help", "about", "request_manager", "out_of_scope", "greet", "thank", "goodbye",
    "request_calculation", "request_analogs", "start",
}

NAMES = {
    TYPE: "тип помещения", DEAL: "сделка", BUDGET: "бюджет", PURPOSE: "цель покупки", MIN_IRR: "минимальный IRR",
    AREA: "площадь", METRO: "до метро", ZONE: "зона", CLASS: "класс", FINISH: "отделка",
    READINESS: "готовность", WISHES: "пожелания",
}
TYPE_NAMES, DEAL_NAMES, PURPOSE_NAMES, ZONE_NAMES = V.ESTATE_TYPES, V.DEALS, V.PURPOSES, V.ZONES
FINISH_NAMES, READINESS_NAMES = V.SEARCH_FINISHES, V.SEARCH_READINESS
CARD_FINISH, CARD_ZONE = V.FINISHES, V.OFFER_ZONES

_ANY = re.compile(r"не\s*важн|неважн|любо|люба|любы|без\s*разниц|всё\s*равно|все\s*равно|не\s*имеет\s*значени|^\s*any\s*$", re.I)
_NO_LIMIT = re.compile(r"без\s*ограничен|не\s*ограничен|сколько\s*угодно|без\s*лимит", re.I)
_NO_WISHES = re.compile(r"^\s*(нет|не|ничего|никаких|без\s+пожеланий|пропустить|дальше|-|—)\W*$", re.I)
_IRR_WORDS = re.compile(r"irr|ирр|доходн", re.I)
_PER_M2 = re.compile(r"(?:за|/)\s*(?:кв\.?\s*)?(?:м2|м²|метр|квадрат|кв\.?\s*м|m2)", re.I)
_PER_YEAR = re.compile(r"в\s+год|/\s*год|годов", re.I)
_BUDGET_WORDS = re.compile(r"бюджет|до\s+\d|за\s+\d|не\s+дороже|млн|тыс|руб|₽", re.I)


# ---------------------------------------------------------------- the order of questions


def required_slots(slots: Dict[str, Any]) -> List[str]:
    """The questions of this search, in order: only those that matter for the branch."""
    deal, kind = slots.get(DEAL), slots.get(TYPE)
    order = [TYPE, DEAL, BUDGET]
    if deal == "sale":
        order.append(PURPOSE)
        if slots.get(PURPOSE) == "investment":
            order.append(MIN_IRR)
    order.append(AREA)
    if not slots.get(STATION) or slots.get(METRO) is not None:
        # «у метро Курская» answers it: offers within walking distance of the station (the summary says
        # how far); asking «как далеко от метро?» after that reads as if the station was not heard
        order.append(METRO)
    if not slots.get(STATION) or slots.get(ZONE) is not None:
        # A station is a finer place than a zone: «В какой части Москвы?» after «у Профсоюзной» too.
        order.append(ZONE)
    if kind == "office":
        order.append(CLASS)
    order.append(FINISH)
    if deal == "sale" or slots.get(READINESS) is not None:
        # A rent shows what is free now; a client who said «можно позже» keeps that answer.
        order.append(READINESS)
    return order + [WISHES, CONFIRMED]


def next_slot(slots: Dict[str, Any]) -> Optional[str]:
    return next((s for s in required_slots(slots) if slots.get(s) is None), None)


def previous_slot_in(order: List[str], confirmed: str, slots: Dict[str, Any], requested: Optional[str]) -> Optional[str]:
    """The answered question before `requested` in `order` (the last one at the confirmation)."""
    before = order[: order.index(requested)] if requested in order else order
    answered = [s for s in before if s != confirmed and slots.get(s) is not None]
    return answered[-1] if answered else None


def previous_slot(slots: Dict[str, Any], requested: Optional[str]) -> Optional[str]:
    return previous_slot_in(required_slots(slots), CONFIRMED, slots, requested)


# ---------------------------------------------------------------- understanding answers


@dataclass
class Outcome:
    slots: Dict[str, Any] = field(default_factory=dict)
    messages: List[str] = field(default_factory=list)
    understood: bool = False


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return finite(value)  # NaN, 1e309, 400 digits from a payload: not a number (issue #22)
    try:
        return finite(float(str(value).replace(" ", "").replace(",", ".")))
    except (TypeError, ValueError, OverflowError):
        return None


def _numbers(turn: Turn, entity: str) -> List[float]:
    return [v for v in (_number(x) for x in turn.values(entity)) if v is not None]


def _bare(turn: Turn) -> Optional[float]:
    """A number said without a unit: the answer to whichever numeric question was asked. A sum, an
    area or a percent answers its own question wherever it is said («метров 100-150» to the
    budget question is the area, and the budget is still to ask)."""
    values = _numbers(turn, "number")
    return values[-1] if values else None


def _is_any(turn: Turn, entity: Optional[str] = None) -> bool:
    if entity and ANY in [str(v) for v in turn.values(entity)]:
        return True
    return bool(_ANY.search(turn.text or ""))


def _budget(turn: Turn, deal: Optional[str], requested: Optional[str]) -> Optional[float]:
    money = _numbers(turn, "money_rub")
    if money:
        value = money[-1]
    elif requested == BUDGET and (bare := _bare(turn)) is not None:
        value = bare
    else:
        return None
    if requested == BUDGET and not money and value < 1000:
        # «500» for a monthly rent means thousands; «300» for a purchase means millions.
        value *= 1_000 if deal == "rent" else 1_000_000
    return value


def _metro(turn: Turn, requested: Optional[str]) -> Optional[Any]:
    for ent in reversed(turn.entities):
        value = _number(ent.get("value"))
        if value is None or value <= 0:
            continue
        if ent.get("entity") == "duration_min":
            if ent.get("role") == "transport":
                return {"m": round(value * TRANSPORT_M_PER_MIN)}
            return {"minutes": value}
        if ent.get("entity") == "distance_m":
            return {"m": value}
    if requested == METRO:
        value = _bare(turn)
        if value is not None and value > 0:
            # Nobody walks 60+ minutes to the metro, and nobody counts 60 metres.
            return {"minutes": value} if value <= 60 else {"m": value}
    return None


def _candidates(turn: Turn, slots: Dict[str, Any], requested: Optional[str]) -> Dict[str, Any]:
    """Slot → value, from everything this message carries."""
    out: Dict[str, Any] = {}
    types = [str(v) for v in turn.values("estate_type") if str(v) in TYPE_NAMES]
    if types:
        out[TYPE] = types[-1]
    deals = [str(v) for v in turn.values("deal") if str(v) in DEAL_NAMES]
    if deals:
        out[DEAL] = deals[-1]
    deal = out.get(DEAL, slots.get(DEAL))
    budget = _budget(turn, deal, requested)
    if budget is not None and budget > 0:
        out[BUDGET] = budget
    elif requested == BUDGET and (_is_any(turn) or _NO_LIMIT.search(turn.text or "")):
        out[BUDGET] = ANY  # «любой», «без ограничений»: searched without a price cap
    purposes = [str(v) for v in turn.values("purpose") if str(v) in PURPOSE_NAMES]
    if purposes:
        out[PURPOSE] = purposes[-1]
    percents = _numbers(turn, "percent")
    investing = PURPOSE in out or slots.get(PURPOSE) == "investment"
    if percents and (requested == MIN_IRR or _IRR_WORDS.search(turn.text) or investing):
        out[MIN_IRR] = percents[-1]
    elif requested == MIN_IRR and _bare(turn) is not None:
        out[MIN_IRR] = _bare(turn)
    elif _IRR_WORDS.search(turn.text or "") and (low := _bare(turn)) is not None and 0 < low < 100 and not _numbers(turn, "money_rub"):
        out[MIN_IRR] = low  # «доходность хотя бы 9» at another question: an investor's minimum
    if MIN_IRR in out and not percents and requested != MIN_IRR:
        # a minimum return is asked only of an investor who buys: the words say both
        out.setdefault(PURPOSE, slots.get(PURPOSE) or "investment")
        if slots.get(DEAL) is None:
            out.setdefault(DEAL, "sale")
    metro = _metro(turn, requested)
    areas = _numbers(turn, "area_m2")
    if requested == METRO and metro is None and areas:
        metro = {"m": areas[-1]}  # «500 метров» in answer to the metro question
        areas = []
    if metro is not None:
        out[METRO] = metro
    if areas:
        out[AREA] = areas[-1]
    elif requested == AREA and _bare(turn) is not None and BUDGET not in out:
        out[AREA] = _bare(turn)
    zones = [str(v) for v in turn.values("zone")]
    if zones:
        out[ZONE] = zones[-1] if zones[-1] in ("ttk", "mkad") else ANY
    classes = [str(v).upper().replace("А", "A").replace("В", "B").replace("Б", "B") for v in turn.values("estate_class")]
    classes = [c if c in ("A", "B") else ANY for c in classes]
    if classes == [ANY] and out.get(BUDGET) == ANY and requested == BUDGET:
        classes = []  # the lexicon's «любой» (класс) was the answer to the budget question
    if classes:
        out[CLASS] = classes[-1]
    finishes = [str(v) for v in turn.values("finish")]
    if finishes:
        out[FINISH] = "ready" if finishes[-1] == "ready" else ANY
    ready = [str(v) for v in turn.values("readiness")]
    if ready:
        out[READINESS] = "ready" if ready[-1] == "ready" else ANY
    stations: List[str] = []
    for v in turn.values("metro_station"):
        if str(v) not in stations:
            stations.append(str(v))
    if stations:
        out[STATION] = stations
    text = turn.text or ""
    places = pl.places_in(text)
    if places:
        out[PLACE] = places
        if out.get(ZONE) == "ttk" and not re.search(r"ттк|транспортн|садов|центр", text, re.I):
            del out[ZONE]  # the lexicon reads «ЦАО» as inside ТТК; the okrug itself is meant
    districts = pl.districts_in(text)
    if districts:
        out[DISTRICT] = districts
    if pl.says_sadovoe(text) and out.get(ZONE) in (None, "ttk"):
        out[ZONE] = "sadovoe"
    if not stations and METRO not in out and pl.says_near_metro(text):
        out[METRO] = {"minutes": NEAR_METRO_MINUTES}
    people = head_count(text)
    if people:
        low, high = area_for(people)
        out[AREA] = {"min": low, "max": high, "people": people}
    elif AREA in out or requested == AREA:
        span = find_range(text, "area_m2", bare=requested == AREA)
        if span and span[1] is not None:
            out[AREA] = {"min": span[0], "max": span[1]}
    if BUDGET in out and _PER_M2.search(text):
        # «до 500 тысяч за метр»: a price per m² (a rent per m² a month; «в год» is divided by 12)
        value = out[BUDGET] / (12 if deal == "rent" and _PER_YEAR.search(text) else 1)
        out[BUDGET] = {"max": value, "per_m2": True}
    elif BUDGET in out:
        span = find_range(text, "money_rub", bare=requested == BUDGET)
        if span and span[0] is not None and span[1] is not None:
            low, high = span[0], span[1]
            if requested == BUDGET and high < 1000 and not _numbers(turn, "money_rub"):
                factor = 1_000 if deal == "rent" else 1_000_000
                low, high = low * factor, high * factor
            out[BUDGET] = {"min": low, "max": high}
    # «не важно» / «любой» answers the optional question asked
    if requested in OPTIONAL and requested not in out and _is_any(turn, _ENTITY_OF.get(requested)):
        out[requested] = ANY
    # «вход с улицы, первый этаж» said at another question is a wish all the same: kept, not lost
    if requested != WISHES:
        wish = wish_clauses(text)
        old = str(slots.get(WISHES) or "")
        if wish and wish.lower() not in old.lower():
            out[WISHES] = f"{old}, {wish}" if old else wish
    return out


_LEADING = re.compile(r"^(?:(?:и|а|да|плюс|еще|ещё|также)\s+)+", re.I)
_CLAUSE = re.compile(r"[,;.!?\n]+|\s+(?:и|а\s+также|плюс)\s+", re.I)


def wish_clauses(text: Optional[str]) -> str:
    """The parts of a message that are wishes («вход с улицы», «с парковкой»), the finish aside: it is its own
    question. «» when there are none."""
    parts = []
    for part in _CLAUSE.split(text or ""):
        w = wl.parse(part)
        if (set(w.keys) - {"finish"}) or w.passed or w.max_floor is not None:
            parts.append(_LEADING.sub("", part.strip()))
    return ", ".join(parts)


_ENTITY_OF = {TYPE: "estate_type", ZONE: "zone", CLASS: "estate_class", FINISH: "finish", READINESS: "readiness",
              AREA: "area_m2", METRO: "distance_m", MIN_IRR: "percent"}

ASK_AGAIN = {
    TYPE: "Не понял, какое помещение. Напишите «офис», «торговое» или «любое».",
    DEAL: "Не понял. Напишите «купить» или «арендовать» или нажмите кнопку.",
    BUDGET: "Не понял бюджет. Напишите сумму, например: «500 тысяч» или «120 млн».",
    PURPOSE: "Не понял. «Для инвестиций» — если будете сдавать помещение, «для своего бизнеса» — если будете работать в нём сами.",
    MIN_IRR: "Напишите минимальный IRR в процентах, например: «10 %», или «не важно».",
    AREA: "Напишите минимальную площадь, например: «100 м²», или «не важно».",
    METRO: "Напишите, например: «10 минут пешком» или «500 метров», или «не важно».",
    ZONE: "Выберите зону: внутри ТТК, внутри МКАД или любая.",
    CLASS: "Не понял класс. Напишите «А», «В» или «любой».",
    FINISH: "Нужна только с отделкой или любая?",
    READINESS: "Не понял. Напишите «только готовые» или «можно строящиеся».",
    CONFIRMED: "Если всё верно, нажмите «Да, искать». Чтобы исправить, напишите, например: «бюджет 600 тысяч».",
}


def interpret(turn: Turn, slots: Dict[str, Any], requested: Optional[str]) -> Outcome:
    """Understand one answer: fill the asked slot and any other the message names, correct
    answered ones, and say what went wrong."""
    out = Outcome()
    if requested == CONFIRMED and turn.intent == "affirm":
        out.slots[CONFIRMED] = True
        out.understood = True
        return out
    found = _candidates(turn, slots, requested)
    if requested == WISHES:
        if turn.intent == "deny" or _NO_WISHES.match(turn.text or ""):
            found[WISHES] = ""
        elif _has_wishes(turn.text):
            # «вход с улицы, витрина» is a wish even when the NLU hears a question about zones:
            # the answer to this question changes nothing else (the finish it names is a filter too)
            found = {k: v for k, v in found.items() if k == FINISH}
            found[WISHES] = turn.text.strip()
        elif not found and turn.intent not in INTERRUPTIONS and (turn.text or "").strip():
            found[WISHES] = turn.text.strip()
    after = {**slots, **found}
    allowed = set(required_slots(after)) | set(EXTRA_SLOTS)
    for slot, value in found.items():
        if slot not in allowed:
            continue
        out.understood = True
        old = slots.get(slot)
        out.slots[slot] = value
        if old is not None and old != value and slot != requested and slot in NAMES:
            out.messages.append(f"Исправил: {NAMES[slot]} — {describe(slot, value, after)}.")
    # a new branch drops the answers that no longer apply
    if DEAL in out.slots and slots.get(DEAL) not in (None, out.slots[DEAL]):
        if BUDGET not in out.slots:
            out.slots[BUDGET] = None  # a monthly rent and a price are different sums
        for slot in (PURPOSE, MIN_IRR, READINESS):
            if slot not in out.slots:
                out.slots[slot] = None
    merged = {**slots, **out.slots}
    needed = set(required_slots(merged))
    for slot in VALUE_SLOTS:
        if slot not in needed and merged.get(slot) is not None:
            out.slots[slot] = None
    area = out.slots.get(AREA)
    if isinstance(area, dict) and area.get("people"):
        out.messages.append(
            f"На {count_words(area['people'], 'человек')} считаю {num(area['min'])}–{num(area['max'])} м² "
            f"(норма {num(M2_PER_PERSON[0])}–{num(M2_PER_PERSON[1])} м² на человека). Если нужно иначе, напишите площадь."
        )
    return close_reading(out, slots, turn, requested, confirmed=CONFIRMED, interruptions=INTERRUPTIONS,
                         ask_again=ASK_AGAIN, ignore=(CONFIRMED,),
                         what_to_fix="Что исправить? Напишите, например: «бюджет 600 тысяч» или «площадь от 150 м²».")


def _has_wishes(text: Optional[str]) -> bool:
    w = wl.parse(text or "")
    return bool(w.applied or w.passed)


def refine(turn: Turn, slots: Dict[str, Any]) -> Outcome:
    """A message while offers are shown («а у Профсоюзной?», «мне нужно у белорусской!», «от
    200 м²»): the values it names replace those of the last search, the rest stay. A new station
    replaces the stations and the okrug named before (and an okrug the stations): the client
    moved the search, not widened it."""
    out = interpret(turn, slots, None)
    out.messages = [m for m in out.messages if not m.startswith("Исправил")]
    changes = {k: v for k, v in out.slots.items() if v != slots.get(k)}
    # a new station, okrug or district moves the search: the other kinds of place named before go
    kinds = (STATION, PLACE, DISTRICT)
    for kind in kinds:
        if changes.get(kind):
            for other in kinds:
                if other != kind:
                    changes.setdefault(other, None)
    changes.pop(CONFIRMED, None)
    out.slots = changes
    out.understood = bool(changes)
    named = [str(v) for v in turn.values("metro_station")]
    if not changes and named and set(named) <= set(station_list(slots)):
        # «мне нужно у белорусской!» while the offers shown are there already
        out.messages = [f"Я уже ищу только у станции {', '.join(station_list(slots))}: все показанные предложения — "
                        "в пешей доступности от неё. Что изменить?"]
    return out


# ---------------------------------------------------------------- summary and criteria


def rub(value: Any) -> str:
    return f"{num(value, 0)} ₽"


def describe(slot: str, value: Any, slots: Dict[str, Any]) -> str:
    if value == ANY:
        return "не важно" if slot not in (TYPE, ZONE, FINISH, READINESS, CLASS) else {
            TYPE: "любое помещение", ZONE: "любая", FINISH: "любая", READINESS: "можно строящиеся", CLASS: "любой",
        }[slot]
    if slot == TYPE:
        return TYPE_NAMES.get(value, str(value))
    if slot == DEAL:
        return DEAL_NAMES.get(value, str(value))
    if slot == BUDGET and isinstance(value, dict) and value.get("per_m2"):
        return f"до {rub(value['max'])} за м²" + (" в месяц" if slots.get(DEAL) == "rent" else "")
    if slot == BUDGET:
        low, high = span_of(value, upper=True)
        text = f"от {rub(low)} до {rub(high)}" if low is not None and high is not None else f"до {rub(high)}"
        return text + (" в месяц" if slots.get(DEAL) == "rent" else "")
    if slot == PURPOSE:
        return PURPOSE_NAMES.get(value, str(value))
    if slot == MIN_IRR:
        return f"от {num(value)} %"
    if slot == AREA:
        low, high = span_of(value)
        if low is not None and high is not None:
            text = f"{num(low)}–{num(high)} м²"
        elif high is not None:
            text = f"до {num(high)} м²"
        else:
            text = f"от {num(low)} м²"
        if isinstance(value, dict) and value.get("people"):
            text += f" (на {count_words(value['people'], 'человек')})"
        return text
    if slot == METRO:
        if isinstance(value, dict) and "minutes" in value:
            return f"не дальше {num(value['minutes'])} мин пешком"
        if isinstance(value, dict) and "m" in value:
            return f"не дальше {num(value['m'], 0)} м"
    if slot == ZONE:
        return ZONE_NAMES.get(value, str(value))
    if slot == CLASS:
        return str(value)  # said after its name: «класс — A», never «класс — класс A»
    if slot == FINISH:
        return FINISH_NAMES.get(value, str(value))
    if slot == READINESS:
        return READINESS_NAMES.get(value, str(value))
    if slot == WISHES:
        if not value:
            return "нет"
        w = wl.parse(value)
        text = f"«{value}»"
        if w.applied:
            text += f"; учту в подборе: {', '.join(w.applied)}"
        if w.passed:
            text += f"; передам менеджеру: {', '.join(w.passed)}"
        elif not w.applied:
            text += " (передам менеджеру)"
        return text
    return str(value)


def span_of(value: Any, upper: bool = False):
    """(min, max) of an area or budget slot: a number (a minimum area, a maximum budget) or a range."""
    if isinstance(value, dict):
        return value.get("min"), value.get("max")
    if value in (None, ANY, ""):
        return None, None
    return (None, value) if upper else (value, None)


def budgets(slots: Dict[str, Any]):
    """(total budget, budget per m²) of the slots: one of them is None."""
    value = slots.get(BUDGET)
    if isinstance(value, dict) and value.get("per_m2"):
        return None, value.get("max")
    return span_of(value, upper=True)[1], None


def station_list(slots: Dict[str, Any]) -> List[str]:
    value = slots.get(STATION)
    if not value:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def summary(slots: Dict[str, Any]) -> str:
    lines = ["Проверьте, пожалуйста, что ищем:"]
    for slot in required_slots(slots):
        if slot == CONFIRMED or slots.get(slot) is None:
            continue
        lines.append(f"• {NAMES[slot]}: {describe(slot, slots[slot], slots)}")
    stations = station_list(slots)
    if stations:
        metro = raw if isinstance(raw := slots.get(METRO), dict) else {}
        how = describe(METRO, metro, slots).replace("не дальше ", "") if metro else f"{num(DEFAULT_STATION_MINUTES)} мин пешком"
        lines.append(f"• у метро: {', '.join(stations)} (до {how} от станции)")
    if slots.get(PLACE):
        lines.append(f"• район: {pl.place_phrase(slots[PLACE])}")
    if slots.get(DISTRICT):
        lines.append(f"• район: {', '.join(slots[DISTRICT])}")
    if slots.get(DEAL) == "rent" and slots.get(READINESS) is None:
        lines.append("• только то, что можно арендовать сейчас")
    lines.append("Всё верно?")
    return "\n".join(lines)


def _val(slots: Dict[str, Any], slot: str) -> Any:
    value = slots.get(slot)
    return None if value in (None, ANY, "") else value


def to_criteria(slots: Dict[str, Any]) -> Criteria:
    metro = raw if isinstance(raw := slots.get(METRO), dict) else {}
    wishes = slots.get(WISHES) or ""
    parsed = wl.parse(wishes)
    area_min, area_max = span_of(slots.get(AREA))
    budget_min, budget_max = span_of(slots.get(BUDGET), upper=True)
    per_m2 = None
    if isinstance(slots.get(BUDGET), dict) and slots[BUDGET].get("per_m2"):
        per_m2, budget_min, budget_max = slots[BUDGET]["max"], None, None
    deal = slots.get(DEAL) or "sale"
    readiness = slots.get(READINESS) or ("now" if deal == "rent" else ANY)
    return Criteria(
        deal=deal,
        type=slots.get(TYPE) or ANY,
        budget_rub=budget_max,
        min_budget_rub=budget_min,
        zone=slots.get(ZONE) or ANY,
        min_area_m2=area_min,
        max_area_m2=area_max,
        max_metro_minutes=metro.get("minutes"),
        max_metro_m=metro.get("m"),
        finish=slots.get(FINISH) or ANY,
        estate_class=slots.get(CLASS) or ANY,
        purpose=_val(slots, PURPOSE),
        min_irr=_val(slots, MIN_IRR),
        readiness=readiness,
        wishes=wishes,
        stations=tuple(station_list(slots)),
        places=tuple(p for p in (slots.get(PLACE) or []) if p in pl.PLACES),
        districts=tuple(slots.get(DISTRICT) or ()),
        wish=parsed.keys,
        max_floor=parsed.max_floor,
        max_price_per_m2=per_m2,
    )


def record(slots: Dict[str, Any], total: int) -> Dict[str, Any]:
    """The search as the conversation keeps it: under `wewall.crm.summary`'s names, with the count."""
    metro = raw if isinstance(raw := slots.get(METRO), dict) else {}
    area_min, area_max = span_of(slots.get(AREA))
    budget_min, budget_max = span_of(slots.get(BUDGET), upper=True)
    per_m2 = None
    if isinstance(slots.get(BUDGET), dict) and slots[BUDGET].get("per_m2"):
        per_m2, budget_min, budget_max = slots[BUDGET]["max"], None, None
    data = {
        "estate_type": slots.get(TYPE), "deal": slots.get(DEAL), "budget_rub": budget_max, "min_budget_rub": budget_min,
        "max_price_per_m2": per_m2,
        "zone": slots.get(ZONE), "min_area_m2": area_min, "max_area_m2": area_max,
        "place": (slots.get(PLACE) or []) + (slots.get(DISTRICT) or []) or None,
        "walk_minutes": metro.get("minutes"), "max_distance_m": metro.get("m"),
        "finish": slots.get(FINISH), "estate_class": {"A": "A", "B": "B", ANY: "любой"}.get(slots.get(CLASS) or ""),
        "purpose": slots.get(PURPOSE), "min_irr": _val(slots, MIN_IRR), "readiness": slots.get(READINESS),
        "wishes": slots.get(WISHES) or None, "stations": ", ".join(station_list(slots)) or None, "found": total,
    }
    return {k: v for k, v in data.items() if v is not None}


def reset_slots() -> Dict[str, Any]:
    return dict.fromkeys(ALL_SLOTS + EXTRA_SLOTS)


# ---------------------------------------------------------------- the offer card


def _readiness(value: Any) -> str:
    if value == "ready":
        return "здание введено"
    m = re.fullmatch(r"([1-4])Q(\d{4})", str(value or ""))
    if m:
        return f"ввод {m.group(1)} кв. {m.group(2)}"
    return "срок ввода уточняется"


def card(offer: Dict[str, Any], position: int, total: int, investor: bool = False, budget: Optional[float] = None,
         near: Optional[tuple] = None, similar: int = 0, budget_per_m2: Optional[float] = None) -> str:
    """The offer as the client sees it (search.md «Offer card»); never the link.

    `budget`: the client's maximum (an offer above it says by how much); `near`: (named station,
    metres) when the client named stations; `similar`: near-identical lots of the building folded in.
    """
    kind = {"office": "Офис", "retail": "Торговое помещение"}.get(offer.get("type") or "", "Помещение")
    if offer.get("estate_class"):
        kind += f", класс {offer['estate_class']}"
    deal = "аренда" if offer.get("deal") == "rent" else "продажа"
    lines = [f"{position} из {total}. {kind}, {deal}"]
    if offer.get("name"):
        lines.append(str(offer["name"]) + (f", {offer['address']}" if offer.get("address") else ""))
    if offer.get("area_m2") is not None:
        lines.append(f"Площадь: {num(offer['area_m2'])} м²")
    ppm = offer.get("price_per_m2")
    if offer.get("price_on_request") or (offer.get("price_rub") is None and offer.get("rent_rub_month") is None):
        lines.append("Цена: по запросу")
    elif offer.get("deal") == "rent":
        price = f"Аренда: {rub(offer['rent_rub_month'])} в месяц"
        if ppm:
            price += f" ({rub(ppm)} за м² в месяц)"
        lines.append(price)
    else:
        price = f"Цена: {rub(offer['price_rub'])}"
        if ppm:
            price += f" ({rub(ppm)} за м²)"
        lines.append(price)
    amount = offer.get("rent_rub_month") if offer.get("deal") == "rent" else offer.get("price_rub")
    if budget and amount and not offer.get("price_on_request") and amount > budget:
        over = amount - budget
        lines.append(f"Дороже вашего бюджета на {num(over / budget * 100, 0)} % ({rub(over)}).")
    if budget_per_m2 and ppm and not offer.get("price_on_request") and ppm > budget_per_m2:
        lines.append(f"Дороже вашей цены за м² на {num((ppm - budget_per_m2) / budget_per_m2 * 100, 0)} %.")
    metro = offer.get("metro") or []
    if near:
        lines.append(f"Метро: {near[0]}, {num(near[1], 0)} м (≈ {num(max(1, round(near[1] / WALK_M_PER_MIN)), 0)} мин пешком)")
    elif metro and isinstance(metro[0], dict) and metro[0].get("station"):
        station = f"Метро: {metro[0]['station']}"
        if metro[0].get("walk_minutes") is not None:
            station += f", {num(metro[0]['walk_minutes'], 0)} мин пешком"
        lines.append(station)
    if offer.get("zone") in CARD_ZONE:
        lines.append(f"Зона: {CARD_ZONE[offer['zone']]}")
    if offer.get("finish") in CARD_FINISH:
        lines.append(f"Отделка: {CARD_FINISH[offer['finish']]}")
    lines.append(f"Готовность: {_readiness(offer.get('readiness'))}")
    if offer.get("floor") is not None:
        lines.append(f"Этаж: {offer['floor']}")
    if investor and offer.get("irr_percent") is not None:
        lines.append(f"IRR при сдаче в аренду: {num(offer['irr_percent'])} %")
    if similar:
        lines.append(f"Ещё {count_words(similar, 'лот', 'похожий')} в этом БЦ — расскажет менеджер.")
    return "\n".join(lines)


def photos(offer: Dict[str, Any], limit: int = 10) -> List[str]:
    items = offer.get("photos") or []
    urls = [p if isinstance(p, str) else (p or {}).get("url") for p in items]
    return [u for u in urls if u][:limit]


def chosen(offer: Dict[str, Any]) -> Dict[str, Any]:
    """The offer for the manager's summary (`chosen_offer`): with its link."""
    keys = ("_id", "type", "deal", "estate_class", "name", "address", "area_m2", "price_rub", "rent_rub_month", "link")
    out = {k: offer.get(k) for k in keys if offer.get(k) is not None}
    out["_id"] = str(offer.get("_id"))
    metro = offer.get("metro") or []
    if metro and isinstance(metro[0], dict):
        out["metro"] = metro[0].get("station")
    return out


def found_phrase(n: int) -> str:
    return count_words(n, "вариант")


def relaxed_slots(slots: Dict[str, Any], relaxed: Dict[str, Any]) -> Dict[str, Any]:
    """The slot changes that turn the dialogue's criteria into a relaxation's (`Criteria.to_dict()`)."""
    c = to_criteria(slots).to_dict()
    out: Dict[str, Any] = {}
    if relaxed.get("deal") != c.get("deal"):
        out[DEAL] = relaxed.get("deal")
        for slot in (BUDGET, PURPOSE, MIN_IRR, READINESS):
            out[slot] = None if slot != BUDGET else ANY
        return out
    if relaxed.get("max_price_per_m2") != c.get("max_price_per_m2"):
        out[BUDGET] = {"max": relaxed["max_price_per_m2"], "per_m2": True} if relaxed.get("max_price_per_m2") else ANY
    budget = (relaxed.get("min_budget_rub"), relaxed.get("budget_rub"))
    if budget != (c.get("min_budget_rub"), c.get("budget_rub")):
        out[BUDGET] = {"min": budget[0], "max": budget[1]} if budget[0] else (budget[1] or ANY)
    area = (relaxed.get("min_area_m2"), relaxed.get("max_area_m2"))
    if area != (c.get("min_area_m2"), c.get("max_area_m2")):
        out[AREA] = {"min": area[0], "max": area[1]} if area[1] else (area[0] or ANY)
    if list(relaxed.get("stations") or []) != list(c.get("stations") or []):
        out[STATION] = list(relaxed.get("stations") or []) or None
    if list(relaxed.get("places") or []) != list(c.get("places") or []):
        out[PLACE] = list(relaxed.get("places") or []) or None
    if list(relaxed.get("districts") or []) != list(c.get("districts") or []):
        out[DISTRICT] = list(relaxed.get("districts") or []) or None
    if (relaxed.get("max_metro_minutes"), relaxed.get("max_metro_m")) != (c.get("max_metro_minutes"), c.get("max_metro_m")):
        if relaxed.get("max_metro_minutes"):
            out[METRO] = {"minutes": relaxed["max_metro_minutes"]}
        elif relaxed.get("max_metro_m"):
            out[METRO] = {"m": relaxed["max_metro_m"]}
        else:
            out[METRO] = ANY
    for key, slot in (("zone", ZONE), ("estate_class", CLASS), ("finish", FINISH), ("readiness", READINESS)):
        if relaxed.get(key) != c.get(key) and (slots.get(slot) is not None or key == "readiness"):
            out[slot] = relaxed.get(key)
    if relaxed.get("min_irr") != c.get("min_irr") and slots.get(MIN_IRR) is not None:
        out[MIN_IRR] = relaxed.get("min_irr") if relaxed.get("min_irr") is not None else ANY
    return out


# The parameters «Изменить параметры» offers, as button titles.
CHANGEABLE = [
    (BUDGET, "Бюджет"), (AREA, "Площадь"), (METRO, "До метро"), (ZONE, "Зона"), (CLASS, "Класс"),
    (FINISH, "Отделка"), (MIN_IRR, "IRR"), (READINESS, "Готовность"), (TYPE, "Тип"), (DEAL, "Сделка"),
]
PARAM_ALIASES = {
    "budget": BUDGET, "area": AREA, "metro": METRO, "zone": ZONE, "class": CLASS, "finish": FINISH,
    "irr": MIN_IRR, "readiness": READINESS, "type": TYPE, "deal": DEAL,
    "search_metro": METRO,  # a button shown before the slot's rename (docs/decisions/slot-names.md)
}
_PARAM_WORDS = [
    (re.compile(r"бюджет|цен|дорож|дешев|сумм", re.I), BUDGET), (re.compile(r"площад|метраж|квадрат", re.I), AREA),
    (re.compile(r"метро", re.I), METRO), (re.compile(r"зон|ттк|мкад|район", re.I), ZONE),
    (re.compile(r"класс", re.I), CLASS), (re.compile(r"отделк|ремонт", re.I), FINISH),
    (re.compile(r"irr|доходн", re.I), MIN_IRR), (re.compile(r"готовн|строя", re.I), READINESS),
    (re.compile(r"тип|офис|торгов", re.I), TYPE), (re.compile(r"аренд|покуп|купить|сделк", re.I), DEAL),
]


_CHEAPER = re.compile(r"дешевл|подешевл|бюджет\w*\s+(?:меньше|пониже|ниже)", re.I)
_COMPARE = re.compile(r"дороже|подороже|больше|побольше|меньше|поменьше|ближе|просторн|другой район|в другом", re.I)


_CLOSER = re.compile(r"(?:ближе|поближе|ближайш|рядом|недалеко|пешком)\W*(?:\w+\W+){0,3}?метро|метро\W+(?:\w+\W+){0,2}?(?:ближе|поближе)", re.I)


def metro_now(slots: Dict[str, Any]) -> str:
    """How far from the metro the search looks now: «у метро Павелецкая, до 15 мин пешком от станции»."""
    metro = raw if isinstance(raw := slots.get(METRO), dict) else {}
    how = describe(METRO, metro, slots).replace("не дальше ", "") if metro else None
    stations = station_list(slots)
    if stations:
        return f"у метро {', '.join(stations)}, до {how or f'{num(DEFAULT_STATION_MINUTES)} мин пешком'} от станции"
    return f"до метро {how}" if how else "без ограничения по расстоянию до метро"


METRO_HINT = "Напишите, насколько близко нужно, например «до 5 минут пешком» или «300 метров», — покажу, что найдётся."


def compare_hint(text: str, slots: Dict[str, Any]) -> Optional[str]:
    """«а есть дешевле?», «а побольше?» while offers are shown: the value to change, said with the one searched
    now, so that the next message («до 2 млн») refines the search. None: not such a question."""
    if _CLOSER.search(text or ""):
        return f"Сейчас ищу {metro_now(slots)}. {METRO_HINT}"
    if _CHEAPER.search(text or "") and slots.get(BUDGET) is not None:
        return (f"Сейчас ищу с бюджетом {describe(BUDGET, slots[BUDGET], slots)}. Напишите, сколько готовы платить, "
                "например «до 2 млн», — покажу, что найдётся.")
    if _CHEAPER.search(text or "") or _COMPARE.search(text or ""):
        return "Что изменить в поиске? Напишите новое значение, например «до 2 млн» или «площадь от 200 м²», или выберите:"
    return None


def changeable(slots: Dict[str, Any]) -> List[tuple]:
    needed = set(required_slots(slots))
    if station_list(slots):
        needed.add(METRO)  # the walk from the station named: «До метро» tightens it (`metro_by_text`)
    return [(slot, title) for slot, title in CHANGEABLE if slot in needed]


def metro_by_text(slot: Optional[str], slots: Dict[str, Any]) -> Optional[str]:
    """«До метро» with a station named: the form does not ask it (the station answers it), so the distance is
    asked here and the next message refines the search. None: the form asks the parameter itself."""
    if slot == METRO and station_list(slots) and slots.get(METRO) is None:
        return f"Сейчас ищу {metro_now(slots)}. {METRO_HINT}"
    return None


def param_from(turn: Turn, slots: Dict[str, Any]) -> Optional[str]:
    """Which parameter the client wants to change: a button's `search_param`, or the words."""
    for value in reversed(turn.values("search_param")):
        slot = PARAM_ALIASES.get(str(value), str(value))
        if slot in VALUE_SLOTS:
            return slot
    needed = set(required_slots(slots))
    for pattern, slot in _PARAM_WORDS:
        if pattern.search(turn.text or "") and slot in needed:
            return slot
    return None
