"""All our rule-based entity extractors behind one call, with overlaps resolved.

Order of trust when two spans overlap: a phone number beats the numbers inside it, a typed
quantity beats a station or a word («Парк Победы» never holds a number, «5 минут» is never a
station), a station beats the lexicon («Аэропорт», «Деловой центр»), and a bare `number`
loses to everything.
"""

from __future__ import annotations

from typing import Callable, Iterable, List, Sequence

from wewall.nlu.translit import to_cyrillic

PRIORITY = {
    "phone": 0,
    "area_m2": 1, "money_rub": 1, "percent": 1, "duration_min": 1, "distance_m": 1, "quarter": 1,
    "metro_station": 2,
    "estate_class": 3, "estate_type": 3, "deal": 3, "purpose": 3, "zone": 3, "finish": 3, "readiness": 3,
    "person_name": 4,
    "number": 5,
}


# A name or a phone is never read from a transliteration: «igor» is no name natasha knows, digits
# are digits in any alphabet.
NOT_FROM_TRANSLIT = {"person_name", "phone"}


def resolve_overlaps(entities: Iterable[dict]) -> List[dict]:
    """Keep the most trusted, then the longest, of overlapping spans; return in text order."""
    ranked = sorted(entities, key=lambda e: (PRIORITY.get(e["entity"], 9), -(e["end"] - e["start"]), e["start"]))
    kept: List[dict] = []
    for ent in ranked:
        if all(ent["end"] <= k["start"] or ent["start"] >= k["end"] for k in kept):
            kept.append(ent)
    return sorted(kept, key=lambda e: e["start"])


# Touches every extractor: a name NER must read, a phone, numbers with units, a word of the lexicon.
WARM_UP_TEXT = "Меня зовут Анна Петрова, телефон +7 916 123-45-67, офис класса А 120 м2 за 5 млн, 7 минут пешком"


class EntityExtractor:
    """Quantities, stations, catalogue words, phones and names of one text."""

    def __init__(self, station_names: Sequence[str]):
        from wewall.nlu import contacts, lexicon, quantities
        from wewall.nlu.stations import StationMatcher

        self.station_names = list(station_names)
        self.stations = StationMatcher(self.station_names)
        self._extractors: List[Callable[[str], List[dict]]] = [
            contacts.extract_phones,
            quantities.extract_quantities,
            self.stations.find,
            lexicon.extract_lexicon,
            contacts.extract_person_names,
        ]

    def warm_up(self) -> None:
        """Load now what the extractors load on first use (natasha's NER model alone takes
        ≈0.75 s), so that the first client to write a name after a restart does not wait."""
        self.extract(WARM_UP_TEXT)

    def _extract(self, text: str) -> List[dict]:
        found: List[dict] = []
        for extract in self._extractors:
            found.extend(extract(text))
        return resolve_overlaps(found)

    def extract(self, text: str) -> List[dict]:
        found = self._extract(text)
        latin = to_cyrillic(text)
        if latin is None:
            return found
        # «ofis v arendu u kurskoy»: what the Cyrillic copy holds, marked on the client's text
        cyrillic, where = latin
        marked = [{**ent, "start": where[ent["start"]], "end": where[ent["end"]],
                   "text": text[where[ent["start"]]:where[ent["end"]]]}
                  for ent in self._extract(cyrillic)
                  if ent["entity"] not in NOT_FROM_TRANSLIT and where[ent["start"]] < where[ent["end"]]]
        # «45 mln»: the Latin pass saw a bare number, the Cyrillic one a sum; the usual trust decides
        return resolve_overlaps(found + marked)
