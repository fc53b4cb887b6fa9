"""The viewing contact form, apart from Rasa: name, phone (normalised to +7XXXXXXXXXX with
`phonenumbers`), a convenient date and time as free text, and the consent before sending.

Slot names are the ones `wewall.crm.summary` reads: `person_name`, `phone`, `viewing_time`.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from wewall.dialogue import search
from wewall.dialogue.answers import close_reading
from wewall.dialogue.calculation import Turn
from wewall.dialogue.search import Outcome  # the same shape of answer as the search form's
from wewall.text import finite, num

NAME = "person_name"
PHONE = "phone"
TIME = "viewing_time"
CONFIRMED = "book_viewing_confirmed"
ALL_SLOTS = [NAME, PHONE, TIME, CONFIRMED]

CONSENT = "Отправляя данные, вы соглашаетесь на их обработку; я передам их менеджеру."
INTERRUPTIONS = {"faq", "show_faq", "help", "about", "out_of_scope", "greet", "thank", "goodbye",
                 "request_calculation", "request_search", "request_analogs", "start", "request_manager",
                 "cancel", "go_back"}

_NAME_PREFIX = re.compile(r"^\s*(меня\s+зовут|зовут|я|это|моё\s+имя|мое\s+имя|имя)\s*[:\-–—]?\s+", re.I)
_NAME_WORD = re.compile(r"^[A-Za-zА-Яа-яЁё][A-Za-zА-Яа-яЁё\-]*$")


def normalize_phone(text: str) -> Optional[str]:
    """+7XXXXXXXXXX for a Russian number written any usual way, else None.

    «8 (916) 123-45-67», «+7 916 1234567», «9161234567» → «+79161234567».
    """
    import phonenumbers

    if not text or sum(c.isdigit() for c in text) < 10:
        return None
    from wewall.nlu.contacts import extract_phones

    found = extract_phones(text)
    if found:
        return found[0]["value"]
    digits = re.sub(r"[^\d+]", "", text)
    if len(digits) == 10 and digits.isdigit():
        digits = "+7" + digits
    elif len(digits) == 11 and digits[0] in "78":
        digits = "+7" + digits[1:]
    try:
        number = phonenumbers.parse(digits, "RU")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 7 or not phonenumbers.is_valid_number(number):
        return None
    value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return value if re.fullmatch(r"\+7\d{10}", value) else None


def _looks_like_a_name(word: str) -> bool:
    """A first name, surname or patronymic by the dictionary, or a capitalised word the dictionary
    does not know (a rare name); never an ordinary word («позовите», «человека», «ээээ»)."""
    from wewall.nlu.morph import analyzer

    parses = analyzer().parse(word)
    if any(p.is_known and {"Name", "Surn", "Patr"} & set(p.tag.grammemes) for p in parses[:3]):
        return True
    return word[:1].isupper() and not any(p.is_known for p in parses)


def _name_from_text(text: str) -> Optional[str]:
    words = _NAME_PREFIX.sub("", text or "").strip(" .,!?«»\"").split()
    if 1 <= len(words) <= 3 and all(_NAME_WORD.match(w) for w in words) and any(_looks_like_a_name(w) for w in words):
        return " ".join(w[:1].upper() + w[1:] for w in words)
    return None


_DAY = (r"(?:сегодня|завтра|послезавтра|понедельник\w*|вторник\w*|сред[уаые]|четверг\w*|пятниц\w*|суббот\w*|"
        r"воскресень\w*|выходн\w*|на\s+(?:этой|следующей)\s+неделе)")
_HOUR = r"(?:(?:в|к|после|до|с|около)\s+)?\d{1,2}(?:[:.]\d{2})?(?:\s*(?:час\w*|утра|вечера|дня))?"
_PART = r"(?:утром|днем|днём|вечером|после\s+обеда|до\s+обеда|в\s+обед)"
_TIME = re.compile(rf"(?:\b(?:в|во|на)\s+)?\b{_DAY}\b(?:\s+(?:{_PART}|{_HOUR})\b)*", re.I)


def time_in(text: str) -> Optional[str]:
    """«завтра в 11», «в пятницу после обеда»: a day (with its hour) written among other facts."""
    found = _TIME.search(re.sub(r"\+?\d[\d\s()\-]{9,}", " ", text or ""))  # not the phone's digits
    return found.group(0).strip() if found else None


def required_slots(slots: Dict[str, Any]) -> List[str]:
    return list(ALL_SLOTS)


def next_slot(slots: Dict[str, Any]) -> Optional[str]:
    return next((s for s in ALL_SLOTS if slots.get(s) is None), None)


def previous_slot(slots: Dict[str, Any], requested: Optional[str]) -> Optional[str]:
    return search.previous_slot_in(ALL_SLOTS, CONFIRMED, slots, requested)


ASK_AGAIN = {
    NAME: "Не понял имя. Напишите, как к вам обращаться, например: «Анна».",
    PHONE: "Не понял номер. Напишите российский номер, например: «+7 916 123-45-67» или «8 (916) 123-45-67».",
    TIME: "Это не похоже на время. Напишите день и час, например: «завтра после 15:00» или «в любой будний день».",
    CONFIRMED: "Нажмите «Отправить», чтобы передать данные менеджеру, или напишите, что исправить.",
}


def interpret(turn: Turn, slots: Dict[str, Any], requested: Optional[str]) -> Outcome:
    out = Outcome()
    text = (turn.text or "").strip()
    if requested == CONFIRMED and turn.intent in ("affirm", "book_viewing"):
        out.slots[CONFIRMED] = True
        out.understood = True
        return out
    phones = [str(v) for v in turn.values("phone")]
    phone = phones[-1] if phones else None
    if phone is None and (requested == PHONE or requested == CONFIRMED):
        phone = normalize_phone(text)
    if phone:
        out.slots[PHONE] = phone
    elif requested == PHONE and sum(c.isdigit() for c in text) >= 5:
        out.understood = True
        out.messages.append(ASK_AGAIN[PHONE])
    names = [str(v) for v in turn.values("person_name")]
    name = names[-1] if names else None
    if name is None and requested == NAME and turn.intent not in INTERRUPTIONS:
        name = _name_from_text(re.sub(r"[\d+()\-]{5,}.*$", "", text).strip(" ,"))
    if name:
        out.slots[NAME] = name
    if requested == TIME and not out.slots and text and turn.intent not in INTERRUPTIONS | {"affirm", "deny"}:
        out.slots[TIME] = text  # any words, but a bare «да» or «нет» is not a time
    elif requested != TIME:
        when = time_in(text)
        if when:
            out.slots[TIME] = when  # «хочу посмотреть завтра в 11, я Петр 8999…»: the time comes with the rest
    for slot, value in out.slots.items():
        out.understood = True
        old = slots.get(slot)
        if old is not None and old != value and slot != requested:
            label = {NAME: "имя", PHONE: "телефон", TIME: "удобное время"}[slot]
            out.messages.append(f"Исправил: {label} — {spoken_phone(value) if slot == PHONE else value}.")
    return close_reading(out, slots, turn, requested, confirmed=CONFIRMED, interruptions=INTERRUPTIONS,
                         ask_again=ASK_AGAIN, what_to_fix="Что исправить? Напишите новое имя, телефон или время.")


def spoken_phone(phone: Any) -> str:
    """«+79161234567» as people write it: «+7 916 123-45-67»."""
    text = str(phone or "")
    d = text[2:]
    return f"+7 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}" if text.startswith("+7") and len(d) == 10 and d.isdigit() else text


# «Москва, ЦАО, р-н Таганский, м. Таганская, улица …»: the parts before the street say nothing a card did not
_ADDRESS_HEAD = re.compile(r"^(?:\s*(?:г\.\s*)?москва|\s*[а-яё]*ао|\s*р-н\s+[^,]+|\s*район\s+[^,]+|\s*м\.\s*[^,]+|\s*поселение\s+[^,]+)\s*,", re.I)


def offer_title(offer: Optional[Dict[str, Any]]) -> str:
    """The chosen offer as the client can tell it from the others of the same building: its name, street and
    area («Помещение свободного назначения, улица Большие Каменщики, 6С1, 31 м²»). «» without an offer."""
    if not offer:
        return ""
    address = str(offer.get("address") or "")
    while (m := _ADDRESS_HEAD.match(address)) is not None:
        address = address[m.end():].strip()
    parts = [str(p) for p in (offer.get("name"), address) if p]
    area = offer.get("area_m2")
    if isinstance(area, (int, float)) and not isinstance(area, bool) and finite(area):
        parts.append(f"{num(area)} м²")
    return ", ".join(parts)


def summary(slots: Dict[str, Any], offer: Optional[Dict[str, Any]] = None) -> str:
    lines = ["Проверьте, пожалуйста:"]
    if offer_title(offer):
        lines.append(f"• объект: {offer_title(offer)}")
    lines += [
        f"• имя: {slots.get(NAME) or '—'}",
        f"• телефон: {spoken_phone(slots.get(PHONE)) or '—'}",
        f"• удобное время: {slots.get(TIME) or '—'}",
        CONSENT,
    ]
    return "\n".join(lines)
