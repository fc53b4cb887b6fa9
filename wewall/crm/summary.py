"""The hand-over summary a manager reads in amoCRM: pure, from the conversation's slots.

Features record what they learn in slots; this module reads them defensively (any may be
missing, None, or of an unexpected type) under the names of the NLU catalogue and the
features' own records, and writes short Russian lines. Nothing here is shown to the client:
the offer's link belongs here (search.md: for managers only).

What it reads (the slots of the domain, nothing else):
- contacts: `person_name`, `phone`, `viewing_time` (the viewing form, wewall.dialogue.contacts);
- search: `search_record`, the last search run (wewall.dialogue.search.record), or, before any
  search ran, the search form's own slots read the same way;
- the last calculation: `calc_result` (the calculator's record: inputs, rent_irr, sale_irr,
  verdict). The calculation's own `calc_…` slots are never read as search criteria;
- the chosen offer: `chosen_offer` (name, address, link, area_m2, price_rub, rent_rub_month, metro…).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Mapping, Optional

from wewall import text as fmt
from wewall import vocabulary as V

REASONS = {
    "request": "Клиент попросил связаться с менеджером.",
    "viewing": "Клиент хочет записаться на просмотр.",
    "vat": "Нужен расчёт с НДС 20 % (ОСНО): бот такой расчёт не делает.",
    "fallback": "Бот не смог помочь клиенту.",
    "callback": "Клиент оставил номер и просит перезвонить.",
}

MAX_SUMMARY = 3500


def _dict(value: Any) -> Dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return fmt.finite(value)  # NaN, 1e309, 400 digits from a payload: not a number (issue #22)
    if isinstance(value, str):
        try:
            return fmt.finite(float(value.replace("\u202f", "").replace(" ", "").replace(",", ".")))
        except ValueError:
            return None
    return None


def num(value: Any, decimals: int = 1) -> str:
    """12000000 → «12 000 000», 33.33 → «33,3»; a non-number as it is."""
    x = _number(value)
    # amoCRM shows plain spaces well; the bot's narrow no-break space is for Telegram.
    return str(value) if x is None else fmt.num(x, decimals, thousands=" ")


def rub(value: Any) -> str:
    return f"{num(value, 0)} ₽" if _number(value) is not None else str(value)


def _clean(text: Any, limit: int = 300) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def contact_lines(slots: Mapping[str, Any]) -> List[str]:
    name, phone, when = (slots.get(k) for k in ("person_name", "phone", "viewing_time"))
    parts = []
    if name:
        parts.append(f"имя {_clean(name, 100)}")
    if phone:
        parts.append(f"телефон {_clean(phone, 40)}")
    if when:
        parts.append(f"удобное время {_clean(when, 100)}")
    return [f"Контакты: {', '.join(parts)}."] if parts else []


def search_record(slots: Mapping[str, Any]) -> Dict[str, Any]:
    """The last search run, or the search form's answers so far when none ran yet."""
    record = _dict(slots.get("search_record"))
    if record:
        return record
    from wewall.dialogue import search as sd

    answers = {k: slots.get(k) for k in sd.ALL_SLOTS + sd.EXTRA_SLOTS if k != sd.CONFIRMED}
    if not any(v not in (None, "", [], {}) for v in answers.values()):
        return {}
    found = sd.record(answers, 0)
    found.pop("found", None)
    return found


def search_lines(slots: Mapping[str, Any]) -> List[str]:
    params = search_record(slots)
    out: List[str] = []

    def add(label: str, value: Any) -> None:
        if value not in (None, "", [], {}):
            out.append(f"{label} {value}")

    kind = params.get("estate_type")
    if kind:
        add("тип:", V.label(V.ESTATE_TYPES, kind))
    deal = params.get("deal")
    if deal:
        add("сделка:", V.label(V.DEALS, deal))
    budget = params.get("budget_rub")
    if budget is not None:
        suffix = " в месяц" if str(deal) == "rent" else ""
        add("бюджет: до", rub(budget) + suffix)
    ppm = params.get("max_price_per_m2")
    if ppm is not None:
        add("цена за м²: до", rub(ppm) + (" в месяц" if str(deal) == "rent" else ""))
    zone = params.get("zone")
    if zone:
        add("зона:", V.label(V.ZONES, zone))
    area = params.get("min_area_m2")
    area_max = params.get("max_area_m2")
    if area is not None:
        add("площадь: от", f"{num(area)}" + (f" до {num(area_max)}" if area_max is not None else "") + " м²")
    elif area_max is not None:
        add("площадь: до", f"{num(area_max)} м²")
    place = params.get("place")
    if place:
        add("район:", V.label({"city": "Москва-Сити"}, place))
    station = params.get("stations")
    if station:
        add("метро:", _clean(station, 60))
    minutes = params.get("walk_minutes")
    meters = params.get("max_distance_m")
    if minutes is not None:
        add("до метро: не больше", f"{num(minutes)} мин пешком")
    elif meters is not None:
        add("до метро: не больше", f"{num(meters, 0)} м")
    finish = params.get("finish")
    if finish:
        add("отделка:", V.label(V.SEARCH_FINISHES, finish))
    klass = params.get("estate_class")
    if klass:
        add("класс:", V.label({}, klass))
    purpose = params.get("purpose")
    if purpose:
        add("цель:", V.label(V.PURPOSES, purpose))
    irr = params.get("min_irr")
    if irr is not None:
        add("IRR: от", f"{num(irr)} %")
    readiness = params.get("readiness")
    if readiness:
        add("готовность:", V.label(V.SEARCH_READINESS, readiness))
    wishes = params.get("wishes")
    if wishes:
        add("пожелания:", f"«{_clean(wishes, 300)}»")
    if not (kind or deal or budget is not None or area is not None):
        return []  # a class or a zone alone is not a search
    return ["Подбор: " + "; ".join(out) + "."]


def calculation_lines(slots: Mapping[str, Any]) -> List[str]:
    record = _dict(slots.get("calc_result"))
    if not record:
        return []
    inputs = _dict(record.get("inputs"))
    head = []
    if inputs.get("kind"):
        head.append(V.label(V.KIND_NAMES, inputs["kind"]))
    if inputs.get("area_m2") is not None:
        head.append(f"{num(inputs['area_m2'])} м²")
    if inputs.get("price_per_m2") is not None:
        head.append(f"{rub(inputs['price_per_m2'])} за м²")
    if inputs.get("estate_class"):
        head.append(f"класс {inputs['estate_class']}")
    if inputs.get("metro_station"):
        station = f"м. {_clean(inputs['metro_station'], 60)}"
        if inputs.get("distance_to_metro_m") is not None:
            station += f", {num(inputs['distance_to_metro_m'], 0)} м"
        head.append(station)
    if inputs.get("repairs"):
        head.append(V.label(V.REPAIRS_NAMES, inputs["repairs"]))
    if inputs.get("readiness"):
        head.append(f"ввод {inputs['readiness']}")
    if inputs.get("nds_rate") is not None:
        head.append(f"НДС {num(inputs['nds_rate'])} %")
    results = []
    for key, label in (("rent_irr", "IRR при аренде"), ("sale_irr", "IRR при продаже")):
        if _number(record.get(key)) is not None:
            results.append(f"{label} {num(record[key])} %")
    verdict = record.get("verdict")
    if isinstance(verdict, Mapping):
        verdict = verdict.get("text")
    line = "Расчёт доходности: " + (", ".join(head) if head else "параметры не сохранены")
    if results:
        line += "; " + ", ".join(results)
    if verdict:
        line += f" ({_clean(verdict, 120).rstrip('.')})"
    return [line + "."]


def offer_lines(slots: Mapping[str, Any]) -> List[str]:
    offer = _dict(slots.get("chosen_offer"))
    link = offer.get("link")
    if not offer and not link:
        return []
    parts = []
    kind = offer.get("type")
    if kind:
        parts.append(V.label(V.ESTATE_TYPES, kind))
    if offer.get("estate_class"):
        parts.append(f"класс {offer['estate_class']}")
    for key in ("name", "address"):
        if offer.get(key):
            parts.append(_clean(offer[key], 120))
    if offer.get("area_m2") is not None:
        parts.append(f"{num(offer['area_m2'])} м²")
    if offer.get("price_rub") is not None:
        parts.append(rub(offer["price_rub"]))
    elif offer.get("rent_rub_month") is not None:
        parts.append(f"{rub(offer['rent_rub_month'])} в месяц")
    metro = offer.get("metro")
    if isinstance(metro, list) and metro and isinstance(metro[0], Mapping):
        metro = metro[0].get("station")
    if isinstance(metro, str) and metro:
        parts.append(f"м. {_clean(metro, 60)}")
    offer_id = offer.get("_id") or offer.get("id")
    if offer_id is not None:
        parts.append(f"id {offer_id}")
    line = "Выбранное предложение: " + (", ".join(parts) if parts else "без описания")
    if link:
        line += f". Ссылка: {_clean(link, 500)}"
    return [line + ("" if line.endswith(".") else ".")]


def build_summary(slots: Optional[Mapping[str, Any]], *, reason: str = "request",
                  channel: Optional[str] = None, sender_id: Optional[str] = None,
                  now: Optional[dt.datetime] = None) -> str:
    """The summary text for the lead: why, who, what was searched, computed and chosen."""
    slots = slots if isinstance(slots, Mapping) else {}
    if reason == "request" and slots.get("book_viewing_confirmed") is True:
        reason = "viewing"  # the viewing contact form ends in the hand-over (actions/search_form.py)
    lines = ["WEWALL AI: передача клиента менеджеру.", REASONS.get(reason, _clean(reason, 200))]
    sections = []
    for part in (contact_lines, search_lines, calculation_lines, offer_lines):
        try:
            sections += part(slots)
        except Exception:  # a malformed record must not cost the hand-over
            continue
    lines += sections or ["Параметров в диалоге нет: уточните у клиента, что ему нужно."]
    where = []
    if channel:
        where.append(f"канал {channel}")
    if sender_id:
        from wewall.channels.identity import short  # a web session is not shown in full

        where.append(f"id {short(sender_id)}")
    if where:
        lines.append("Диалог: " + ", ".join(where) + ".")
    if now is not None:
        lines.append(f"Время: {now.strftime('%d.%m.%Y %H:%M')}.")
    text = "\n".join(lines)
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"
