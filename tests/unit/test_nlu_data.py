"""The NLU training data (data/nlu) and the held-out test set (tests/nlu/test_nlu.yml).

Parsing only (rasa's own YAML reader and tokenizer), no training: a few seconds.
"""

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TRAIN_DIR = ROOT / "data" / "nlu"
TEST_FILE = ROOT / "tests" / "nlu" / "test_nlu.yml"
DOMAIN = ROOT / "domain"

FAQ_TOPICS = {"irr", "estate_class", "usn_nds", "ttk_mkad", "finish", "rent_holidays", "capitalization", "commission"}
MIN_PER_INTENT = 40
MIN_FAQ_TOPIC = 10
MIN_INFORM = 250
MIN_TEST = 400
MIN_TEST_PER_ENTITY = 15
TEST_ENTITIES = [
    "area_m2", "money_rub", "percent", "duration_min", "distance_m", "quarter", "metro_station",
    "estate_class", "estate_type", "deal", "purpose", "zone", "finish", "readiness", "phone",
    "person_name",
]
LEXICON_VALUES = {
    "estate_class": {"A", "B"},
    "estate_type": {"office", "retail", "any"},
    "deal": {"sale", "rent"},
    "purpose": {"investment", "business"},
    "zone": {"ttk", "mkad", "outside"},
    "finish": {"ready", "partial", "shell"},
    "readiness": {"ready", "building"},
}
NUMERIC = {"area_m2", "money_rub", "percent", "duration_min", "distance_m", "number"}
# Characters rasa's WhitespaceTokenizer drops at the end of a word («5%» → «5», «700 м²» → «м»):
# a quantity's unit symbol may end the span after the last token (evaluation matches entities to
# tokens by overlap; DIET would ignore such an entity, but entities here are not DIET's).
_UNIT_TAIL = re.compile(r"^\s*[%₽$€²³°]+$")
# Likewise the «+» of «+7 916 …» (a phone is annotated as written), which a tokenizer of
# letter/digit runs drops at the start.
_SIGN_HEAD = re.compile(r"^\+$")


def _load(path):
    import logging

    from rasa.shared.nlu.training_data.loading import load_data

    logging.getLogger("rasa").setLevel(logging.ERROR)
    return load_data(str(path))


def _label(msg):
    """intent, or faq/<topic> for the retrieval intent."""
    intent = msg.get("intent")
    key = msg.get("intent_response_key")
    return key or intent


def _norm(text):
    text = text.lower().replace("ё", "е")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


@pytest.fixture(scope="module")
def train():
    return _load(TRAIN_DIR).nlu_examples


@pytest.fixture(scope="module")
def test_set():
    return _load(TEST_FILE).nlu_examples


@pytest.fixture(scope="module")
def domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(str(DOMAIN)).as_dict()  # the files of domain/ merged as Rasa merges them


def _domain_intents(domain):
    return [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]


def _domain_entities(domain):
    out = {}
    for e in domain.get("entities", []):
        if isinstance(e, str):
            out[e] = set()
        else:
            name, spec = next(iter(e.items()))
            out[name] = set((spec or {}).get("roles", []))
    return out


def test_every_intent_has_enough_training_examples(train, domain):
    counts = Counter(_label(m) for m in train)
    problems = []
    for intent in _domain_intents(domain):
        if intent.startswith("EXTERNAL_"):
            # sent by the worker (trigger_intent), never written by a client
            assert counts[intent] == 0, f"{intent} must not be learnt from client messages"
        elif intent == "faq":
            for topic in FAQ_TOPICS:
                if counts[f"faq/{topic}"] < MIN_FAQ_TOPIC:
                    problems.append(f"faq/{topic}: {counts[f'faq/{topic}']}")
        elif intent == "start":
            assert counts["start"] >= 1
        elif intent == "inform":
            if counts["inform"] < MIN_INFORM:
                problems.append(f"inform: {counts['inform']}")
        elif counts[intent] < MIN_PER_INTENT:
            problems.append(f"{intent}: {counts[intent]}")
    assert not problems, problems


def test_training_intents_are_in_the_domain(train, test_set, domain):
    declared = set(_domain_intents(domain))
    for m in list(train) + list(test_set):
        assert m.get("intent") in declared, m.get("text")


def test_no_example_under_two_intents(train, test_set):
    for examples in (train, test_set):
        seen = defaultdict(set)
        for m in examples:
            seen[_norm(m.get("text"))].add(_label(m))
        clashes = {t: sorted(i) for t, i in seen.items() if len(i) > 1}
        assert not clashes, clashes


def test_test_set_is_held_out(train, test_set):
    trained = {_norm(m.get("text")) for m in train}
    overlap = sorted({m.get("text") for m in test_set if _norm(m.get("text")) in trained})
    assert not overlap, overlap


def test_test_set_size_and_coverage(test_set, domain):
    assert len(test_set) >= MIN_TEST
    labels = Counter(_label(m) for m in test_set)
    for intent in _domain_intents(domain):
        if intent.startswith("EXTERNAL_"):
            assert labels[intent] == 0, f"{intent} is not something a client writes"
        elif intent == "faq":
            for topic in FAQ_TOPICS:
                assert labels[f"faq/{topic}"] >= 1, topic
        else:
            assert labels[intent] >= 1, intent


def test_test_set_entities(test_set):
    per_entity = Counter()
    for m in test_set:
        for name in {e["entity"] for e in m.get("entities") or []}:
            per_entity[name] += 1
    short = {e: per_entity[e] for e in TEST_ENTITIES if per_entity[e] < MIN_TEST_PER_ENTITY}
    assert not short, short
    roles = Counter(e.get("role") for m in test_set for e in m.get("entities") or [] if e["entity"] == "duration_min")
    assert roles["walk"] >= 5 and roles["transport"] >= 5, roles


def _annotations(examples):
    for m in examples:
        for e in m.get("entities") or []:
            yield m, e


@pytest.mark.parametrize("which", ["train", "test_set"])
def test_annotations_are_declared_and_normalised(which, request, domain):
    examples = request.getfixturevalue(which)
    entities = _domain_entities(domain)
    problems = []
    for m, e in _annotations(examples):
        name, value, role = e["entity"], str(e.get("value")), e.get("role")
        text = m.get("text")[e["start"]:e["end"]]
        if name not in entities:
            problems.append(f"undeclared {name}: {m.get('text')}")
            continue
        if role is not None and role not in entities[name]:
            problems.append(f"role {role} of {name}: {m.get('text')}")
        if name == "duration_min" and role is None:
            problems.append(f"duration_min without a role: {m.get('text')}")
        if name in LEXICON_VALUES and value not in LEXICON_VALUES[name]:
            problems.append(f"{name}={value!r} ({text!r}): {m.get('text')}")
        if name in NUMERIC:
            try:
                float(value)
            except ValueError:
                problems.append(f"{name}={value!r} is no number ({text!r}): {m.get('text')}")
        if name == "quarter" and not re.fullmatch(r"[1-4]Q20\d\d", value):
            problems.append(f"quarter={value!r}: {m.get('text')}")
        if name == "phone" and not re.fullmatch(r"\+7\d{10}", value):
            problems.append(f"phone={value!r}: {m.get('text')}")
        if name == "person_name" and value != text:
            problems.append(f"person_name value differs from the text: {m.get('text')}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("which", ["train", "test_set"])
def test_station_values_are_canonical(which, request, hh_metro_path):
    from wewall.data.names import display_name

    data = json.loads(hh_metro_path.read_text(encoding="utf-8"))
    moscow = next(c for c in data if str(c.get("id")) == "1")
    names = {display_name(s["name"]) for line in moscow["lines"] for s in line["stations"]}
    bad = sorted({str(e.get("value")) for _, e in _annotations(request.getfixturevalue(which))
                  if e["entity"] == "metro_station" and str(e.get("value")) not in names})
    assert not bad, bad


RUSSIAN_TOKENIZER = "wewall.nlu.tokenizer.RussianTokenizer"


def _tokenizers():
    """Rasa's WhitespaceTokenizer, the project's RussianTokenizer, and whatever config.yml names."""
    names = ["WhitespaceTokenizer", RUSSIAN_TOKENIZER]
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for component in config.get("pipeline", []):
        name = component.get("name", "")
        if name.endswith("Tokenizer") and name not in names:
            names.append(name)
    return names


def _make_tokenizer(name):
    if name == "WhitespaceTokenizer":
        from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer as cls
    else:
        module, _, attr = name.rpartition(".")
        cls = getattr(pytest.importorskip(module), attr)
    return cls({**cls.get_default_config()})


@pytest.mark.parametrize("tokenizer_name", _tokenizers())
@pytest.mark.parametrize("which", ["train", "test_set"])
def test_annotations_cover_whole_tokens(which, tokenizer_name, request):
    """Rasa silently ignores an entity whose ends are not token ends: check with the tokenizer."""
    from rasa.shared.nlu.training_data.message import Message

    tokenizer = _make_tokenizer(tokenizer_name)
    problems = []
    cache = {}
    for m, e in _annotations(request.getfixturevalue(which)):
        text = m.get("text")
        if text not in cache:
            toks = tokenizer.tokenize(Message(data={"text": text}), "text")
            cache[text] = ({t.start for t in toks}, {t.end for t in toks})
        starts, ends = cache[text]
        start, end = e["start"], e["end"]
        end_ok = end in ends or any(_UNIT_TAIL.match(text[t:end]) for t in ends if t < end)
        start_ok = start in starts or any(_SIGN_HEAD.match(text[start:t]) for t in starts if t > start)
        if not start_ok or not end_ok:
            problems.append(f"{text[start:end]!r} ({e['entity']}) in {text!r}")
        if text[start:end] != text[start:end].strip():
            problems.append(f"spaces at the edge of {text[start:end]!r} in {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("which", ["train", "test_set"])
def test_no_leading_empty_preposition(which, request):
    """Span convention: no leading «для/в/под/на/с/у» (it carries no value)."""
    bad = []
    for m, e in _annotations(request.getfixturevalue(which)):
        span = m.get("text")[e["start"]:e["end"]].lower()
        if re.match(r"^(для|в|во|под|на|с|со|у|около|возле|внутри)\s", span) and e["entity"] != "metro_station":
            bad.append(f"{span!r} ({e['entity']}) in {m.get('text')!r}")
        if e["entity"] == "metro_station" and re.match(r"^(м|метро|ст|станция|у|на|в|возле|около)[\s.]", span):
            bad.append(f"{span!r} (metro_station) in {m.get('text')!r}")
    assert not bad, "\n".join(bad)


# A held-out sentence this close to a training one measures memory, not generalisation
# (docs/nlu.md: the old set had template twins one or two characters apart, «нужно 800
# квадратов в аренду внутри мкад»). Distance on the normalised text (lower case, no punctuation).
NEAR_TWIN_RATIO = 0.2


def _twin_norm(text):
    return _norm(text)


def _edit_distance_within(a, b, limit):
    """Levenshtein distance of a and b if it is at most `limit`, else None (banded DP)."""
    if abs(len(a) - len(b)) > limit:
        return None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [limit + 1] * len(b)
        lo, hi = max(1, i - limit), min(len(b), i + limit)
        for j in range(lo, hi + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != b[j - 1]))
        if min(current[max(0, lo - 1):hi + 1]) > limit:
            return None
        previous = current
    return previous[len(b)] if previous[len(b)] <= limit else None


def near_twins(train_texts, test_texts, ratio=NEAR_TWIN_RATIO):
    """(test, normalised train) pairs at most `ratio` × the longer length edits apart (so a
    sentence under five characters is a twin only of itself)."""
    trained = sorted({_twin_norm(t) for t in train_texts}, key=len)
    lengths = [len(t) for t in trained]
    import bisect

    pairs = []
    for text in test_texts:
        norm = _twin_norm(text)
        limit = int(ratio * len(norm) / (1 - ratio))  # the longest partner allowed by the ratio
        lo = bisect.bisect_left(lengths, len(norm) - limit)
        hi = bisect.bisect_right(lengths, len(norm) + limit)
        for other in trained[lo:hi]:
            allowed = int(ratio * max(len(norm), len(other)))
            if _edit_distance_within(norm, other, allowed) is not None:
                pairs.append((text, other))
                break
    return pairs


@pytest.mark.parametrize("a, b, twins", [
    ("нужно 800 квадратов в аренду внутри мкад", "нужно 700 квадратов в аренду внутри мкада", True),
    ("до 50 млн", "до 40 млн", True),
    ("спасибо, вы очень помогли", "спасибо вы очень помогли!", True),
    ("подберите офис класса А у Белорусской", "подберите офис класса Б у Белорусской", True),
    ("норм", "нормально", False),
    ("да", "нет", False),
    ("дайте человека а не бота", "бот не помогает дайте человека", False),
])
def test_near_twin_rule(a, b, twins):
    assert bool(near_twins([b], [a])) is twins


def test_test_set_has_no_near_twins_of_training(train, test_set):
    pairs = near_twins([m.get("text") for m in train], [m.get("text") for m in test_set])
    assert not pairs, "\n".join(f"{t!r} ~ {o!r}" for t, o in pairs)
