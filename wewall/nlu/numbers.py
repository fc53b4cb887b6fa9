"""Russian number extractor: digits and words alike, built on yargy.

    >>> [m.value for m in extract_numbers("бюджет полтора ляма, офис 700 м2")]
    [1500000, 700]

How it works, and why it is shaped this way:

* The text goes through a yargy ``Tokenizer`` with a few extra token rules
  (grouped digits like ``12 000 000``, decimals, phone numbers, the ``к`` of
  ``500к``, the ``2`` of ``м2``).  Whole digit numbers become single tokens so
  the grammar never has to reason about spaces between digit groups.
* Only maximal runs of numeric-looking tokens are handed to the yargy parser:
  most words of a sentence cannot be part of a number, and the Earley parser
  is the slow part.  Three things make ≥ 2 000 sentences/s possible on one
  core (bench/bench_numbers.py measures it): parsing runs, not sentences;
  one token of lookahead in the parser's predictions (``LookaheadParser``,
  checked against plain yargy in the tests); and memoising parses by the
  run's *shape*, the grammar's verdict on each token, so «911 тысяч» and
  «445 тысяч» share one parse (``RunParser``).
* The grammar (explicit yargy rules below) decides only *which tokens form one
  number*; terminals are named after their category (``U``, ``D``, ``MULT``…),
  and a small fold over the categorised leaves computes the value with exact
  fractions, so «3,5 млн» is exactly 3500000 and never 3499999.9999.

Behaviour worth knowing (tests pin all of it):

* A single ``,`` or ``.`` between digits is a decimal separator («2,5», «3.5»,
  and also «1.500» = 1.5); thousands are grouped by spaces (regular, NBSP, thin)
  or by two or more ``.``/``,`` groups («1.500.000», «1,500,000»).
  Any run «1–3 digits, then space-separated groups of exactly three digits» is one
  number, so «100 200 300» reads as 100200300.
* Phone numbers (``+7``/``7``/``8`` followed by ten digits in any usual layout)
  yield nothing: they are the ``phone`` entity's business, and their pieces as
  numbers would only be noise.  Dates and versions («01.09.2027», «3.6.21»)
  yield their pieces.  Digit strings longer than 21 digits are ignored (ids).
* Words after a multiplier continue the number («две тысячи двадцать» = 2020),
  digits after a multiplier do not unless another multiplier follows
  («1 миллион 200 тысяч» = 1200000, but «500 тысяч 3 комнаты» = 500000, 3).
* ``к``/``k`` means thousand only glued to digits («500к», «1.5k»).
  «тыс», «млн», «млрд», «лимон» need a number before them; «тысяча», «миллион»,
  «миллиард», «лям» alone mean one of them.
* Signs are ignored («-5» gives 5); negatives are not needed by the bot.
* Not supported: fractions other than tenths/hundredths/thousandths
  («три четверти»), «сотня»/«десяток», «пара», ordinals written as
  digits with a suffix give the digits only («3-й» → 3, text «3»).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict, dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Iterable, Iterator, Mapping, Optional

from yargy import or_, rule
from yargy.parser import Node, Parser, State
from yargy.predicates import caseless, custom, in_, in_caseless
from yargy.predicates import type as token_type
from yargy.rule.bnf import is_rule
from yargy.span import Span
from yargy.token import Token
from yargy.tokenizer import EOL, LATIN, OTHER, PUNCT, RUSSIAN, Tokenizer, TokenRule
from yargy.tree.constructors import Leaf

log = logging.getLogger(__name__)

__all__ = ["NumberMatch", "bench", "extract_numbers"]


@dataclass(frozen=True)
class NumberMatch:
    start: int
    end: int
    text: str
    value: int | float
    # True for «третий», «двадцать седьмого»: quarters and floors want to know.
    ordinal: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------
# Lexicon: every word form the grammar knows, by category.
#
# Forms are listed explicitly instead of asking pymorphy2 for normal forms:
# numerals are a closed class, explicit forms are ~30x faster to match and
# cannot be confused by homonyms the analyser guesses at.  All forms use «е»
# for «ё»: the text is folded the same way before tokenising.
# --------------------------------------------------------------------------

def _forms(spec: dict[int, str]) -> dict[str, int]:
    table: dict[str, int] = {}
    for value, words in spec.items():
        for word in words.split():
            table[word] = value
    return table


ZERO = _forms({0: "ноль нуль ноля нуля нолю нулю нолем нулем ноле нуле"})

UNITS = _forms({
    1: "один одна одно одни одного одной одному одним одном одну одною одними одних",
    2: "два две двух двум двумя",
    3: "три трех трем тремя",
    4: "четыре четырех четырем четырьмя",
    5: "пять пяти пятью",
    6: "шесть шести шестью",
    7: "семь семи семью",
    8: "восемь восьми восемью восьмью",
    9: "девять девяти девятью",
})


def _soft(stem: str) -> str:
    """«двадцат» → «двадцать двадцати двадцатью» (numerals in -ь)."""
    return f"{stem}ь {stem}и {stem}ью"


TEENS = _forms({
    10: _soft("десят"),
    11: _soft("одиннадцат"),
    12: _soft("двенадцат"),
    13: _soft("тринадцат"),
    14: _soft("четырнадцат"),
    15: _soft("пятнадцат"),
    16: _soft("шестнадцат"),
    17: _soft("семнадцат"),
    18: _soft("восемнадцат"),
    19: _soft("девятнадцат"),
})

TENS = _forms({
    20: _soft("двадцат"),
    30: _soft("тридцат"),
    40: "сорок сорока",
    50: "пятьдесят пятидесяти пятьюдесятью",
    60: "шестьдесят шестидесяти шестьюдесятью",
    70: "семьдесят семидесяти семьюдесятью",
    80: "восемьдесят восьмидесяти восемьюдесятью восьмьюдесятью",
    90: "девяносто девяноста",
})

HUNDREDS = _forms({
    100: "сто ста",
    200: "двести двухсот двумстам двумястами двухстах",
    300: "триста трехсот тремстам тремястами трехстах",
    400: "четыреста четырехсот четыремстам четырьмястами четырехстах",
    500: "пятьсот пятисот пятистам пятьюстами пятистах",
    600: "шестьсот шестисот шестистам шестьюстами шестистах",
    700: "семьсот семисот семистам семьюстами семистах",
    800: "восемьсот восьмисот восьмистам восемьюстами восьмьюстами восьмистах",
    900: "девятьсот девятисот девятистам девятьюстами девятистах",
})

# Adjective endings shared by every ordinal but «третий»; the masculine
# nominative is «-ый» or, for stressed endings (второй, шестой…), «-ой».
_ADJ_ENDINGS = "ого ому ым ом ая ой ую ое ые ых ыми"


def _ordinal(stem: str, stressed: bool = False) -> str:
    head = "ой" if stressed else "ый"
    return " ".join([stem + head] + [stem + e for e in _ADJ_ENDINGS.split()])


ORD_UNITS = _forms({
    1: _ordinal("перв"),
    2: _ordinal("втор", stressed=True),
    3: "третий третьего третьему третьим третьем третья третьей третью третье "
       "третьи третьих третьими",
    4: _ordinal("четверт"),
    5: _ordinal("пят"),
    6: _ordinal("шест", stressed=True),
    7: _ordinal("седьм", stressed=True),
    8: _ordinal("восьм", stressed=True),
    9: _ordinal("девят"),
})
ORD_TEENS = _forms({
    10: _ordinal("десят"),
    11: _ordinal("одиннадцат"),
    12: _ordinal("двенадцат"),
    13: _ordinal("тринадцат"),
    14: _ordinal("четырнадцат"),
    15: _ordinal("пятнадцат"),
    16: _ordinal("шестнадцат"),
    17: _ordinal("семнадцат"),
    18: _ordinal("восемнадцат"),
    19: _ordinal("девятнадцат"),
})
ORD_TENS = _forms({
    20: _ordinal("двадцат"),
    30: _ordinal("тридцат"),
    40: _ordinal("сороков", stressed=True),
    50: _ordinal("пятидесят"),
    60: _ordinal("шестидесят"),
    70: _ordinal("семидесят"),
    80: _ordinal("восьмидесят"),
    90: _ordinal("девяност"),
})
ORD_HUNDREDS = _forms({
    100: _ordinal("сот"),
    200: _ordinal("двухсот"),
    300: _ordinal("трехсот"),
    400: _ordinal("четырехсот"),
    500: _ordinal("пятисот"),
    600: _ordinal("шестисот"),
    700: _ordinal("семисот"),
    800: _ordinal("восьмисот"),
    900: _ordinal("девятисот"),
})
# «тысячный», «миллионный»: may take a cardinal before them («сто тысячный»).
ORD_MULT = _forms({
    1000: _ordinal("тысячн"),
    10**6: _ordinal("миллионн"),
    10**9: _ordinal("миллиардн"),
})

# Compound ordinals are written as one word: «двухтысячный», «пятисоттысячный»,
# «двадцатиоднотысячный».  The prefix is a chain of genitive stems.
_COMPOUND_STEMS = {
    "одно": 1, "двух": 2, "трех": 3, "четырех": 4, "пяти": 5, "шести": 6,
    "семи": 7, "восьми": 8, "девяти": 9, "десяти": 10, "одиннадцати": 11,
    "двенадцати": 12, "тринадцати": 13, "четырнадцати": 14, "пятнадцати": 15,
    "шестнадцати": 16, "семнадцати": 17, "восемнадцати": 18, "девятнадцати": 19,
    "двадцати": 20, "тридцати": 30, "сорока": 40, "пятидесяти": 50,
    "шестидесяти": 60, "семидесяти": 70, "восьмидесяти": 80, "девяноста": 90,
    "девяносто": 90, "сто": 100, "двухсот": 200, "трехсот": 300,
    "четырехсот": 400, "пятисот": 500, "шестисот": 600, "семисот": 700,
    "восьмисот": 800, "девятисот": 900,
}
# Longest stems first so «пятисот» wins over «пяти» + «сот».
_STEM_ALT = "|".join(sorted(_COMPOUND_STEMS, key=len, reverse=True))
_COMPOUND_RE = re.compile(
    rf"((?:{_STEM_ALT})+)(тысячн|миллионн|миллиардн)(?:ый|{'|'.join(_ADJ_ENDINGS.split())})"
)
_STEM_RE = re.compile(_STEM_ALT)
_COMPOUND_MULT = {"тысячн": 1000, "миллионн": 10**6, "миллиардн": 10**9}


@lru_cache(maxsize=4096)
def compound_ordinal(word: str) -> int | None:
    """«двухтысячный» → 2000, «пятисоттысячного» → 500000, else None."""
    match = _COMPOUND_RE.fullmatch(word.lower().replace("ё", "е"))
    if not match:
        return None
    prefix = sum(_COMPOUND_STEMS[s] for s in _STEM_RE.findall(match.group(1)))
    return prefix * _COMPOUND_MULT[match.group(2)]


# Multipliers.  *_SOLO forms may stand alone and mean one of them («тысяча
# рублей», «миллион»); plural forms and abbreviations need a number before
# them, otherwise «тысячи людей» or a stray «млн» would become numbers.
K_SOLO = _forms({1000: "тысяча тысячу тысячи тысяче тысячей тысячею тыща тыщу тыщи"})
K_ANY = {**K_SOLO, **_forms({1000: "тысяч тысячам тысячами тысячах тыс тыщ тыщам тыщами"})}
M_SOLO = _forms({10**6: "миллион миллиона миллиону миллионом миллионе "
                        "лям ляма ляму лямом ляме"})
M_ANY = {**M_SOLO, **_forms({10**6: "миллионы миллионов миллионам миллионами миллионах "
                                    "млн лямы лямов лямам лямами лямах "
                                    "лимон лимона лимону лимоном лимоне лимонов лимонами"})}
B_SOLO = _forms({10**9: "миллиард миллиарда миллиарду миллиардом миллиарде"})
B_ANY = {**B_SOLO, **_forms({10**9: "миллиарды миллиардов миллиардам миллиардами "
                                    "миллиардах млрд"})}
MULTIPLIERS = {**K_ANY, **M_ANY, **B_ANY}

POLTORA = {"полтора": Fraction(3, 2), "полторы": Fraction(3, 2), "полутора": Fraction(3, 2)}
POL = {"пол": Fraction(1, 2)}
# One-word halves: «полмиллиона», «полтысячи».  Level decides what may follow.
POL_K = _forms({500: "полтысячи полтыщи"})
POL_M = _forms({500_000: "полмиллиона полляма пол-ляма"})
POL_B = _forms({500_000_000: "полмиллиарда"})
POL_WORDS = {**POL_K, **POL_M, **POL_B, **_forms({50: "полсотни"})}
HALF = {"половиной": Fraction(1, 2), "половинкой": Fraction(1, 2)}
WHOLE = dict.fromkeys("целых целая целой целую целые".split(), 1)
DENOMINATORS = _forms({
    10: "десятая десятых десятой десятую десятые",
    100: "сотая сотых сотой сотую сотые",
    1000: "тысячная тысячных тысячной тысячную тысячные",
})

# Category name → forms.  The names are also the names of the yargy terminal
# rules, which is how the value fold below knows what each leaf means.
LEXICON: dict[str, Mapping[str, int | Fraction]] = {
    "ZERO": ZERO, "U": UNITS, "T": TEENS, "D": TENS, "H": HUNDREDS,
    "ORD_U": ORD_UNITS, "ORD_T": ORD_TEENS, "ORD_D": ORD_TENS,
    "ORD_H": ORD_HUNDREDS, "ORD_MULT": ORD_MULT,
    "MULT": MULTIPLIERS, "POLTORA": POLTORA, "POL": POL, "POLWORD": POL_WORDS,
    "HALF": HALF, "WHOLE": WHOLE, "DEN": DENOMINATORS,
}
ORDINAL_CATEGORIES = {"ORD_U", "ORD_T", "ORD_D", "ORD_H", "ORD_MULT", "ORD_MC"}
# Categories that carry a value by themselves; a run without any is skipped.
_VALUE_CATEGORIES = set(LEXICON) - {"POL", "HALF", "WHOLE", "DEN"}

# Every known word form, for the cheap "could this token be numeric" check.
_KNOWN_WORDS: dict[str, bool] = {}
for _category, _table in LEXICON.items():
    for _word in _table:
        _KNOWN_WORDS[_word] = _KNOWN_WORDS.get(_word, False) or _category in _VALUE_CATEGORIES


# --------------------------------------------------------------------------
# Tokenizer: yargy's regex tokenizer with number-aware rules in front.
# --------------------------------------------------------------------------

DIGITS = "DIG"          # 7, 2027, 007
DECIMAL = "DEC"         # 2,5  3.5
GROUPED = "GRP"         # 12 000 000  1.500.000  1,500,000  1 500 000,50
PHONE = "PHONE"         # +7 916 123-45-67: swallowed, never a number
K_SUFFIX = "KSFX"       # the к of 500к
POWER = "POW"           # the 2 of м2 / м²
LONG_DIGITS = "LONGDIG"  # ids, card numbers: ignored

MAX_DIGITS = 21
_SPACES = "[ \u00a0\u2009\u202f]"
_NO_MORE_DIGITS = r"(?![0-9]|[.,][0-9])"

TOKEN_RULES = [
    TokenRule(EOL, r"[\n\r\u2028\u2029]+"),
    # Before any digit rule: the «2» of «45м2» is an exponent, not a number.
    TokenRule(POWER, r"(?<=[мm])[23²³](?![0-9])"),
    TokenRule(PHONE, r"(?<![0-9+])(?:\+7|8|7)[ \u00a0\-]*\(?[0-9]{3}\)?[ \u00a0\-]*"
                     r"[0-9]{3}[ \u00a0\-]*[0-9]{2}[ \u00a0\-]*[0-9]{2}(?![0-9])"),
    TokenRule(LONG_DIGITS, r"[0-9]{%d,}" % (MAX_DIGITS + 1)),
    # Groups of exactly three digits after the first; an optional decimal tail.
    TokenRule(GROUPED, r"(?<![0-9])[0-9]{1,3}(?:%s[0-9]{3})+(?:[.,][0-9]+)?%s"
                       % (_SPACES, _NO_MORE_DIGITS)),
    TokenRule(GROUPED, r"(?<![0-9])[0-9]{1,3}(?:\.[0-9]{3}){2,}(?:,[0-9]+)?%s" % _NO_MORE_DIGITS),
    TokenRule(GROUPED, r"(?<![0-9])[0-9]{1,3}(?:,[0-9]{3}){2,}(?:\.[0-9]+)?%s" % _NO_MORE_DIGITS),
    # Not a decimal inside «01.09.2027» or «3.6.21»: those fall apart into pieces.
    TokenRule(DECIMAL, r"(?<![0-9][.,])[0-9]+[.,][0-9]+%s" % _NO_MORE_DIGITS),
    TokenRule(DIGITS, r"[0-9]+"),
    TokenRule(K_SUFFIX, r"(?<=[0-9])[кk](?![а-яa-z0-9])"),
    TokenRule(RUSSIAN, r"[а-яё]+"),
    TokenRule(LATIN, r"[a-z]+"),
    TokenRule(PUNCT, r'[-\\/!#$%&()\[\]\*\+,\.:;<=>?@^_`{|}~№…"\'«»„“ʼʻ”]'),
    TokenRule(OTHER, r"\S"),
]
_DIGIT_TYPES = {DIGITS, DECIMAL, GROUPED}
_CONNECTORS = {"с", "и", "-", "–", "—"}
_YO = str.maketrans("ёЁ", "еЕ")


class RunTokenizer(Tokenizer):
    """Tokenizer that also accepts ready tokens, so a run can be re-parsed."""

    def __call__(self, text):
        if isinstance(text, str):
            return super().__call__(text)
        return iter(text)


TOKENIZER = RunTokenizer(TOKEN_RULES)


def digits_value(text: str) -> Fraction:
    """«12 000 000» → 12000000, «2,5» → 5/2, «1.500.000» → 1500000."""
    text = re.sub(_SPACES, "", text)
    if text.count(".") + text.count(",") > 1:
        # The repeated separator groups thousands; a different last one is decimal.
        groups = "." if text.count(".") > 1 else ","
        text = text.replace(groups, "")
    return Fraction(text.replace(",", "."))


# --------------------------------------------------------------------------
# Grammar.  Terminals are named after their lexicon category.
# --------------------------------------------------------------------------

def _terminal(category: str):
    return in_caseless(LEXICON[category]).named(category)


def _forms_rule(table: dict, name: str):
    return in_caseless(table).named(name)


def build_grammar():
    U, T, D, H = (_terminal(c) for c in ("U", "T", "D", "H"))
    ZERO_ = _terminal("ZERO")
    ORD_U, ORD_T, ORD_D, ORD_H = (_terminal(c) for c in ("ORD_U", "ORD_T", "ORD_D", "ORD_H"))
    ORD_MS = _terminal("ORD_MULT")
    ORD_MC = custom(lambda v: compound_ordinal(v) is not None, types=RUSSIAN).named("ORD_MC")
    DIG = or_(token_type(DIGITS), token_type(DECIMAL), token_type(GROUPED)).named("DIG")
    KSFX = token_type(K_SUFFIX).named("KSFX")
    POLTORA_ = _terminal("POLTORA")
    POL_ = _terminal("POL")
    HALF_ = _terminal("HALF")
    WHOLE_ = _terminal("WHOLE")
    DEN = _terminal("DEN")
    S = caseless("с")
    AND = caseless("и")
    HYPHEN = in_({"-", "–", "—"})

    # 1…999 in words: «сто двадцать пять», «двухсот пятидесяти», «семистах».
    under_1000 = or_(
        rule(H, D, U), rule(H, D), rule(H, T), rule(H, U), H,
        rule(D, U), D, T, U,
    )
    # The last word is ordinal, the rest cardinal: «сто двадцать седьмой».
    ordinal_under_1000 = or_(
        rule(H, D, ORD_U), rule(H, ORD_U), rule(D, ORD_U), ORD_U,
        rule(H, ORD_T), ORD_T,
        rule(H, ORD_D), ORD_D,
        ORD_H,
    )
    # «две целых пять десятых», «ноль целых и двадцать пять сотых», «пять десятых».
    decimal_words = or_(
        rule(or_(under_1000, rule(ZERO_)), WHOLE_, rule(AND).optional(), under_1000, DEN),
        rule(under_1000, DEN),
    )
    with_half = rule(or_(under_1000, rule(DIG)), S, HALF_)
    # What may stand before a multiplier, and most of what may stand alone.
    coefficient = or_(
        under_1000, rule(DIG), with_half, rule(POLTORA_), decimal_words,
    )

    def group(any_forms: dict, solo_forms: dict, pol_forms: dict, level: str):
        mult = _forms_rule(any_forms, "MULT")
        solo = _forms_rule(solo_forms, "MULT")
        alternatives = [
            rule(coefficient, mult),
            rule(POL_, rule(HYPHEN).optional(), mult),
            rule(coefficient, mult, S, HALF_),   # «два миллиона с половиной»
            rule(solo),
            rule(solo, S, HALF_),                # «миллион с половиной»
            _forms_rule(pol_forms, "POLWORD"),
        ]
        if level == "K":
            alternatives.append(rule(DIG, KSFX))
        return or_(*alternatives)

    thousands = group(K_ANY, K_SOLO, POL_K, "K")
    millions = group(M_ANY, M_SOLO, POL_M, "M")
    billions = group(B_ANY, B_SOLO, POL_B, "B")

    cardinal = or_(
        rule(billions, millions.optional(), thousands.optional(), under_1000.optional()),
        rule(millions, thousands.optional(), under_1000.optional()),
        rule(thousands, under_1000.optional()),
        coefficient,
        rule(ZERO_),
        _forms_rule({"полсотни": 50}, "POLWORD"),
    )
    ordinal_mult = or_(rule(under_1000.optional(), ORD_MS), rule(ORD_MC))
    ordinal = or_(
        rule(billions.optional(), millions.optional(), thousands.optional(), ordinal_under_1000),
        rule(billions.optional(), millions.optional(), ordinal_mult),
    )
    # Ordinal first: for the rare same-span ambiguity («сто десятых») the
    # first alternative wins, and «110-х» is the likelier reading.
    return or_(ordinal, cardinal)


class LookaheadParser(Parser):
    """yargy's Earley parser with one token of lookahead in prediction.

    Plain yargy predicts every production of the grammar at every position,
    ~900 chart states for a one-token run; here a rule only predicts the
    productions whose FIRST set accepts the next token.  ``BNFRule.predict``
    takes the next token for exactly this purpose (yargy's pipelines use it),
    so the parse itself is untouched: same charts minus dead states.
    """

    def __init__(self, rule, tokenizer=None, tagger=None):
        super().__init__(rule, tokenizer=tokenizer, tagger=tagger)
        rules = self._bnf_rules(self.rule)
        nullable = self._nullable(rules)
        first = self._first_sets(rules, nullable)
        self._first_predicates = list({id(p): p for f in first.values() for p in f}.values())
        # Every terminal, not only the FIRST ones: a run's shape must tell
        # apart tokens that differ anywhere in the grammar («с», «половиной»).
        self._all_predicates = list({id(t): t for r in rules for p in r.productions
                                     for t in p.terms if not is_rule(t)}.values())
        for item in rules:
            item.predict = self._predictor(item, nullable, first)

    @staticmethod
    def _bnf_rules(start):
        seen, queue = {}, [start]
        while queue:
            item = queue.pop()
            if id(item) in seen:
                continue
            seen[id(item)] = item
            queue.extend(t for p in item.productions for t in p.terms if is_rule(t))
        return list(seen.values())

    @staticmethod
    def _nullable(rules) -> set[int]:
        nullable: set[int] = set()
        changed = True
        while changed:
            changed = False
            for item in rules:
                if id(item) in nullable:
                    continue
                if any(all(is_rule(t) and id(t) in nullable for t in p.terms)
                       for p in item.productions):
                    nullable.add(id(item))
                    changed = True
        return nullable

    @staticmethod
    def _first_sets(rules, nullable) -> dict[int, list]:
        first: dict[int, dict[int, object]] = {id(r): {} for r in rules}
        changed = True
        while changed:
            changed = False
            for item in rules:
                bucket = first[id(item)]
                before = len(bucket)
                for production in item.productions:
                    for term in production.terms:
                        if is_rule(term):
                            bucket.update(first[id(term)])
                            if id(term) not in nullable:
                                break
                        else:
                            bucket[id(term)] = term
                            break
                changed = changed or len(bucket) != before
        return {key: list(value.values()) for key, value in first.items()}

    def predict(self, column, next_column, rule):
        # yargy predicts the whole grammar after the last token, where nothing
        # can be scanned any more; only empty productions may still complete
        # something there (an optional tail), so only they are predicted.
        if next_column is None:
            productions = rule.nullable_productions
        else:
            productions = rule.predict(next_column.token)
        ranks = rule.ranks
        for production in productions:
            # The rank is the production's place in the full rule, as in plain
            # yargy, so ambiguous parses are still resolved the same way.
            node = Node(rule, production, rank=ranks[id(production)], children=[])
            column.append(State(rule, production, dot_index=0, start_column=column,
                                stop_column=column, node=node))

    def _accepting(self, token) -> frozenset:
        accepted = getattr(token, "_accepted", None)
        if accepted is None:
            accepted = frozenset(id(p) for p in self._first_predicates if p(token))
            token._accepted = accepted
        return accepted

    def signature(self, token) -> tuple[bool, ...]:
        """Which terminals accept the token: all the parser can know of it."""
        return tuple(p(token) for p in self._all_predicates)

    def _predictor(self, item, nullable, first):
        entries = []
        for production in item.productions:
            starts: set[int] = set()
            always = True
            for term in production.terms:
                if is_rule(term):
                    starts.update(id(p) for p in first[id(term)])
                    if id(term) not in nullable:
                        always = False
                        break
                else:
                    starts.add(id(term))
                    always = False
                    break
            entries.append((production, frozenset(starts), always))
        item.nullable_productions = [p for p, _, always in entries if always]
        item.ranks = {id(p): index for index, p in enumerate(item.productions)}
        cache: dict[frozenset, list] = {}

        def predict(token):
            accepted = self._accepting(token)
            productions = cache.get(accepted)
            if productions is None:
                productions = [p for p, starts, always in entries
                               if always or not starts.isdisjoint(accepted)]
                cache[accepted] = productions
            return productions

        return predict


_PARSER = LookaheadParser(build_grammar(), tokenizer=TOKENIZER)

_CATEGORIES = set(LEXICON) | {"DIG", "KSFX", "ORD_MC"}


# --------------------------------------------------------------------------
# Value: a fold over the categorised leaves of the chosen parse tree.
# --------------------------------------------------------------------------

def _leaves(node, category=None) -> Iterator[tuple[str, Token]]:
    if isinstance(node, Leaf):
        yield category or "CONN", node.token
        return
    name = node.rule.name
    if name in _CATEGORIES:
        category = name
    for child in node.children:
        yield from _leaves(child, category)


def _word_value(category: str, token: Token):
    word = token.value.lower()
    if category == "DIG":
        return digits_value(token.value)
    if category == "KSFX":
        return 1000
    if category == "ORD_MC":
        return compound_ordinal(word)
    return LEXICON[category][word]


def evaluate(leaves: Iterable[tuple[str, Token]]) -> tuple[Fraction, bool]:
    """Fold (category, token) pairs into a value.

    ``current`` collects the part below the next multiplier, ``total`` the
    finished groups: «сто двадцать пять тысяч триста» = (100+20+5)·1000 + 300.
    """
    total = Fraction(0)
    current = Fraction(0)
    whole_part = None
    last_mult = None
    ordinal = False
    for category, token in leaves:
        if category == "CONN":
            continue
        ordinal = ordinal or category in ORDINAL_CATEGORIES
        if category in ("MULT", "KSFX") or (category == "ORD_MULT"):
            mult = _word_value(category, token)
            total += (current or 1) * mult
            current = Fraction(0)
            last_mult = mult
            continue
        last = last_mult
        last_mult = None
        if category == "HALF":
            # «миллион с половиной» halves the multiplier, «два с половиной» the unit.
            if last is not None:
                total += Fraction(last, 2)
            else:
                current += Fraction(1, 2)
        elif category in ("POLWORD", "ORD_MC"):
            total += _word_value(category, token)
        elif category == "WHOLE":
            whole_part, current = current, Fraction(0)
        elif category == "DEN":
            total += (whole_part or 0) + current / _word_value(category, token)
            whole_part, current = None, Fraction(0)
        else:
            current += _word_value(category, token)
    return total + current, ordinal


def _plain(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


# --------------------------------------------------------------------------
# Runs: which stretches of the text are worth parsing.
# --------------------------------------------------------------------------

WINDOW = 64
SAFE_TAIL = 32


def _numeric_kind(tokens: list[Token], index: int) -> int:
    """2: carries a value, 1: may sit inside a number, 0: breaks a run."""
    token = tokens[index]
    if token.type in _DIGIT_TYPES or token.type == K_SUFFIX:
        return 2
    if token.type not in (RUSSIAN, PUNCT, OTHER):
        return 0
    word = token.value.lower()
    if word in _CONNECTORS:
        return 1
    known = _KNOWN_WORDS.get(word)
    if known is None:
        return 2 if token.type == RUSSIAN and compound_ordinal(word) else 0
    if known and word.endswith(("ых", "их")) and index >= 2 \
            and tokens[index - 1].value == "-" and tokens[index - 2].value.lower() in ("во", "в"):
        return 0  # «во-первых», «в-третьих» are discourse markers, not numbers
    return 2 if known else 1


def _runs(tokens: list[Token]) -> Iterator[tuple[int, int]]:
    """Yield [start, stop) token ranges that may contain numbers."""
    start, has_value = None, False
    for index in range(len(tokens) + 1):
        kind = _numeric_kind(tokens, index) if index < len(tokens) else 0
        if kind:
            if start is None:
                start, has_value = index, False
            has_value = has_value or kind == 2
            continue
        if start is not None and has_value:
            yield start, index
        start = None


class RunParser:
    """Parses runs, memoising parse *shapes* rather than texts.

    The Earley parser looks at a token only through the grammar's predicates,
    so two runs whose tokens are accepted by the same predicates («911 тысяч»
    and «445 тысяч», «сто двадцать пять» and «триста сорок семь») get the same
    parse.  The cache key is that tuple of predicate verdicts; what is cached is
    the segmentation and the category of every leaf, and the values are then
    computed from the real tokens.  Dialogues use a few hundred shapes, so after
    a short warm-up the parser runs only for genuinely new constructions.
    """

    def __init__(self, parser: LookaheadParser, max_shapes: int = 20_000):
        self.parser = parser
        self.max_shapes = max_shapes
        self.shapes: dict[Optional[tuple], tuple] = {}
        self.enabled = True

    def clear(self) -> None:
        self.shapes.clear()

    def parse(self, run: list[Token]) -> list[tuple[int, int, Fraction, bool]]:
        """[(first token, stop token, value, ordinal)] with indexes into ``run``."""
        if len(run) > WINDOW:
            return self._parse_long(run)
        # Spans become token indexes: the parse is then position-independent.
        tokens = [Token(t.value, Span(i, i + 1), t.type) for i, t in enumerate(run)]
        shape = tuple(self.parser.signature(t) for t in tokens) if self.enabled else None
        found = self.shapes.get(shape) if self.enabled else None
        if found is None:
            found = tuple(
                (m.span.start, m.span.stop,
                 tuple((category, leaf.span.start) for category, leaf in _leaves(m.tree.root)))
                for m in self.parser.findall(tokens)
            )
            if self.enabled:
                if len(self.shapes) >= self.max_shapes:
                    self.shapes.clear()  # crude, but bounded, and shapes are cheap to rebuild
                self.shapes[shape] = found
        result = []
        for start, stop, leaves in found:
            value, ordinal = evaluate((category, run[i]) for category, i in leaves)
            result.append((start, stop, value, ordinal))
        return result

    def _parse_long(self, run: list[Token]) -> list[tuple[int, int, Fraction, bool]]:
        # Earley parsing is superlinear in the worst case and numbers are never
        # longer than ~25 tokens, so long runs are read in overlapping windows;
        # a match starting in a window's last SAFE_TAIL tokens is re-read in the
        # next window, where it has its full right context.
        found, offset = [], 0
        while offset < len(run):
            window = run[offset:offset + WINDOW]
            last = offset + len(window) >= len(run)
            next_offset = offset + len(window) - (0 if last else SAFE_TAIL)
            for start, stop, value, ordinal in self.parse(window):
                if not last and offset + start >= next_offset:
                    break
                found.append((offset + start, offset + stop, value, ordinal))
                next_offset = max(next_offset, offset + stop)
            offset = next_offset
        return found


RUN_PARSER = RunParser(_PARSER)


def extract_numbers(text: str | None) -> list[NumberMatch]:
    """All numbers in ``text``, in text order; [] when there are none."""
    if text is None:
        return []
    if not isinstance(text, str):
        raise TypeError(f"extract_numbers expects str, got {type(text).__name__}")
    folded = text.translate(_YO)  # same length, so offsets stay valid
    tokens = list(TOKENIZER(folded))
    result = []
    for run_start, run_stop in _runs(tokens):
        run = tokens[run_start:run_stop]
        try:
            spans = RUN_PARSER.parse(run)
        except Exception:  # pragma: no cover - a grammar bug must not kill the bot
            log.exception("number parser failed on %r", folded[run[0].span.start:run[-1].span.stop])
            continue
        for start, stop, value, ordinal in spans:
            char_start, char_end = run[start].span.start, run[stop - 1].span.stop
            result.append(NumberMatch(char_start, char_end, text[char_start:char_end],
                                      _plain(value), ordinal))
    return result


def bench(sentences: list[str], repeat: int = 1, cold: bool = True,
          cache: bool = True) -> float:
    """Sentences per second of :func:`extract_numbers` on this core.

    ``cold`` empties the shape cache first, so its warm-up is part of the
    figure; ``cache=False`` measures the bare yargy parser on every run.
    """
    if cold:
        RUN_PARSER.clear()
    RUN_PARSER.enabled = cache
    try:
        started = time.perf_counter()
        for _ in range(repeat):
            for sentence in sentences:
                extract_numbers(sentence)
        elapsed = time.perf_counter() - started
    finally:
        RUN_PARSER.enabled = True
    return len(sentences) * repeat / elapsed if elapsed else float("inf")
