"""Russian typed in Latin letters («ofis v arendu u kurskoy do 300k») read as Cyrillic.

Clients without a Russian keyboard write Russian the way they hear it. A message with no Cyrillic
letter at all is transliterated back, letter groups first («shch» before «sh» before «s»), with a
map from each Cyrillic character to the Latin one it came from, so that what the extractors find
in the Cyrillic copy is marked on the client's own text. A message with any Cyrillic letter is
Russian with a Latin name in it («офис класса A», «БЦ Taller») and is left as it is.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

# Longest groups first; the order of the tuple is the order of the attempts.
GROUPS = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"),
    ("yu", "ю"), ("ya", "я"), ("yo", "ё"), ("ju", "ю"), ("ja", "я"),
)
LETTERS = {
    "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з", "i": "и", "j": "й", "k": "к",
    "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т", "u": "у", "f": "ф",
    "h": "х", "c": "к", "w": "в", "q": "к", "x": "кс", "'": "ь",
}
VOWELS = set("aeiouy")
# Latin words clients type as they are: the class letters, IRR, greetings in English.
KEEP = {"a", "b", "irr", "ok", "okay", "hi", "hello", "bc", "psn"}
# A longer «word» or message is no Russian typed in Latin but a paste or garbage («x» × 25 000 would
# become 50 000 Cyrillic letters for every extractor to chew on): left as it is.
MAX_WORD = 30
MAX_TEXT = 1_000
_CYRILLIC = re.compile(r"[а-яё]", re.I)
_WORD = re.compile(r"[a-z']+", re.I)


def _word(word: str) -> Tuple[str, List[int]]:
    """The Cyrillic of one Latin word and, per Cyrillic character, its offset in the word."""
    out: List[str] = []
    where: List[int] = []
    low = word.lower()
    i = 0
    while i < len(low):
        group = next(((latin, cyr) for latin, cyr in GROUPS if low.startswith(latin, i)), None)
        if group:
            latin, cyr = group
        elif low[i] == "y":
            # «y» after a vowel is «й» (kurskoy, novyy), else «ы» (chistye, prudy)
            latin, cyr = "y", "й" if i and low[i - 1] in VOWELS else "ы"
        else:
            latin, cyr = low[i], LETTERS.get(low[i], low[i])
        for ch in cyr:
            out.append(ch.upper() if word[i].isupper() and not out else ch)
            where.append(i)
        i += len(latin)
    return "".join(out), where


def to_cyrillic(text: str) -> Optional[Tuple[str, List[int]]]:
    """(the Cyrillic copy, for each of its characters and one past its end the offset in `text`),
    or None when the text has Cyrillic letters or no Latin word to turn."""
    if not text or len(text) > MAX_TEXT or text.startswith("/") or _CYRILLIC.search(text):
        return None  # «/inform{…}» is a button's payload
    out: List[str] = []
    where: List[int] = []
    pos = 0
    turned = False
    for m in _WORD.finditer(text):
        for k in range(pos, m.start()):
            out.append(text[k])
            where.append(k)
        word = m.group()
        if len(word) > MAX_WORD or (word.lower() in KEEP and not (m.start() and text[m.start() - 1].isdigit())):
            cyr, offsets = word, list(range(len(word)))
        else:
            cyr, offsets = _word(word)
            turned = True
        out.append(cyr)
        where.extend(m.start() + o for o in offsets)
        pos = m.end()
    for k in range(pos, len(text)):
        out.append(text[k])
        where.append(k)
    where.append(len(text))
    return ("".join(out), where) if turned else None
