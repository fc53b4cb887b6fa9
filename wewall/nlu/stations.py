"""Metro station names in free Russian text: `StationMatcher`.

Built from a list of station names (the `name` of `wewall.data.stations` / `subway_stations`
documents); nothing about a particular station is written in the code, so a station added to
the list is recognised without a code change.

How it works
------------
Build time (pymorphy2, ~0.5 s for the 296 Moscow names):

* each name is tokenised like the text (letters/digits; whitespace, punctuation and hyphens
  split) and normalised (lowercase, ё → е);
* the words that decline in the name are found (the adjectives and the head noun at the start,
  an adjective agreeing after the head: «Москва Товарная»); the dependent genitives («Парк
  *культуры*», «Улица Академика *Королёва*»), the first part of a hyphenated compound that is
  not an adjective («*Китай*-город», «*Юго*-Западная») and abbreviations stay as they are;
* every declining word gets its forms for the six cases (+ the second locative «в аэропорту»,
  «на Кузнецком мосту») in the name's own number (and gender for adjectives) from pymorphy2;
  a word pymorphy2 does not know gets them from a small suffix table; every form remembers
  its cases, so «у Парка Культуры» (agreeing) scores above «у Парк Культуры» (not);
* variants: «им.» / «имени» / nothing («библиотека ленина»), hyphen parts glued
  («китайгород»), «ул.», «пр.», «пл.», «просп.», «бул.», «ш.» for the usual street words,
  ЗИЛ-style abbreviations read as words get «ЗИЛа», «ЗИЛе»;
* the result is a dict: first token form → patterns (one slot of accepted forms per word), and
  a symmetric-delete index of all forms ≥ 5 letters for the typo pass.

Matching a text (no pymorphy2 on the hot path unless a candidate is found):

1. tokens are normalised (also Latin look-alikes inside a Cyrillic word: «культуpы»; a missed
   space «УлицаСкобелевская» is split at the capital);
2. a token that is not a known form and has ≥ 5 letters is corrected against the forms through
   the delete index: Damerau-Levenshtein (optimal string alignment) ≤ 1 for forms of 5–8
   letters, ≤ 2 for longer ones; shorter words get no typo tolerance on their own — one edit
   only inside a multiword name whose other word of ≥ 5 letters is exact («Пар культуры»);
3. left to right, the longest pattern that matches wins (so «Сокольники» never reads as
   «Сокол», «Комсомольский проспект» beats «Комсомольская», «Аэропорт Внуково» beats
   «Аэропорт»), then agreement, then fewer edits;
4. acceptance. Many station names are ordinary words (Сокол, Аэропорт, Динамо, Университет,
   Театральная, Рижская, Парк Победы, Деловой центр …): a name is *ambiguous* when every word
   of it is a dictionary word of pymorphy2 and none of them is a place name (a Geox noun whose
   lemma is the word itself: Сокольники, Лужники, Тверская, Крылатское …), an unknown word,
   a number, an abbreviation or — in multiword names — a person's name («Бульвар
   Рокоссовского»). An ambiguous name is accepted only

   * after a cue: «м.», «метро», «ст.», «станция», «МЦК», «МЦД», or a preposition of place
     («у», «на», «от», «до», «с», «к», «возле», «около», «рядом», «напротив», «недалеко»,
     «район(е)», «между» …), or right after another accepted station («у Сокола или
     Аэропорта», «Сокол, Динамо»);
   * when the message is nothing but station names, cues and fillers (a form answer «Сокол»);
   * when it is capitalised in the middle of a sentence (not in an all-caps message, and not
     for a name that is also a person's name, such as «Марк» or «Маяковская»).

   So «хочу купить офис в университете» gives nothing, «хочу офис в Университете», «у
   Университета», «м. Университет» and the answer «университет» give Университет.
   A typo that makes another dictionary word («первом» → Перово, «марта» → Марк,
   «московской» → Войковская) is taken only right after «м.»/«метро»/«станция», unless it is
   a usual spelling slip — a doubled letter or an unstressed vowel before the ending
   («белоруской», «беларусской») —, which the cues above are enough for; another form of the
   same adjective («комсомольском») is never a typo.
   Whatever the cue, an adjective name followed by a noun agreeing with it is an attribute,
   not a station («на спортивной площадке», «белорусская компания», «на Комсомольском
   проспекте»), unless «метро»/«станция» comes right before it.

Confidence: 1.0 exact and agreeing; 0.95 non-agreeing forms or a shortened variant
(«библиотека ленина»); 0.9 / 0.8 / … for 1 / 2 / … corrected letters; × 0.9 when the only
cue was a capital letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

ENTITY = "metro_station"

_TOKEN = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
_LATIN = re.compile(r"[a-zA-Z]")
# Latin letters that look like Cyrillic ones, typed by mistake inside a Russian word.
_HOMOGLYPHS = str.maketrans("aceopxyABCEHKMOPTXYk", "асеорхуАВСЕНКМОРТХУк")

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
ALL_CASES: FrozenSet[str] = frozenset(CASES)

# Words that point at a station: after them even an ordinary word is read as a station.
STRONG_CUES = frozenset(
    "м метро ст станция станции станцию станцией станциях станций мцк мцд".split()
)
PLACE_CUES = frozenset(
    "у на от до с со к ко возле около рядом близ вблизи напротив недалеко неподалеку "
    "район районе района между перед".split()
)
CONJUNCTIONS = frozenset("и или либо а также".split())
# What a message made only of station names may also contain («м. Сокол», «в Соколе», «да, Сокол»).
FILLERS = STRONG_CUES | PLACE_CUES | CONJUNCTIONS | frozenset(
    "в во это да ну вот пожалуйста ст ближайшая ближайшее ближайший".split()
)
# Nouns an adjective station name may be followed by without becoming their attribute.
STATION_NOUNS = frozenset(
    "станция станции станцию станцией метро выход выхода выходе остановка остановки".split()
)
# Street words and their abbreviations, accepted in place of the word at the same position.
ABBREVIATIONS = {
    "улица": ("ул",),
    "проспект": ("пр", "просп"),
    "площадь": ("пл",),
    "бульвар": ("бул",),
    "шоссе": ("ш",),
}
_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})
SUGGEST_MAX_SCORE = 0.4
_VOWELS = set("аеёиоуыэюя")
_ADJ_ENDINGS = ("ая", "яя", "ое", "ее", "ый", "ий", "ой", "ые", "ие")


def normalize_token(raw: str) -> str:
    """lowercase, ё → е, Latin look-alikes inside a Cyrillic word made Cyrillic."""
    if _LATIN.search(raw) and _CYRILLIC.search(raw):
        raw = raw.translate(_HOMOGLYPHS)
    return raw.lower().replace("ё", "е")


@dataclass(frozen=True)
class Token:
    raw: str
    norm: str
    start: int
    end: int


_CAMEL = re.compile(r"(?<=[a-zа-яё])(?=[A-ZА-ЯЁ])")
_CAMEL_WORD = re.compile(r"[A-ZА-ЯЁ]?[a-zа-яё]{2,}(?:[A-ZА-ЯЁ][a-zа-яё]{2,})+")


def tokenize(text: str) -> List[Token]:
    """Runs of letters/digits; «УлицаСкобелевская» (a missed space) is split at the capital."""
    out = []
    for m in _TOKEN.finditer(text):
        word, start = m.group(), m.start()
        pos = 0
        cuts = [c.start() for c in _CAMEL.finditer(word)] if _CAMEL_WORD.fullmatch(word) else []
        for cut in cuts + [len(word)]:
            part = word[pos:cut]
            out.append(Token(part, normalize_token(part), start + pos, start + cut))
            pos = cut
    return out


# ------------------------------------------------------------------ edit distance


def osa_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or `limit + 1` if above `limit`."""
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    if a == b:
        return 0
    prev2: List[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        ai = a[i - 1]
        cur = [i] + [0] * lb
        row_min = i
        for j in range(1, lb + 1):
            bj = b[j - 1]
            v = prev[j - 1] + (ai != bj)
            if prev[j] + 1 < v:
                v = prev[j] + 1
            if cur[j - 1] + 1 < v:
                v = cur[j - 1] + 1
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == bj and prev2[j - 2] + 1 < v:
                v = prev2[j - 2] + 1
            cur[j] = v
            if v < row_min:
                row_min = v
        if row_min > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[lb] if prev[lb] <= limit else limit + 1


_VOWEL_CLASS = str.maketrans("оеёя", "аиии")
_DOUBLE = re.compile(r"(.)\1+")


def _spelling_key(word: str) -> str:
    """Doubled letters collapsed, unstressed-vowel pairs (о/а, е/и/я) merged before the ending
    (the last two letters stay: «марки» and «марке» are different forms, not a slip)."""
    word = _DOUBLE.sub(r"\1", word)
    return word[:-2].translate(_VOWEL_CLASS) + word[-2:]


def typo_limit(form: str) -> int:
    """Edits tolerated on a word form of this length: none below 5 letters."""
    n = len(form)
    if n < 5:
        return 0
    return 1 if n <= 8 else 2


def _deletes(word: str, depth: int) -> Set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1:])
        out |= nxt
        frontier = nxt
    return out


# ------------------------------------------------------------------ declension


# Heavy: loaded only when a matcher is built, and shared with the rest of the NLU.
from wewall.nlu.morph import analyzer as _morph  # noqa: E402


def _e(word: str) -> str:
    return word.lower().replace("ё", "е")


def _suffix_forms(word: str) -> Dict[str, Set[str]]:
    """Case forms of a word pymorphy2 does not know, from its ending (a generous guess)."""
    w = word
    forms: Dict[str, Set[str]] = {"nomn": {w}}

    def put(case: str, *variants: str) -> None:
        forms.setdefault(case, set()).update(variants)

    hush = "жшщчц"
    velar = "гкхжшщч"
    if w.endswith(("ая", "яя")):
        s = w[:-2]
        if w.endswith("яя"):
            endings: Tuple[str, ...] = ("ей",)
        else:  # «-жая» is «-жей» or «-жой» depending on stress: both
            endings = ("ой", "ей") if s[-1:] in hush else ("ой",)
        for c in ("gent", "datv", "ablt", "loct"):
            put(c, *(s + e for e in endings))
        put("accs", s + ("юю" if w.endswith("яя") else "ую"))
    elif w.endswith(("ое", "ее")) and len(w) > 4:
        s = w[:-2]
        o = "е" if w.endswith("ее") else "о"
        put("gent", s + o + "го")
        put("datv", s + o + "му")
        put("accs", w)
        put("ablt", s + ("им" if o == "е" or (s and s[-1] in velar) else "ым"))
        put("loct", s + o + "м")
    elif w.endswith(("ый", "ий", "ой")) and len(w) > 4:
        s = w[:-2]
        o = "е" if w.endswith("ий") and not (s and s[-1] in "гкх") else "о"
        put("gent", s + o + "го")
        put("datv", s + o + "му")
        put("accs", w, s + o + "го")
        put("ablt", s + ("ым" if w.endswith(("ый", "ой")) and s[-1:] not in velar else "им"))
        put("loct", s + o + "м")
    elif w.endswith(("ые", "ие")) and len(w) > 4:
        s = w[:-2]
        y = w[-2]
        put("gent", s + y + "х")
        put("datv", s + y + "м")
        put("accs", w, s + y + "х")
        put("ablt", s + y + "ми")
        put("loct", s + y + "х")
    elif w.endswith("а"):
        s = w[:-1]
        put("gent", s + ("и" if s[-1:] in velar else "ы"))
        put("datv", s + "е")
        put("accs", s + "у")
        put("ablt", s + "ой", s + "ей")
        put("loct", s + "е")
    elif w.endswith("я"):
        s = w[:-1]
        put("gent", s + "и")
        put("datv", s + ("и" if s.endswith("и") else "е"))
        put("accs", s + "ю")
        put("ablt", s + "ей")
        put("loct", s + ("и" if s.endswith("и") else "е"))
    elif w.endswith(("ы", "и")):
        s = w[:-1]
        soft = w.endswith("и") and s[-1:] not in velar
        put("gent", s + "ов", s + "ей", s + ("ь" if soft else ""))
        put("datv", s + ("ям" if soft else "ам"))
        put("accs", w)
        put("ablt", s + ("ями" if soft else "ами"))
        put("loct", s + ("ях" if soft else "ах"))
    elif w.endswith("ь"):
        s = w[:-1]
        put("gent", s + "и", s + "я")
        put("datv", s + "и", s + "ю")
        put("accs", w)
        put("ablt", w + "ю", s + "ем")
        put("loct", s + "и", s + "е")
    elif w.endswith("о") and len(w) > 4:
        s = w[:-1]
        put("gent", s + "а")
        put("datv", s + "у")
        put("accs", w)
        put("ablt", s + "ом")
        put("loct", s + "е")
    elif w[-1:] and w[-1] not in _VOWELS and w[-1] != "й" and not w[-1].isdigit():
        put("gent", w + "а")
        put("datv", w + "у")
        put("accs", w)
        put("ablt", w + ("ем" if w[-1] in hush else "ом"))
        put("loct", w + "е")
    for c in CASES:
        forms.setdefault(c, {w})
    return forms


def _parse_forms(parses) -> Dict[str, Set[str]]:
    """Case → forms, for the lexemes of the given pymorphy2 parses (all in the nominative)."""
    forms: Dict[str, Set[str]] = {}
    for p in parses:
        for case in CASES + ("loc2",):
            label = "loct" if case == "loc2" else case
            variants = [{case}]
            if case == "accs":
                variants = [{case, "anim"}, {case, "inan"}, {case}]
            for gram in variants:
                try:
                    q = p.inflect(gram)
                except (ValueError, KeyError):
                    q = None
                if q is None or q.tag.number != p.tag.number:
                    continue
                if p.tag.number == "sing" and q.tag.gender != p.tag.gender:
                    continue  # «белорусскую», not the masculine «белорусский»
                forms.setdefault(label, set()).add(_e(q.word))
    return forms


def _agrees(adj_tag, noun_tag) -> bool:
    if adj_tag.number != noun_tag.number:
        return False
    if adj_tag.number == "sing" and noun_tag.gender in ("masc", "femn", "neut"):
        return adj_tag.gender == noun_tag.gender
    return True


@dataclass
class _Word:
    norm: str
    forms: Dict[str, Set[str]]  # case → forms; a fixed word has ALL cases → {norm}
    declines: bool
    lemmas: FrozenSet[str]


def _analyse_name(tokens: Sequence[Token], hyphen_first: Sequence[bool]) -> Tuple[List[_Word], bool]:
    """Decide how each word of a name declines; returns the words and whether the name ends with an
    adjective (for the «белорусская компания» check)."""
    morph = _morph()
    words: List[_Word] = []
    state = "pre"  # before the head noun; "after": after it; "tail": dependent words
    head = None
    last_adj = False
    n = len(tokens)

    def fixed(tok: Token) -> _Word:
        return _Word(tok.norm, {c: {tok.norm} for c in CASES}, False, frozenset({tok.norm}))

    def nomn_parses(tok: Token, pos: Tuple[str, ...]):
        return [p for p in morph.parse(tok.raw) if p.tag.POS in pos and "nomn" in p.tag]

    for i, tok in enumerate(tokens):
        raw = tok.raw
        is_last = i == n - 1
        last_adj = False
        if tok.norm == "им":
            words.append(fixed(tok))
            state = "tail"
            continue
        if raw.isdigit():
            words.append(fixed(tok))
            if state == "after":
                state = "tail"
            continue
        if raw.isupper() and len(raw) > 1:  # abbreviation; read as a word («ЗИЛ») it declines
            w = fixed(tok)
            if any(ch in _VOWELS for ch in tok.norm[:-1]) and tok.norm[-1] not in _VOWELS:
                for c, suf in (("gent", "а"), ("datv", "у"), ("ablt", "ом"), ("loct", "е")):
                    w.forms[c] = {tok.norm, tok.norm + suf}
            words.append(w)
            state = "after" if state == "pre" else "tail"
            continue
        if state == "tail":
            words.append(fixed(tok))
            continue
        known = morph.word_is_known(tok.norm)
        adjs = nomn_parses(tok, ("ADJF", "PRTF"))
        nouns = nomn_parses(tok, ("NOUN",))
        nxt_nouns = nomn_parses(tokens[i + 1], ("NOUN", "ADJF")) if not is_last else []
        if state == "pre":
            if hyphen_first[i]:
                if adjs:
                    words.append(_Word(tok.norm, _parse_forms(adjs[:1]), True, frozenset({adjs[0].normal_form})))
                elif not known and tok.norm.endswith(("ое", "ая", "ый", "ий")):
                    words.append(_Word(tok.norm, _suffix_forms(tok.norm), True, frozenset({tok.norm})))
                else:
                    words.append(fixed(tok))
                continue
            agreeing = [a for a in adjs if any(_agrees(a.tag, b.tag) for b in nxt_nouns)]
            place = [p for p in nouns if "Geox" in p.tag and _e(p.normal_form) == tok.norm]
            if adjs and (agreeing or (is_last and not place)) and (known or not nouns or is_last):
                chosen = agreeing or adjs
                # keep the parses of the same gender/number (e.g. Qual and non-Qual twins)
                first = chosen[0]
                same = [a for a in chosen if a.tag.number == first.tag.number and a.tag.gender == first.tag.gender]
                forms = _parse_forms(same) if known else _suffix_forms(tok.norm)
                words.append(_Word(tok.norm, forms, True, frozenset(a.normal_form for a in same)))
                last_adj = known or tok.norm.endswith(_ADJ_ENDINGS)
                if is_last:
                    state = "after"
                continue
            surn_plur = [p for p in nouns if "Surn" in p.tag and p.tag.number == "plur"]
            if surn_plur and any(b.tag.number == "plur" for b in nxt_nouns if b.tag.POS == "NOUN"):
                words.append(_Word(tok.norm, _parse_forms(surn_plur[:1]), True, frozenset({surn_plur[0].normal_form})))
                continue
            surn_masc = [p for p in nouns if "Surn" in p.tag and p.tag.number == "sing" and p.tag.gender == "masc"]
            if (
                surn_masc
                and tok.norm.endswith(("ов", "ев", "ин"))
                and any(b.tag.POS == "NOUN" and b.tag.number == "sing" and b.tag.gender == "masc" for b in nxt_nouns)
            ):  # possessive «Филатов луг»
                s = tok.norm
                forms = {"nomn": {s}, "gent": {s + "а"}, "datv": {s + "у"}, "accs": {s}, "ablt": {s + "ым"}, "loct": {s + "ом"}}
                words.append(_Word(s, forms, True, frozenset({s})))
                continue
            good_nouns = [p for p in nouns if _e(p.normal_form) == tok.norm or p.tag.number == "plur"]
            if known and good_nouns:
                fixd = [p for p in good_nouns if "Fixd" in p.tag]
                first = good_nouns[0]
                if fixd and len(fixd) == len(good_nouns):
                    words.append(fixed(tok))
                else:
                    geox = [p for p in good_nouns if "Geox" in p.tag]
                    plain = [p for p in good_nouns if not (_NAME_TAGS & p.tag.grammemes) and "Fixd" not in p.tag]
                    pool = geox or plain or [p for p in good_nouns if "Fixd" not in p.tag]
                    first = pool[0]
                    same = [
                        p
                        for p in pool
                        if p.normal_form == first.normal_form
                        and p.tag.number == first.tag.number
                        and p.tag.gender == first.tag.gender
                    ]
                    words.append(_Word(tok.norm, _parse_forms(same), True, frozenset(p.normal_form for p in same)))
                head = first.tag
                state = "after"
                continue
            # unknown to the dictionary (or no nominative reading): decline by the ending,
            # except foreign-looking words ending in a vowel other than а/я/о/ы/и («Зорге»)
            if tok.norm[-1:] in "еуюэ" and not tok.norm.endswith(("ое", "ее", "ые", "ие")):
                words.append(fixed(tok))
            else:
                words.append(_Word(tok.norm, _suffix_forms(tok.norm), True, frozenset({tok.norm})))
                last_adj = tok.norm.endswith(_ADJ_ENDINGS)
            state = "after"
            continue
        # after the head: an adjective agreeing with it declines with it («Москва Товарная»)
        post = [a for a in adjs if head is None or _agrees(a.tag, head)]
        if post:
            forms = _parse_forms(post[:1]) if known else _suffix_forms(tok.norm)
            words.append(_Word(tok.norm, forms, True, frozenset({post[0].normal_form})))
            last_adj = True
        else:
            words.append(fixed(tok))
            state = "tail"
    for w in words:
        w.forms.setdefault("nomn", set()).add(w.norm)
        for c in CASES:
            w.forms.setdefault(c, {w.norm})
    return words, last_adj


def _word_kind(tok: Token) -> str:
    """'proper' (place name, unknown word, number, abbreviation), 'person' or 'common'."""
    raw = tok.raw
    if raw.isdigit() or (raw.isupper() and len(raw) > 1):
        return "proper"
    morph = _morph()
    if not morph.word_is_known(tok.norm):
        return "proper"
    parses = morph.parse(raw)
    for p in parses:
        if "Geox" in p.tag and p.tag.POS == "NOUN" and _e(p.normal_form) == tok.norm:
            return "proper"
    if any(_NAME_TAGS & p.tag.grammemes for p in parses):
        return "person"
    return "common"


# ------------------------------------------------------------------ patterns


@dataclass(frozen=True)
class _Pattern:
    station: str
    slots: Tuple[Dict[str, FrozenSet[str]], ...]  # per word: form → cases it can stand for
    declining: Tuple[bool, ...]
    lemmas: Tuple[FrozenSet[str], ...]
    variant: bool  # a shortened/respelled variant of the name (scores a bit lower)
    ambiguous: bool
    person_like: bool
    adjective_tail: bool


@dataclass
class _Candidate:
    pattern: _Pattern
    first: int  # token indexes [first, last)
    last: int
    edits: int
    agreeing: bool
    fuzzy_known_word: bool = False  # a corrected token is itself a dictionary word
    known_typo_shares_stem: bool = True  # … through a usual spelling slip only («белоруской»), unlike «первом»

    @property
    def rank(self) -> Tuple:
        return (self.last - self.first, self.edits == 0, self.agreeing, -self.edits, not self.pattern.variant)


class StationMatcher:
    """Finds metro station names in text. Build once (≈0.5 s for 296 names), then `find` is cheap (≈10–20 k short sentences/s)."""

    def __init__(self, names: Iterable[str]):
        self._stations: List[str] = []
        seen: Set[str] = set()
        for name in names:
            name = " ".join(str(name).split())
            key = _e(name)
            if name and key not in seen:
                seen.add(key)
                self._stations.append(name)
        self._by_first: Dict[str, List[_Pattern]] = {}
        self._vocab: Set[str] = set()
        for station in self._stations:
            for pattern in self._patterns(station):
                for form in pattern.slots[0]:
                    self._by_first.setdefault(form, []).append(pattern)
                for slot in pattern.slots:
                    self._vocab.update(slot)
        # suggestions: each pattern as a list of word slots, words weighted by rarity (a word in
        # many names — «проспект», «улица», «парк» — says little about which station is meant)
        owners: Dict[str, Set[str]] = {}
        for patterns in self._by_first.values():
            for pattern in patterns:
                for slot in pattern.slots:
                    for form in slot:
                        owners.setdefault(form, set()).add(pattern.station)
        self._form_weight = {f: 1.0 / len(st) for f, st in owners.items()}
        self._suggest_patterns: List[Tuple[str, Tuple[Tuple[Tuple[str, ...], float], ...]]] = []
        seen_patterns = set()
        for patterns in self._by_first.values():
            for pattern in patterns:
                if id(pattern) in seen_patterns:
                    continue
                seen_patterns.add(id(pattern))
                slots = tuple(
                    (tuple(sorted(slot)), max(self._form_weight[f] for f in slot)) for slot in pattern.slots
                )
                self._suggest_patterns.append((pattern.station, slots))
        self._deletes: Dict[str, Set[str]] = {}
        self._short_deletes: Dict[str, Set[str]] = {}
        for form in self._vocab:
            if not form.isalpha():
                continue
            limit = typo_limit(form)
            if limit:
                for d in _deletes(form, limit):
                    self._deletes.setdefault(d, set()).add(form)
            if 3 <= len(form) <= 5:
                for d in _deletes(form, 1):
                    self._short_deletes.setdefault(d, set()).add(form)
        self._fuzzy_cache: Dict[str, Tuple[Tuple[str, int], ...]] = {}
        self._parse_cache: Dict[str, list] = {}

    # ---- construction helpers

    @classmethod
    def from_stations(cls, stations: Iterable[dict]) -> StationMatcher:
        """From station documents (`wewall.data.stations.read_hh_metro(...).stations`, `list_stations(db)`)."""
        return cls(s["name"] for s in stations)

    @classmethod
    def from_hh_file(cls, path) -> StationMatcher:
        from wewall.data.stations import read_hh_metro

        return cls.from_stations(read_hh_metro(Path(path)).stations)

    @classmethod
    def from_db(cls, db) -> StationMatcher:
        from wewall.storage import list_stations

        return cls.from_stations(list_stations(db, {"name": 1}))

    @property
    def stations(self) -> List[str]:
        return list(self._stations)

    def _patterns(self, station: str) -> List[_Pattern]:
        tokens: List[Token] = []
        hyphen_first: List[bool] = []
        for m in _TOKEN.finditer(station):
            tokens.append(Token(m.group(), normalize_token(m.group()), m.start(), m.end()))
            hyphen_first.append(station[m.end(): m.end() + 1] == "-")
        if not tokens:
            return []
        words, adjective_tail = _analyse_name(tokens, hyphen_first)
        kinds = [_word_kind(t) for t, w in zip(tokens, words) if w.norm != "им"]
        if len(kinds) == 1:
            ambiguous = kinds[0] != "proper"
        else:
            ambiguous = all(k == "common" for k in kinds)
        person_like = any(k == "person" for k in kinds) and len(kinds) == 1

        def slot(w: _Word, extra: Iterable[str] = ()) -> Dict[str, FrozenSet[str]]:
            out: Dict[str, Set[str]] = {}
            for case, forms in w.forms.items():
                for f in forms:
                    out.setdefault(f, set()).add(case)
            if not w.declines:
                out = {f: set(ALL_CASES) for f in out}
            for x in extra:
                out.setdefault(x, set(ALL_CASES))
            return {f: frozenset(c) for f, c in out.items()}

        base_slots = [slot(w, ABBREVIATIONS.get(w.norm, ())) for w in words]
        declining = [w.declines for w in words]
        lemmas = [w.lemmas for w in words]

        def make(slots, decl, lem, variant) -> _Pattern:
            return _Pattern(station, tuple(slots), tuple(decl), tuple(lem), variant, ambiguous, person_like, adjective_tail)

        patterns = [make(base_slots, declining, lemmas, False)]
        # «им.» → «имени» / dropped
        if any(w.norm == "им" for w in words[:-1]):
            k = next(i for i, w in enumerate(words) if w.norm == "им")
            full = {"имени": ALL_CASES}
            patterns.append(make(base_slots[:k] + [full] + base_slots[k + 1:], declining, lemmas, False))
            patterns.append(
                make(base_slots[:k] + base_slots[k + 1:], declining[:k] + declining[k + 1:], lemmas[:k] + lemmas[k + 1:], True)
            )
        # hyphenated parts or the two words of a name glued: «китайгород», «деловойцентр»
        for p in list(patterns):
            for i in range(len(p.slots) - 1):
                if (hyphen_first[i] or len(tokens) == 2) and len(p.slots) == len(tokens):
                    glued: Dict[str, Set[str]] = {}
                    for f1, c1 in p.slots[i].items():
                        for f2, c2 in p.slots[i + 1].items():
                            cases = (c1 & c2) if p.declining[i] and p.declining[i + 1] else (c1 if p.declining[i] else c2)
                            if cases:
                                glued.setdefault(f1 + f2, set()).update(cases)
                    slots = list(p.slots[:i]) + [{f: frozenset(c) for f, c in glued.items()}] + list(p.slots[i + 2:])
                    patterns.append(
                        make(
                            slots,
                            p.declining[:i] + (p.declining[i] or p.declining[i + 1],) + p.declining[i + 2:],
                            p.lemmas[:i] + (p.lemmas[i] | p.lemmas[i + 1],) + p.lemmas[i + 2:],
                            True,
                        )
                    )
        return patterns

    # ---- matching

    def _fuzzy(self, norm: str) -> Tuple[Tuple[str, int], ...]:
        """Known forms within the typo limit of an unknown token, the closest only.

        A word of 3–4 letters (or one becoming a form of 3–4 letters) gets one edit too, but
        `_match_at` uses such a correction only inside a multiword name with another word of
        ≥ 5 letters spelt exactly («Пар культуры», «Улиц Горчакова», «Марьиной Рощщи»)."""
        cached = self._fuzzy_cache.get(norm)
        if cached is not None:
            return cached
        result: Tuple[Tuple[str, int], ...] = ()
        targets: Set[str]
        if 3 <= len(norm) <= 5 and norm.isalpha() and _CYRILLIC.search(norm):
            targets = set()
            for d in _deletes(norm, 1):
                targets |= self._short_deletes.get(d, set())
            short = tuple(sorted((f, 1) for f in targets if (len(norm) < 5 or len(f) < 5) and osa_distance(norm, f, 1) == 1))
        else:
            short = ()
        if len(norm) < 5:
            result = short
        elif norm.isalpha() and _CYRILLIC.search(norm):
            depth = 2 if len(norm) >= 7 else 1
            targets = set()
            for d in _deletes(norm, depth):
                hit = self._deletes.get(d)
                if hit:
                    targets |= hit
            best: List[Tuple[str, int]] = []
            best_d = 99
            for form in targets:
                limit = typo_limit(form)
                dist = osa_distance(norm, form, limit)
                if dist <= limit:
                    if dist < best_d:
                        best, best_d = [(form, dist)], dist
                    elif dist == best_d:
                        best.append((form, dist))
            result = tuple(sorted(best)) or short
        if len(self._fuzzy_cache) > 200_000:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[norm] = result
        return result

    def _parses(self, word: str):
        got = self._parse_cache.get(word)
        if got is None:
            got = _morph().parse(word)
            if len(self._parse_cache) > 100_000:
                self._parse_cache.clear()
            self._parse_cache[word] = got
        return got

    def _match_at(
        self, pattern: _Pattern, options, lengths: List[int], i: int, first_form: str, first_edits: int
    ) -> Optional[_Candidate]:
        k = len(pattern.slots)
        if i + k > len(options):
            return None
        cases: Optional[FrozenSet[str]] = pattern.slots[0][first_form] if pattern.declining[0] else None
        edits = first_edits
        agreeing = True
        short_typos = int(first_edits > 0 and (lengths[i] < 5 or len(first_form) < 5))
        long_exact = first_edits == 0 and len(first_form) >= 5
        for j in range(1, k):
            slot = pattern.slots[j]
            best = None
            for form, d in options[i + j]:
                c = slot.get(form)
                if c is None:
                    continue
                if pattern.declining[j] and cases is not None:
                    ok = bool(cases & c)
                else:
                    ok = True
                score = (ok, -d)
                if best is None or score > best[0]:
                    best = (score, form, d, c)
            if best is None:
                return None
            (ok, _), form, d, c = best
            edits += d
            if d == 0 and len(form) >= 5:
                long_exact = True
            if d > 0 and (lengths[i + j] < 5 or len(form) < 5):
                short_typos += 1
            if pattern.declining[j]:
                if cases is None:
                    cases = c
                elif ok:
                    cases = cases & c
                else:
                    agreeing = False
        if short_typos and (k < 2 or short_typos > 1 or not long_exact):
            return None  # a corrected short word only counts inside an otherwise exact name
        return _Candidate(pattern, i, i + k, edits, agreeing)

    def _candidates(self, tokens: List[Token]):
        options: List[Tuple[Tuple[str, int], ...]] = []
        for t in tokens:
            if t.norm in self._vocab:
                options.append(((t.norm, 0),))
            elif t.norm in FILLERS:
                options.append(())
            else:
                options.append(self._fuzzy(t.norm))
        out: List[_Candidate] = []
        lengths = [len(t.norm) for t in tokens]
        i = 0
        n = len(tokens)
        while i < n:
            best: Optional[_Candidate] = None
            for form, d in options[i]:
                for pattern in self._by_first.get(form, ()):
                    cand = self._match_at(pattern, options, lengths, i, form, d)
                    if cand is not None and (best is None or cand.rank > best.rank):
                        best = cand
            if best is None:
                i += 1
                continue
            if best.edits:
                for j in range(best.first, best.last):
                    word = tokens[j].norm
                    if len(word) < 5 or any(len(f) < 5 for f, _ in options[j]):
                        continue  # a short word's typo: already held to «inside an exact multiword name»
                    if options[j] and options[j][0][1] > 0 and _morph().word_is_known(word):
                        best.fuzzy_known_word = True
                        slot = best.pattern.slots[j - best.first]
                        if not any(self._spelling_variant(word, f) for f, _ in options[j] if f in slot):
                            best.known_typo_shares_stem = False
            out.append(best)
            i = best.last
        return out, options

    @staticmethod
    def _spelling_variant(word: str, form: str) -> bool:
        """Only a usual spelling slip apart: a doubled letter («белоруской» / «белорусской») or an
        unstressed vowel («беларусской»). «первом» / «Перовом», «марта» / «Марка» are not."""
        return _spelling_key(word) == _spelling_key(form)

    def _same_lemma_veto(self, cand: _Candidate, tokens: List[Token], options) -> bool:
        """«комсомольском» is a form of the adjective of «Комсомольская», but masculine: another
        word, not a typo."""
        for j in range(cand.first, cand.last):
            if options[j] and options[j][0][1] > 0 and _morph().word_is_known(tokens[j].norm):
                lemmas = cand.pattern.lemmas[j - cand.first]
                if any(
                    p.normal_form in lemmas and p.tag.POS in ("ADJF", "ADJS", "PRTF")
                    for p in self._parses(tokens[j].norm)
                ):
                    return True
        return False

    def _attribute_of_next_noun(self, cand: _Candidate, tokens: List[Token]) -> bool:
        """«белорусская компания», «на спортивной площадке»: an adjective, not a station."""
        last = tokens[cand.last - 1].norm
        adj_tags = [p.tag for p in self._parses(last) if p.tag.POS in ("ADJF", "PRTF")]
        if not adj_tags:
            return False
        for j in range(cand.last, min(cand.last + 3, len(tokens))):
            word = tokens[j].norm
            if word in STATION_NOUNS:
                return False
            parses = self._parses(word)
            # «у Таганской с ремонтом»: «с» is a preposition (pymorphy2 also offers a rare
            # abbreviation noun of every case, which would «agree»).
            if parses and parses[0].tag.POS in ("PREP", "CONJ", "PRCL"):
                return False
            agreeing = []
            for p in parses:
                if p.tag.POS not in ("NOUN", "ADJF", "PRTF"):
                    continue
                for a in adj_tags:
                    if a.case == p.tag.case and a.number == p.tag.number and (
                        a.number != "sing" or p.tag.gender not in ("masc", "femn", "neut") or a.gender == p.tag.gender
                    ):
                        agreeing.append(p)
                        break
            if any(p.tag.POS == "NOUN" for p in agreeing):
                return True
            if not agreeing:
                return False
        return False

    def find(self, text: str) -> List[dict]:
        """Rasa-style `metro_station` entities found in `text`, in text order."""
        if not text:
            return []
        tokens = tokenize(text)
        if not tokens:
            return []
        cands, options = self._candidates(tokens)
        if not cands:
            return []
        covered: Set[int] = set()
        for c in cands:
            covered.update(range(c.first, c.last))
        standalone = all(t.norm in FILLERS for i, t in enumerate(tokens) if i not in covered)
        letters = [ch for ch in text if ch.isalpha()]
        all_caps = bool(letters) and sum(ch.isupper() for ch in letters) > 0.7 * len(letters) and len(letters) > 3
        entities: List[dict] = []
        last_accepted_end = -10
        for c in cands:
            first = tokens[c.first]
            prev = tokens[c.first - 1].norm if c.first > 0 else None
            strong = prev in STRONG_CUES
            cued = strong or prev in PLACE_CUES
            if not cued and c.first > 0:
                j = c.first - 1
                if tokens[j].norm in CONJUNCTIONS:
                    j -= 1
                cued = j == last_accepted_end - 1 and j >= 0
            capital_cue = False
            if not cued and not all_caps and not c.pattern.person_like and c.first > 0:
                raw = first.raw
                before = text[: first.start].rstrip()
                if raw[:1].isupper() and not raw[1:2].isupper() and before and before[-1] not in ".!?\n":
                    capital_cue = True
            if c.fuzzy_known_word:
                # a typo that makes another real word: «первом» is not «Перовом», «марта» not «Марка»
                if self._same_lemma_veto(c, tokens, options):
                    continue
                if not (strong or (c.known_typo_shares_stem and (cued or standalone or capital_cue))):
                    continue
            needs_cue = c.pattern.ambiguous or c.fuzzy_known_word
            if needs_cue and not (cued or standalone or capital_cue):
                continue
            if (c.pattern.adjective_tail or c.fuzzy_known_word) and not strong and self._attribute_of_next_noun(c, tokens):
                continue
            conf = 1.0
            if c.pattern.variant or not c.agreeing:
                conf = 0.95
            if c.edits:
                conf = max(0.5, 0.9 - 0.1 * (c.edits - 1))
            if needs_cue and capital_cue and not (cued or standalone):
                conf *= 0.9
            start, end = first.start, tokens[c.last - 1].end
            entities.append(
                {
                    "entity": ENTITY,
                    "value": c.pattern.station,
                    "start": start,
                    "end": end,
                    "text": text[start:end],
                    "confidence": round(conf, 3),
                }
            )
            last_accepted_end = c.last
        return entities

    # ---- suggestions

    @staticmethod
    def _word_distance(q: str, form: str) -> float:
        """0 (same) … 1 (unrelated): edit distance or a shared stem of ≥ 4 letters, relative to length."""
        longest = max(len(q), len(form))
        limit = max(1, int(longest * 0.45))
        d = osa_distance(q, form, limit)
        score = d / longest if d <= limit else 1.0
        common = 0
        for a, b in zip(q, form):
            if a != b:
                break
            common += 1
        if common >= 4:
            score = min(score, 1.0 - common / longest)
        return score

    def suggest(self, text: str, n: int = 3) -> List[str]:
        """The station names closest to `text` (an unknown or misspelt name), best first.

        Score of a station = mean of how well its words are covered by the query and how well
        the query's words are covered by it, each word weighted by its rarity among the names;
        stations scoring worse than 0.45 are not suggested."""
        words = [t.norm for t in tokenize(text or "") if t.norm not in FILLERS]
        if not words or n <= 0:
            return []
        cache: Dict[Tuple[str, str], float] = {}

        def dist(q: str, form: str) -> float:
            key = (q, form)
            if key not in cache:
                cache[key] = 0.0 if q == form else self._word_distance(q, form)
            return cache[key]

        # weight of a query word: the rarity of the name word it is closest to
        q_weight = {}
        for q in words:
            best_d, best_w = 1.0, 1.0
            for form, w in self._form_weight.items():
                if abs(len(form) - len(q)) > max(3, len(q) // 2) and not (form.startswith(q[:4]) and len(q) >= 4):
                    continue
                d = dist(q, form)
                if d < best_d or (d == best_d and w < best_w):
                    best_d, best_w = d, w
            q_weight[q] = best_w if best_d < 0.5 else 1.0
        scores: Dict[str, float] = {}
        for station, slots in self._suggest_patterns:
            # best distance between each (query word, name word) pair
            table = [[min(dist(q, f) for f in forms) for forms, _ in slots] for q in words]
            name_side = sum(w * min(table[qi][si] for qi in range(len(words))) for si, (_, w) in enumerate(slots))
            name_side /= sum(w for _, w in slots)
            query_side = sum(q_weight[q] * min(table[qi]) for qi, q in enumerate(words))
            query_side /= sum(q_weight[q] for q in words)
            score = (name_side + query_side) / 2
            if score < scores.get(station, 9.0):
                scores[station] = score
        ranked = sorted((sc, st) for st, sc in scores.items() if sc <= SUGGEST_MAX_SCORE)
        return [st for _, st in ranked[:n]]
