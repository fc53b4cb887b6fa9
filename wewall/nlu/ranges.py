"""Ranges and head counts in a message, on top of `quantities`: «30-50 м2», «от 100 до 150»,
«до 2 млн», «от 200 м²», «на 15 человек».

`extract_quantities` gives Rasa one entity per Rasa token, so «30-50 м2» (one token) keeps only
50; here the unsnapped entities of the same passes are read with the words around them:

* two numbers of one kind joined by «-», «–», «до» → (min, max);
* «от N» → min; «до N», «не больше/не более/максимум N» → max;
* a lone area is a minimum (the bot asks «площадь от …»), a lone sum is a maximum (a budget).

`kind` is "area_m2" or "money_rub"; `bare` lets a unitless range answer the question asked
(«100-150» to «какая площадь?»). The calculation dialogue keeps its own reading of numbers.
"""

from __future__ import annotations

import itertools
import re
from typing import Optional, Tuple

from wewall.nlu import quantities as q

I = re.IGNORECASE  # noqa: E741 (re.I's own name)
_LINK = re.compile(r"^\s*(?:-|–|—|до|по)\s*$", I)
_FROM = re.compile(r"(?:^|\s)(?:от|(?<!не\s)более|(?<!не\s)больше|не\s+меньше|не\s+менее|минимум|свыше|с)\s*$", I)
_TO = re.compile(r"(?:^|\s)(?:до|не\s+больше|не\s+более|максимум|не\s+дороже|в\s+пределах|(?<!не\s)меньше|(?<!не\s)менее)\s*$", I)
_PEOPLE = re.compile(
    r"(?:на|для|команд\w*\s+(?:из|в)?|штат\w*)\s*(\d{1,4})\s*(?:-?\s*(?:ти|х|и|ми))?\s*"
    r"(?:человек|чел\b|сотрудник\w*|работник\w*|рабочих\s+мест|рабочие\s+места|мест\b|персон)"
    r"|(\d{1,4})\s*(?:человек|сотрудник\w*|работник\w*|рабочих\s+мест)",
    I,
)

# m² per person: 8 for an open space, 10 with meeting rooms and a kitchen (common office norms).
M2_PER_PERSON = (8.0, 10.0)

Range = Tuple[Optional[float], Optional[float]]


def _entities(text: str):
    s = q._Sentence(text)
    if not s.numbers:
        return s, []
    q._quarters(s)
    q._classify(s)
    return s, sorted(s.entities, key=lambda e: e["start"])


def find_range(text: str, kind: str, bare: bool = False) -> Optional[Range]:
    """(min, max) of the `kind` quantity in `text` (either may be None), or None if absent."""
    if not text:
        return None
    s, ents = _entities(text)
    ents = [e for e in ents if e["entity"] in (kind, "number") and isinstance(e["value"], (int, float))]
    for a, b in itertools.pairwise(ents):
        # «площадь 100-150»: the context types one end, the other is a bare number
        typed = kind in (a["entity"], b["entity"]) or bare
        if typed and _LINK.match(s.text[a["end"]:b["start"]]) and a["value"] <= b["value"]:
            return float(a["value"]), float(b["value"])
    if not bare or any(e["entity"] == kind for e in ents):
        ents = [e for e in ents if e["entity"] == kind]
    if not ents:
        return None
    e = ents[-1]
    before = s.text[max(0, e["start"] - 20):e["start"]]
    if _FROM.search(before):
        return float(e["value"]), None
    if _TO.search(before):
        return None, float(e["value"])
    return (float(e["value"]), None) if kind == "area_m2" else (None, float(e["value"]))


def head_count(text: str) -> Optional[int]:
    """«на 15 человек», «команда из 20 сотрудников», «12 рабочих мест» → the number."""
    m = _PEOPLE.search(text or "")
    if not m:
        return None
    n = int(m.group(1) or m.group(2))
    return n if 0 < n <= 5000 else None


def area_for(people: int) -> Range:
    return people * M2_PER_PERSON[0], people * M2_PER_PERSON[1]
