"""Contacts in free text: phone numbers and a person's name.

    >>> extract_phones("мой номер 8 (916) 123-45-67")
    [{'entity': 'phone', 'value': '+79161234567', 'start': 10, 'end': 27, 'text': '8 (916) 123-45-67'}]

Entities are Rasa-style dicts ``{"entity", "value", "start", "end", "text"}`` with character
offsets into the original text.  Pure Python: ``phonenumbers``, natasha (its NER and morphology
models ship inside the wheels), pymorphy2; no Rasa.

``phone``
    Found by ``phonenumbers.PhoneNumberMatcher`` (region RU, leniency VALID), so «8 (916)
    123-45-67», «+7 916 1234567», «89161234567», «9161234567», «8-916-123-45-67» are read and
    short or impossible numbers are not.  Only numbers of country code 7 are accepted (the
    value must be ``+7XXXXXXXXXX``).  The span is the number as written; the value is E.164.

``person_name``
    natasha's ``NewsNERTagger`` PER spans, value = the name as written.  NER costs a few
    milliseconds and the models take ~1 s to load, so it runs only when the text plausibly has
    a name: a capitalised word (not all-caps) that pymorphy2 reads as a first name, surname or
    patronymic, or does not know at all («Хочу офис у Белорусской» never reaches NER).
    NER spans are trimmed of words that are not name-like («Позовите Марка» → «Марка») and
    dropped when no word in them is name-like («компания Ромашка»).  Lowercase text, where NER
    is blind, is covered by a cue rule: after «меня зовут», «зовут», «моё имя», «имя», «я»,
    «это» the following one to three words that pymorphy2's dictionary reads as Name/Surn/Patr
    («меня зовут анна петрова»).  A message that is nothing but such words, one of them a
    first name («Анна», «Иван Петров»), is a name; «Маяковская» or «Полежаевская» are not.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

__all__ = ["extract_contacts", "extract_person_names", "extract_phones"]

_NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})
# Cues that the next words are the writer's name.
_CUES: Tuple[Tuple[str, ...], ...] = (
    ("меня", "зовут"),
    ("зовут",),
    ("моё", "имя"),
    ("мое", "имя"),
    ("имя",),
    ("я",),
    ("это",),
    ("уважением",),
    ("звать",),
    ("контактное", "лицо"),
)
# Words that are names in pymorphy2 but almost never one in our messages.
_NOT_NAMES = frozenset({"марта", "мая", "роза", "вера", "надежда", "любовь", "слава", "лев", "лилия",
                        "аэропорт", "сокол", "динамо", "спартак", "мир", "ник", "кира", "макс", "ян",
                        "хай", "бай", "ку", "лям"})
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")

_lock = threading.Lock()
_models = None


from wewall.nlu.morph import analyzer as _analyzer  # noqa: E402


def _natasha():
    """(Segmenter, NewsNERTagger), built once."""
    global _models
    if _models is None:
        with _lock:
            if _models is None:
                from natasha import NewsNERTagger, Segmenter

                from wewall.nlu.embeddings import load_navec

                # the featurizer's navec, not a second copy of the same file (NewsEmbedding())
                _models = (Segmenter(), NewsNERTagger(load_navec()))
    return _models


# ---------------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------------
def extract_phones(text: Optional[str]) -> List[Dict]:
    """Russian phone numbers, value normalised to +7XXXXXXXXXX."""
    if not text or sum(c.isdigit() for c in text) < 10:
        return []
    import phonenumbers

    out = []
    for m in phonenumbers.PhoneNumberMatcher(text, "RU", leniency=phonenumbers.Leniency.VALID):
        number = m.number
        if number.country_code != 7:
            continue
        value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if not re.fullmatch(r"\+7\d{10}", value):
            continue
        out.append({"entity": "phone", "value": value, "start": m.start, "end": m.end, "text": m.raw_string})
    return out


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=20_000)
def _name_like(word: str) -> bool:
    """pymorphy2's dictionary reads the word as a first name, surname or patronymic.

    Guesses for unknown words do not count («хелло», «пасиба» would be surnames)."""
    low = word.lower()
    if low in _NOT_NAMES or not _analyzer().word_is_known(low):
        return False
    for p in _analyzer().parse(low):
        if p.tag.grammemes & _NAME_GRAMMEMES and p.score >= 0.1:
            return True
    return False


@lru_cache(maxsize=20_000)
def _first_name(word: str) -> bool:
    """A dictionary first name («Анна», «Иван»)."""
    low = word.lower()
    if low in _NOT_NAMES or not _analyzer().word_is_known(low):
        return False
    return any("Name" in p.tag.grammemes and p.score >= 0.1 for p in _analyzer().parse(low))


@lru_cache(maxsize=20_000)
def _unknown(word: str) -> bool:
    return not _analyzer().word_is_known(word.lower())


def _words(text: str) -> List[Tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and word[1:2].islower()


def _worth_ner(text: str, words: List[Tuple[str, int, int]]) -> bool:
    """NER only sees capitals; lowercase names are the cue rule's business."""
    return any(_capitalised(w) and (_name_like(w) or _unknown(w)) for w, _, _ in words)


def _ner_spans(text: str) -> List[Tuple[int, int]]:
    from natasha import Doc

    segmenter, tagger = _natasha()
    doc = Doc(text)
    doc.segment(segmenter)
    doc.tag_ner(tagger)
    out = []
    for span in doc.spans:
        if span.type != "PER":
            continue
        words = [(w, span.start + s, span.start + e) for w, s, e in _words(text[span.start:span.stop])]
        # trim words that are not name-like at the edges («Позовите Марка» → «Марка»)
        keep = [w for w in words if _capitalised(w[0]) and (_name_like(w[0]) or _unknown(w[0]))]
        if not keep:
            continue
        while words and words[0] is not keep[0]:
            words.pop(0)
        while words and words[-1] is not keep[-1]:
            words.pop()
        out.append((words[0][1], words[-1][2]))
    return out


def _cue_spans(words: List[Tuple[str, int, int]]) -> List[Tuple[int, int]]:
    out = []
    lows = [w.lower() for w, _, _ in words]
    for i in range(len(words)):
        for cue in _CUES:
            n = len(cue)
            if tuple(lows[i:i + n]) != cue:
                continue
            j = i + n
            k = j
            while k < len(words) and k - j < 3 and _name_like(words[k][0]):
                k += 1
            if k > j:
                out.append((words[j][1], words[k - 1][2]))
            break
    return out


def _only_names(words: List[Tuple[str, int, int]]) -> List[Tuple[int, int]]:
    if 1 <= len(words) <= 3 and all(_name_like(w) for w, _, _ in words) and any(_first_name(w) for w, _, _ in words):
        return [(words[0][1], words[-1][2])]
    return []


def extract_person_names(text: Optional[str]) -> List[Dict]:
    """A person's name (PER), value = the name as written."""
    if not text or not text.strip():
        return []
    words = _words(text)
    if not words:
        return []
    spans = _cue_spans(words) + _only_names(words)
    if _worth_ner(text, words):
        spans += _ner_spans(text)
    # longest first, no overlaps, text order
    chosen: List[Tuple[int, int]] = []
    for s, e in sorted(set(spans), key=lambda x: (-(x[1] - x[0]), x[0])):
        if all(e <= cs or s >= ce for cs, ce in chosen):
            chosen.append((s, e))
    chosen.sort()
    return [{"entity": "person_name", "value": text[s:e], "start": s, "end": e, "text": text[s:e]} for s, e in chosen]


def extract_contacts(text: Optional[str]) -> List[Dict]:
    """Phones and names together, in text order (a name never overlaps a phone)."""
    phones = extract_phones(text)
    names = [n for n in extract_person_names(text)
             if all(n["end"] <= p["start"] or n["start"] >= p["end"] for p in phones)]
    return sorted(phones + names, key=lambda e: e["start"])
