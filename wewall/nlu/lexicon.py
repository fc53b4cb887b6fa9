"""Rule-based extractor of the catalogue's closed-vocabulary entities.

    >>> [(e["entity"], e["value"], e["text"]) for e in extract_lexicon("хочу снять офис класса А в пределах ТТК")]
    [('deal', 'rent', 'снять'), ('estate_type', 'office', 'офис'), ('estate_class', 'A', 'А'), ('zone', 'ttk', 'ТТК')]

Entities: ``estate_class``, ``estate_type``, ``deal``, ``purpose``, ``zone``, ``finish``,
``readiness`` (values as in ``shared/domain/nlu-catalogue.md``).  Every match is a Rasa-style
dict ``{"entity", "value", "start", "end", "text"}`` with character offsets into the text.
Pure Python: pymorphy2 only, no Rasa.

Span conventions (training and test annotations rely on them)
------------------------------------------------------------
The span is the minimal phrase that carries the value, without a leading preposition that
adds nothing to it (для, в, во, под, на, с, со, у, к, внутри, в пределах).  A preposition that
*changes* the value stays in the span (без, за, вне, не).  A span always covers whole
whitespace tokens: a letter glued by a hyphen or a dot («а-класс», «кл.А») gives the whole
token.  Type nouns (офис, магазин, помещение…) are never part of a ``purpose`` span, so
«под свой офис» gives two entities: purpose «свой» and estate_type «офис».

| entity | value | text → span |
|---|---|---|
| estate_class | A / B | «класс [А]», «класса [a]», «[Б] класса», «категория [В]», «кл. [B]», «[а-класс]», «"[А]"», a message that is only the letter(s) «[А]», «[а] или [б]» |
| estate_type | office | «[офис]», «под [офис]», «[офисное помещение]», «[офисное]» |
| estate_type | retail | «[торговое помещение]», «[торговая площадь]», «[ПСН]», «[помещение свободного назначения]», «[стрит-ритейл]», «[street retail]», «[магазин]», «под [кафе]» (also ресторан, общепит, аптеку, салон, шоурум, пекарню, торговлю), «в [торговом центре]», «[ТЦ]» |
| estate_type | any | «[любой] тип», «[любое] помещение», «тип [не важен]», «объект [без разницы]» — only next to a type word (тип, вид, формат, помещение, объект, недвижимость, назначение) |
| deal | sale | «[купить]», «[куплю]», «[покупка]», «[приобрести]», «на [продажу]», «в [собственность]», «[выкупить]», «[продаются]» |
| deal | rent | «[снять]», «[сниму]», «[арендовать]», «в [аренду]», «[аренда]» |
| purpose | investment | «для [инвестиций]», «[инвестировать]», «как [вложение]», «[сдавать в аренду]», «под [сдачу]», «[арендный бизнес]», «[ГАБ]», «[пассивный доход]», «[доход от аренды]», «для [перепродажи]», «с [арендатором]» |
| purpose | business | «для [своего бизнеса]», «для [бизнеса]», «для [себя]», «под [свой] офис», «для [компании]», «для [нашей компании]», «для [собственных нужд]», «для [работы]» |
| zone | ttk | «в пределах [ТТК]», «внутри [Садового кольца]», «внутри [садового]», «[третьего транспортного кольца]», «в [центре]», «[ЦАО]» |
| zone | mkad | «внутри [МКАД]», «в пределах [мкада]», «[за ТТК]», «[между ТТК и МКАД]», «в [старой Москве]» |
| zone | outside | «[за МКАДом]», «[за пределами МКАД]», «[вне МКАД]», «[Новая Москва]», «[Подмосковье]», «[Московская область]», «в [области]», «[за городом]» |
| finish | ready | «с [отделкой]», «с [ремонтом]», «[готовый ремонт]», «[чистовая отделка]», «[отделка есть]», «с [мебелью]» |
| finish | partial | «[частичный ремонт]», «[частичная отделка]», «[косметический ремонт]», «[white box]», «[предчистовая]» |
| finish | shell | «[без отделки]», «[без ремонта]», «[нужен ремонт]», «[требует ремонта]», «[черновая отделка]», «[shell and core]», «в [бетоне]» |
| readiness | ready | «[готовый]» (full adjective forms only, not «я готов»), «[введён в эксплуатацию]», «[сдан]», «[построен]», «[вторичка]», «[действующий]» |
| readiness | building | «на [стадии строительства]», «[строящийся]», «[строится]», «на [котловане]», «по [ДДУ]», «[новостройка]», «[не построен]», «[не сдан]» |

Decisions worth knowing:

* «в центре», «центр Москвы/города», «ЦАО» mean ``ttk`` (the centre is inside the Third Ring);
  «в торговом/деловом/бизнес центре» is not a zone.  «за ТТК» / «между ТТК и МКАД» mean
  ``mkad`` (inside the MKAD, outside the TTK).  «в Москве» is no zone.
* A class letter needs class context, because «а» is a conjunction and «в» a preposition:
  класс/категория/кл. (optionally + «на») right before it, «класс(а)» right after it, quotes
  around it, or a message made only of letters and «или/и/либо».  Further, «в» after «класс»
  is refused when the next word could be its object («класса в центре», «класс в 5
  минутах»; a capital «В» in mid-sentence is always the letter), and a clause-initial «а»
  before «класс» is refused unless the clause ends there («а класс какой?»).
* A bare «любой» / «не важно» is no ``estate_type``: the dialogue knows which question it
  answers (fill the requested slot from the text).  Bare «отделка», «ремонт» carry no finish.
* «я в офисе», «приеду к вам в офис», «ваш офис», «в магазине», «из офиса» are where someone
  is, not what they want: no estate_type («вложиться в офис», «что есть из офисов» are).
  «бизнес-центр», «бизнес класс» are not purpose; «в области инвестиций» is no zone.
* Left to right, the longest span wins («сдавать в аренду» is purpose, not deal; «готовый
  ремонт» is finish, not readiness); matches never overlap.

The phrases are data (``PHRASES``), in a small pattern language described there; adding a
synonym needs no code change.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

__all__ = ["ENTITIES", "PHRASES", "extract_lexicon"]

ENTITIES = ("estate_class", "estate_type", "deal", "purpose", "zone", "finish", "readiness")

# ---------------------------------------------------------------------------------------------
# The synonym table.  One row: (entity, value, pattern); entity None = a blocker, a phrase that
# consumes its words and yields nothing (it wins over shorter phrases like any other row).
#
# Pattern: space-separated token specs, each matching one word of the text:
#   word        a word whose lemma (any pymorphy2 reading) or lowercase form is `word`
#   a|b|c       any of the alternatives
#   =form       exactly this lowercase form (ё read as е)
#   lemma:GR    the lemma in a reading that has pymorphy2 grammeme GR (e.g. готовый:ADJF)
#   spec?       optional word
#   (spec)      context: must be there, but is not part of the span (only first or last)
# Words of one phrase must follow each other with only spaces, hyphens, quotes, «&», «/» or
# «+» between them (a comma or a full stop ends a phrase).
# ---------------------------------------------------------------------------------------------
PHRASES: List[Tuple[Optional[str], Optional[str], str]] = [
    # ---- estate_type -------------------------------------------------------------------------
    ("estate_type", "office", "офис"),
    ("estate_type", "office", "офисный"),
    ("estate_type", "office", "офисный помещение|здание|площадь|блок"),
    ("estate_type", "retail", "торговый"),
    ("estate_type", "retail", "торговый помещение|площадь|зал"),
    ("estate_type", "retail", "торговый центр"),
    ("estate_type", "retail", "тц"),
    ("estate_type", "retail", "псн"),
    ("estate_type", "retail", "помещение свободный назначение"),
    ("estate_type", "retail", "свободный назначение"),
    ("estate_type", "retail", "стрит|стрита ритейл|ритейла|ретейл"),
    ("estate_type", "retail", "стритритейл"),
    ("estate_type", "retail", "street retail"),
    ("estate_type", "retail", "ритейл|ретейл|retail"),
    ("estate_type", "retail", "магазин"),
    ("estate_type", "retail", "торговля"),
    ("estate_type", "retail", "(под|для) кафе|ресторан|общепит|аптека|салон|шоурум|пекарня|кофейня|бар|столовая|стоматология|клиника|фитнес"),
    # shops by themselves: «у меня пекарня», a bare «пекарня» answering «какое помещение?»
    ("estate_type", "retail", "пекарня|кофейня|пиццерия|булочная|магазинчик"),
    # Latin transliteration, as typed on a phone without the Russian layout
    ("estate_type", "office", "ofis|=ofisa|=ofise|=ofisy|office"),
    ("estate_type", "retail", "magazin|=magazina|torgovoe|torgovoye|psn"),
    # where someone is, not what they want
    (None, None, "я|мы =в|=во|=из|=на офис|магазин"),
    (None, None, "=в|=во =офисе|=магазине"),
    (None, None, "=из =офиса|=магазина"),
    (None, None, "приехать|подъехать|заехать|зайти|прийти|подойти|ехать|поехать|приезжать|заходить =к? вам|нам|тебе? =в|=во офис|магазин"),
    (None, None, "ваш|твой офис|магазин"),
    # ---- deal --------------------------------------------------------------------------------
    ("deal", "sale", "купить|покупать|покупка|купля|приобрести|приобретать|приобретение|выкупить|выкупать|выкуп"),
    ("deal", "sale", "купля продажа"),
    ("deal", "sale", "продажа|продаваться"),
    ("deal", "sale", "(=в) собственность"),
    ("deal", "rent", "аренда|арендовать|снять|снимать|=сниму|=снимем|=снимаю"),
    ("deal", "rent", "=арендую|=арендуем|арендоваться"),
    ("deal", "sale", "kupit|kuplyu|kuplu|pokupka|=pokupku"),
    ("deal", "rent", "arenda|=arendu|=arendy|arendovat|snyat"),
    # ---- purpose -----------------------------------------------------------------------------
    ("purpose", "investment", "инвестиция|инвестировать|инвестиционный|инвестор|инвестирование|вложение|вложить|вложиться|вкладываться|вкладывать|перепродажа|перепродать"),
    ("purpose", "investment", "сдавать|сдать|сдача|=сдам|=сдадим в аренда"),
    ("purpose", "investment", "сдать|сдавать|=сдам|=сдадим потом? в аренда"),
    ("purpose", "investment", "(под|для) сдача"),
    ("purpose", "investment", "арендный бизнес"),
    ("purpose", "investment", "готовый арендный бизнес"),
    ("purpose", "investment", "готовый бизнес"),
    ("purpose", "investment", "габ"),
    ("purpose", "investment", "пассивный доход"),
    ("purpose", "investment", "арендный доход"),
    ("purpose", "investment", "доход|заработок|зарабатывать|заработать от|на аренда"),
    ("purpose", "investment", "сохранить|сохранение капитал|сбережение|деньга"),
    ("purpose", "investment", "(с|со) арендатор"),
    ("purpose", "investment", "арендатор =есть"),
    ("purpose", "business", "(для|под) себя"),
    ("purpose", "business", "свой|собственный бизнес|дело|компания|фирма|нужда|использование|производство|команда|сотрудник|работа"),
    ("purpose", "business", "свой|собственный (офис|магазин|помещение|кафе|ресторан|салон|шоурум|торговля|офисный|торговый)"),
    ("purpose", "business", "(для|под) бизнес|компания|фирма|работа|сотрудник|команда|производство|организация"),
    ("purpose", "business", "бизнес"),
    ("purpose", "business", "наш|мой компания|фирма|бизнес|команда|сотрудник|нужда"),
    ("purpose", "business", "(офис|офисы) компания|фирма"),
    (None, None, "бизнес центр|класс|ланч|завтрак"),
    (None, None, "бц"),
    # ---- zone --------------------------------------------------------------------------------
    ("zone", "ttk", "ттк"),
    ("zone", "ttk", "третий транспортный? кольцо"),
    ("zone", "ttk", "садовый|бульварный кольцо"),
    ("zone", "ttk", "(внутри|предел|черта) садовый|садовое|садового|садовом"),
    ("zone", "ttk", "(=в|=во) центр"),
    ("zone", "ttk", "центр (москва|город|столица)"),
    ("zone", "ttk", "цао"),
    ("zone", "ttk", "центральный административный? округ"),
    (None, None, "торговый|деловой|бизнес|офисный|выставочный|медицинский|культурный|развлекательный|фитнес|учебный|колл|сервисный центр"),
    ("zone", "mkad", "мкад|=мкада|=мкаду|=мкадом|=мкаде"),
    ("zone", "mkad", "старый москва"),
    ("zone", "mkad", "за|вне ттк|=ттк"),
    ("zone", "mkad", "за предел ттк"),
    ("zone", "mkad", "между ттк и мкад|=мкада|=мкадом"),
    ("zone", "outside", "за|вне мкад|=мкада|=мкадом|=мкаду"),
    ("zone", "outside", "за предел мкад|=мкада"),
    ("zone", "outside", "новый москва"),
    ("zone", "outside", "нао|подмосковье"),
    ("zone", "outside", "московский область"),
    ("zone", "outside", "(=в|=во) область"),
    (None, None, "=области инвестиция|недвижимость|финансы|налог|налогообложение|аренда|право|бизнес|торговля|продажа"),
    ("zone", "outside", "за =городом"),
    # ---- finish ------------------------------------------------------------------------------
    ("finish", "ready", "(с|со) отделка|ремонт|мебель"),
    ("finish", "ready", "(с|со) готовый|хороший|свежий|новый|качественный|полный|чистовой отделка|ремонт"),
    ("finish", "ready", "готовый|свежий|хороший|полный|чистовой|качественный отделка|ремонт"),
    ("finish", "ready", "отделка|ремонт =есть|=сделан|=сделана|=готов|=готова"),
    ("finish", "ready", "=есть отделка|ремонт"),
    ("finish", "ready", "отделка под ключ"),
    ("finish", "ready", "отремонтированный|меблированный"),
    ("finish", "ready", "(s|so) otdelkoy|otdelkoi|otdelkoj|remontom"),
    ("finish", "shell", "bez otdelki|remonta"),
    ("finish", "partial", "частичный|косметический|частично|предчистовой|минимальный|базовый отделка|ремонт"),
    ("finish", "partial", "(с) частичный|косметический|предчистовой|минимальный|базовый отделка|ремонт"),
    ("finish", "partial", "предчистовой"),
    ("finish", "partial", "white|вайт|уайт box|бокс"),
    ("finish", "partial", "вайтбокс|whitebox"),
    ("finish", "shell", "без отделка|ремонт"),
    ("finish", "shell", "черновой отделка?"),
    ("finish", "shell", "нужный|нужно|требоваться|требовать|=нужен|=нужна нужный? ремонт|отделка"),
    ("finish", "shell", "под ремонт|отделка"),
    ("finish", "shell", "shell|шелл and|энд|и? core|кор"),
    ("finish", "shell", "(=в) бетон"),
    ("finish", "shell", "голый|голые стена|бетон"),
    # ---- readiness ---------------------------------------------------------------------------
    ("readiness", "ready", "готовый:ADJF"),
    ("readiness", "ready", "сдать:PRTS|сдать:PRTF"),
    ("readiness", "ready", "ввести:PRTS|ввести:PRTF|сдать:PRTS|сдать:PRTF в эксплуатация"),
    ("readiness", "ready", "(=в) эксплуатация"),
    ("readiness", "ready", "построить:PRTS|построить:PRTF"),
    ("readiness", "ready", "вторичка|действующий"),
    ("readiness", "ready", "вторичный рынок"),
    ("readiness", "building", "не ввести:PRTS|ввести:PRTF|сдать:PRTS|сдать:PRTF|построить:PRTS|построить:PRTF|достроить:PRTS|достроить:PRTF"),
    ("readiness", "building", "не ввести:PRTS|ввести:PRTF|сдать:PRTS|сдать:PRTF в эксплуатация"),
    ("readiness", "building", "ввести:futr|сдать:futr|достроить:futr|построить:futr"),
    ("readiness", "building", "ввести:futr|сдать:futr в эксплуатация"),
    ("readiness", "building", "недостроить|недострой|строиться|строительство|стройка|котлован|дду|новостройка|=строящийся"),
    ("readiness", "building", "стадия|этап строительство|стройка|котлован"),
    ("readiness", "building", "(на|в) стадия|этап строительство|стройка|котлован"),
    ("readiness", "building", "от застройщик"),
    ("readiness", "building", "off plan"),
]

# ---------------------------------------------------------------------------------------------
# Class letters and their context.
# ---------------------------------------------------------------------------------------------
CLASS_LETTERS: Dict[str, str] = {"а": "A", "a": "A", "б": "B", "b": "B", "в": "B"}
# Lemmas/forms that announce a class: «класс А», «категория Б», «кл. B».
CLASS_WORDS = frozenset({"класс", "категория", "кл", "кат", "klass", "klassa", "class"})
# Forms of «класс» a letter may stand before: «А класс», «Б класса» (not «в классе»).
CLASS_AFTER_FORMS = frozenset({"класс", "класса", "кл", "классом", "klass", "klassa", "class"})
# A Cyrillic letter that is also a word: extra care.
AMBIGUOUS_LETTERS = frozenset({"а", "в"})
LETTER_CONJUNCTIONS = frozenset({"или", "и", "либо"})
# Grammemes of a word that can follow the preposition «в»: then «класса в …» is a preposition.
_PREP_OBJECT_POS = frozenset({"NOUN", "ADJF", "NPRO", "NUMR", "PRTF", "Apro"})
_PREP_OBJECT_CASES = frozenset({"loct", "loc2", "accs"})

# ---------------------------------------------------------------------------------------------
# «any» estate type: the phrases, and the words that make them about the type.
# ---------------------------------------------------------------------------------------------
ANY_PHRASES: List[str] = [
    "любой",
    "неважно|=неважен|=неважна",
    "не =важно|=важен|=важна|=принципиально|=принципиален|=принципиальна",
    "без разница",
    "все|всё =равно",
    "какой =угодно",
]
TYPE_CONTEXT = frozenset({"тип", "вид", "формат", "помещение", "объект", "недвижимость", "назначение"})
# Other attributes: «класс любой», «отделка не важна» are not about the type.
ATTRIBUTE_WORDS = frozenset({
    "класс", "категория", "отделка", "ремонт", "зона", "район", "расположение", "бюджет",
    "площадь", "метраж", "цена", "стоимость", "метро", "станция", "этаж", "срок", "готовность",
    "сделка", "цель", "локация", "место", "ставка", "доходность", "размер",
})
_ANY_FILLERS = frozenset({"какой", "мне", "нам", "по", "вообще", "в", "целом", "тоже", "тут", "уже", "совсем", "абсолютно", "совершенно", "мой", "для", "меня"})

# Characters allowed between two words of one phrase.
_JOIN_GAP = re.compile(r"^[\s\-‐‑–—&/+'\"«»„“”]*$")
_ABBREV_GAP = re.compile(r"^\.\s*$")
_ABBREVIATIONS = frozenset({"кл", "кат"})
_QUOTES = "'\"«»„“”"
_TOKEN = re.compile(r"[^\W_]+")


# ---------------------------------------------------------------------------------------------
# Morphology (pymorphy2, built once, lazily).
# ---------------------------------------------------------------------------------------------


from wewall.nlu.morph import analyzer as _analyzer  # noqa: E402


@dataclass(frozen=True)
class _Reading:
    lemma: str
    grammemes: FrozenSet[str]


@lru_cache(maxsize=50_000)
def _readings(word: str) -> Tuple[_Reading, ...]:
    """All pymorphy2 readings of a lowercase word (ё folded to е)."""
    out = []
    seen = set()
    for p in _analyzer().parse(word):
        lemma = p.normal_form.replace("ё", "е")
        grammemes = frozenset(p.tag.grammemes)
        key = (lemma, grammemes)
        if key not in seen:
            seen.add(key)
            out.append(_Reading(lemma, grammemes))
    return tuple(out)


@lru_cache(maxsize=50_000)
def _lemmas(word: str) -> FrozenSet[str]:
    return frozenset(r.lemma for r in _readings(word)) | {word}


# ---------------------------------------------------------------------------------------------
# Patterns.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    lemmas: FrozenSet[str]          # lemma or lowercase form
    forms: FrozenSet[str]           # exact forms
    grammed: Tuple[Tuple[str, str], ...]  # (lemma, grammeme)
    optional: bool = False
    context: bool = False

    def match(self, tok: _Tok) -> bool:
        if tok.norm in self.forms:
            return True
        if self.lemmas and (self.lemmas & tok.lemmas):
            return True
        for lemma, gram in self.grammed:
            for r in tok.readings:
                if r.lemma == lemma and gram in r.grammemes:
                    return True
        return False

    def keys(self) -> Iterable[str]:
        yield from self.lemmas
        yield from self.forms
        for lemma, _ in self.grammed:
            yield lemma


def _fold(word: str) -> str:
    return word.lower().replace("ё", "е")


def _parse_spec(raw: str) -> _Spec:
    context = raw.startswith("(") and raw.endswith(")")
    if context:
        raw = raw[1:-1]
    optional = raw.endswith("?")
    if optional:
        raw = raw[:-1]
    lemmas, forms, grammed = set(), set(), []
    for alt in raw.split("|"):
        if alt.startswith("="):
            forms.add(_fold(alt[1:]))
        elif ":" in alt:
            lemma, gram = alt.split(":", 1)
            grammed.append((_fold(lemma), gram))
        else:
            lemmas.add(_fold(alt))
    return _Spec(frozenset(lemmas), frozenset(forms), tuple(grammed), optional, context)


@dataclass(frozen=True)
class _Pattern:
    entity: Optional[str]
    value: Optional[str]
    specs: Tuple[_Spec, ...]
    order: int


def _compile(rows: Sequence[Tuple[Optional[str], Optional[str], str]]) -> List[_Pattern]:
    out = []
    for i, (entity, value, text) in enumerate(rows):
        specs = tuple(_parse_spec(part) for part in text.split())
        for j, s in enumerate(specs):
            if s.context and 0 < j < len(specs) - 1:
                raise ValueError(f"context word inside a phrase: {text!r}")
        if specs[0].optional:
            raise ValueError(f"a phrase cannot start with an optional word: {text!r}")
        out.append(_Pattern(entity, value, specs, i))
    return out


_PATTERNS: Optional[List[_Pattern]] = None
_build_lock = threading.Lock()
_BY_KEY: Dict[str, List[_Pattern]] = {}
_ANY: List[List[_Spec]] = []
# Per pattern of _ANY, the keys of each required spec: a pattern none of whose required specs can
# match a token of the text is not tried at each position (a third of the extractor's time).
_ANY_REQUIRED: List[Tuple[List[_Spec], List[FrozenSet[str]]]] = []


def _build() -> None:
    global _PATTERNS, _ANY
    if _PATTERNS is not None:
        return
    with _build_lock:
        if _PATTERNS is not None:
            return
        patterns = _compile(PHRASES)
        by_key: Dict[str, List[_Pattern]] = {}
        for p in patterns:
            anchor = p.specs[1] if p.specs[0].context else p.specs[0]
            for key in anchor.keys():
                by_key.setdefault(key, []).append(p)
        _BY_KEY.update(by_key)
        _ANY = [[_parse_spec(part) for part in phrase.split()] for phrase in ANY_PHRASES]
        _ANY_REQUIRED[:] = [(specs, [frozenset(sp.keys()) for sp in specs if not sp.optional]) for specs in _ANY]
        _PATTERNS = patterns


# ---------------------------------------------------------------------------------------------
# Tokens.
# ---------------------------------------------------------------------------------------------
@dataclass
class _Tok:
    raw: str
    norm: str
    start: int
    end: int

    @property
    def readings(self) -> Tuple[_Reading, ...]:
        return _readings(self.norm)

    @property
    def lemmas(self) -> FrozenSet[str]:
        return _lemmas(self.norm)

    def has_lemma(self, words: FrozenSet[str]) -> bool:
        return bool(self.lemmas & words)


def _tokenize(text: str) -> List[_Tok]:
    return [_Tok(m.group(), _fold(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


class _Text:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self._any: Optional[List[List[_Spec]]] = None

    def any_patterns(self) -> List[List[_Spec]]:
        """The patterns of _ANY whose every required spec shares a key with some token here."""
        if self._any is None:
            keys: Set[str] = set()
            for tok in self.toks:
                keys.update(tok.lemmas)  # its readings' lemmas and its own form
            self._any = [specs for specs, required in _ANY_REQUIRED if all(req & keys for req in required)]
        return self._any

    def gap(self, i: int) -> str:
        """Characters between token i and token i+1."""
        return self.text[self.toks[i].end:self.toks[i + 1].start]

    def joined(self, i: int) -> bool:
        """Token i+1 continues the phrase of token i."""
        if i + 1 >= len(self.toks):
            return False
        g = self.gap(i)
        if _JOIN_GAP.match(g):
            return True
        return bool(_ABBREV_GAP.match(g)) and self.toks[i].norm in _ABBREVIATIONS

    def clause_start(self, i: int) -> bool:
        return i == 0 or not self.joined(i - 1)

    def clause_end(self, i: int) -> bool:
        return i == len(self.toks) - 1 or not self.joined(i)


# ---------------------------------------------------------------------------------------------
# Matching.
# ---------------------------------------------------------------------------------------------
@dataclass
class _Match:
    entity: Optional[str]
    value: Optional[str]
    first: int       # first token of the match (context included)
    last: int        # last token of the match (context included)
    span_first: int
    span_last: int
    order: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


def _match_specs(t: _Text, specs: Sequence[_Spec], i: int) -> Optional[Tuple[int, int, int]]:
    """Match specs starting at token i: (last token, span first, span last) or None."""

    def rec(k: int, pos: int, span_first: int, span_last: int, prev: int):
        if k == len(specs):
            return prev, span_first, span_last
        spec = specs[k]
        if pos < len(t.toks) and (prev < 0 or t.joined(prev)) and spec.match(t.toks[pos]):
            sf = span_first if (spec.context or span_first >= 0) else pos
            sl = span_last if spec.context else pos
            res = rec(k + 1, pos + 1, sf, sl, pos)
            if res is not None:
                return res
        if spec.optional:
            return rec(k + 1, pos, span_first, span_last, prev)
        return None

    res = rec(0, i, -1, -1, -1)
    if res is None or res[1] < 0:
        return None
    return res


def _phrase_matches(t: _Text, i: int) -> List[_Match]:
    """Table phrases whose span starts at token i (a leading context word sits at i - 1)."""
    tok = t.toks[i]
    candidates = set()
    for key in tok.lemmas:
        for p in _BY_KEY.get(key, ()):
            candidates.add(p.order)
    out = []
    assert _PATTERNS is not None  # _build() ran before any text is read
    for order in sorted(candidates):
        p = _PATTERNS[order]
        start = i - 1 if p.specs[0].context else i
        if start < 0:
            continue
        res = _match_specs(t, p.specs, start)
        if res is not None and res[1] == i:
            last, sf, sl = res
            out.append(_Match(p.entity, p.value, start, last, sf, sl, p.order))
    return out


def _letter(tok: _Tok) -> Optional[str]:
    if len(tok.raw) == 1:
        return CLASS_LETTERS.get(tok.norm)
    return None


def _is_class_word(tok: _Tok) -> bool:
    return tok.norm in CLASS_WORDS or tok.has_lemma(CLASS_WORDS)


def _prep_object(tok: _Tok) -> bool:
    """Could this word be the object of the preposition «в» («в центре», «в 5 минутах»)?"""
    if tok.norm.isdigit():
        return True
    if tok.norm == "это" or (tok.readings and tok.readings[0].grammemes & {"PREP", "CONJ", "PRCL", "INTJ"}):
        return False
    for r in tok.readings:
        if (r.grammemes & _PREP_OBJECT_POS) and (r.grammemes & _PREP_OBJECT_CASES):
            return True
    return False


def _letter_after_class_ok(t: _Text, j: int) -> bool:
    """A letter at j right after a class word: is it really the class?"""
    tok = t.toks[j]
    if tok.raw == "В" and not t.clause_start(j - 1) and not t.text.isupper():
        return True  # a capital «В» in mid-sentence is no preposition
    if tok.norm == "в" and tok.raw in "вВ":
        if not t.clause_end(j):
            nxt = t.toks[j + 1]
            if nxt.norm not in LETTER_CONJUNCTIONS and _prep_object(nxt):
                return False
    return True


def _class_matches(t: _Text, i: int) -> List[_Match]:
    toks = t.toks
    out = []
    tok = toks[i]
    # «класс А», «категории б», «кл. B», «класс на Б»
    if _is_class_word(tok) and t.joined(i):
        j = i + 1
        if toks[j].norm == "на" and t.joined(j):
            j += 1
        if _letter(toks[j]) and _letter_after_class_ok(t, j):
            out.append(_Match("estate_class", _letter(toks[j]), i, j, j, j, -2))
    # «А класс», «б класса», «а-класс»
    letter = _letter(tok)
    if letter and t.joined(i) and toks[i + 1].norm in CLASS_AFTER_FORMS:
        glued = not any(c.isspace() for c in t.gap(i))
        ok = True
        if tok.raw in ("в", "В") and toks[i + 1].norm == "класс" and not glued:
            ok = False  # «в класс» is a preposition
        if tok.norm == "а" and tok.raw in ("а", "А") and not glued and t.clause_start(i):
            ok = t.clause_end(i + 1)  # «А класс.» yes, «а класс какой?» no
        if ok:
            out.append(_Match("estate_class", letter, i, i + 1, i, i, -2))
    # «"А"»: a quoted letter
    if letter:
        before = t.text[toks[i - 1].end if i else 0:tok.start]
        after = t.text[tok.end:toks[i + 1].start if i + 1 < len(toks) else len(t.text)]
        if before.strip()[-1:] in tuple(_QUOTES) and after.strip()[:1] in tuple(_QUOTES):
            out.append(_Match("estate_class", letter, i, i, i, i, -2))
    return out


def _letters_only(t: _Text) -> List[_Match]:
    """A message made only of class letters and «или/и/либо»: «А», «б», «a или b»."""
    toks = t.toks
    if not toks or not any(_letter(x) for x in toks):
        return []
    if any(not _letter(x) and x.norm not in LETTER_CONJUNCTIONS for x in toks):
        return []
    if t.text.rstrip().endswith("?") and any(x.norm in AMBIGUOUS_LETTERS for x in toks):
        return []
    return [_Match("estate_class", _letter(x), k, k, k, k, -2) for k, x in enumerate(toks) if _letter(x)]


def _continue_letters(t: _Text, m: _Match, taken: List[_Match]) -> int:
    """After «класс А»: «или Б», «/B», «и б», «, B» are classes too.  Returns the next free token."""
    toks = t.toks
    j = m.span_last
    while j + 1 < len(toks):
        nxt = toks[j + 1]
        k = None
        if t.joined(j):
            if nxt.norm in LETTER_CONJUNCTIONS and j + 2 < len(toks) and t.joined(j + 1) and _letter(toks[j + 2]):
                k = j + 2
            elif _letter(nxt) and "/" in t.gap(j):
                k = j + 1
        elif t.gap(j).strip() == "," and _letter(nxt) and nxt.norm not in AMBIGUOUS_LETTERS:
            k = j + 1
        if k is None or not _letter_after_class_ok(t, k):
            break
        taken.append(_Match("estate_class", _letter(toks[k]), k, k, k, k, -2))
        j = k
    return j + 1


def _any_matches(t: _Text, i: int) -> List[_Match]:
    out = []
    for specs in t.any_patterns():
        res = _match_specs(t, specs, i)
        if res is None:
            continue
        last, sf, sl = res
        if _type_context(t, i, last):
            out.append(_Match("estate_type", "any", i, last, sf, sl, -1))
    return out


def _type_context(t: _Text, first: int, last: int) -> bool:
    """The nearest noun-ish word within the clause (3 words either side) is a type word."""
    toks = t.toks
    best = None  # (distance, is_type)

    def look(k: int, dist: int) -> Optional[bool]:
        tok = toks[k]
        if tok.has_lemma(TYPE_CONTEXT):
            return True
        if tok.has_lemma(ATTRIBUTE_WORDS):
            return False
        return None

    k, dist = first - 1, 1
    while k >= 0 and dist <= 3 and t.joined(k):
        res = look(k, dist)
        if res is not None:
            best = (dist, res)
            break
        if toks[k].norm not in _ANY_FILLERS:
            break
        k, dist = k - 1, dist + 1
    k, dist = last + 1, 1
    while k < len(toks) and dist <= 3 and t.joined(k - 1):
        res = look(k, dist)
        if res is not None:
            if best is None or dist < best[0] or (dist == best[0] and not res):
                best = (dist, res)
            break
        if toks[k].norm not in _ANY_FILLERS:
            break
        k, dist = k + 1, dist + 1
    return bool(best and best[1])


def _extend_to_chunk(text: str, start: int, end: int) -> Tuple[int, int]:
    """Grow a span to whole whitespace tokens without their outer punctuation («а-класс»)."""
    s = start
    while s > 0 and not text[s - 1].isspace():
        s -= 1
    e = end
    while e < len(text) and not text[e].isspace():
        e += 1
    cs, ce = s, e
    while cs < ce and not text[cs].isalnum():
        cs += 1
    while ce > cs and not text[ce - 1].isalnum():
        ce -= 1
    return min(cs, start), max(ce, end)


def extract_lexicon(text: Optional[str]) -> List[Dict]:
    """Entities of the closed vocabularies, in text order, never overlapping."""
    if not text or not text.strip():
        return []
    _build()
    t = _Text(text)
    toks = t.toks
    matches: List[_Match] = []
    only_letters = _letters_only(t)
    if only_letters:
        matches = only_letters
    else:
        i = 0
        while i < len(toks):
            cands = _phrase_matches(t, i) + _class_matches(t, i) + _any_matches(t, i)
            if not cands:
                i += 1
                continue
            # the longest span wins, then the longest match with its context, then the special
            # rules (class, any), then table order
            best = max(cands, key=lambda m: (m.span_last - m.span_first, m.length, -m.order))
            if best.entity is None:
                i = best.last + 1
                continue
            matches.append(best)
            nxt = best.span_last + 1
            if best.entity == "estate_class":
                nxt = max(nxt, _continue_letters(t, best, matches))
            i = max(nxt, i + 1)
    out = []
    prev_end = -1
    for m in matches:
        start, end = toks[m.span_first].start, toks[m.span_last].end
        xs, xe = _extend_to_chunk(text, start, end)
        if xs >= prev_end and not any(
            o is not m and toks[o.span_first].start < xe and toks[o.span_last].end > xs and (o.span_first, o.span_last) != (m.span_first, m.span_last)
            for o in matches
        ):
            start, end = xs, xe
        if start < prev_end:
            continue
        prev_end = end
        out.append({"entity": m.entity, "value": m.value, "start": start, "end": end, "text": text[start:end]})
    return out
