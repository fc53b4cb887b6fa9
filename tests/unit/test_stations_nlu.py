"""`wewall.nlu.stations.StationMatcher`: station names in free Russian text.

Two halves: hand-written cases on a small inline list (always run), and the whole Moscow list of
the real hh.ru file (skipped when ../shared/data is absent). The inflected forms of the real
names are produced here by an independent suffix rule, not by the matcher's own table.
"""

import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wewall.nlu.stations import StationMatcher, osa_distance, tokenize

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HH_RELATIVE = "metro/hh_metro_all_cities_2023-10-16.json"

SMALL_LIST = [
    "Сокол",
    "Сокольники",
    "Аэропорт",
    "Аэропорт Внуково",
    "Белорусская",
    "Комсомольская",
    "Комсомольский проспект",
    "Парк культуры",
    "Парк Победы",
    "Китай-город",
    "Библиотека им. Ленина",
    "Улица 1905 года",
    "Филёвский парк",
    "Тверская",
    "Охотный ряд",
    "Таганская",
    "Университет",
    "Спортивная",
    "Театральная",
    "Динамо",
    "Выставочный центр",
    "Деловой центр",
    "Шоссе Энтузиастов",
    "Площадь Революции",
    "Кутузовская",
    "Кузнецкий мост",
    "ЦСКА",
    "Марк",
    "Марьина Роща",
    "Чистые пруды",
    "Петровско-Разумовская",
    "Лефортово",
]


@pytest.fixture(scope="module")
def small():
    return StationMatcher(SMALL_LIST)


def _hh_path() -> Path:
    base = os.environ.get("WEWALL_SHARED_DATA_DIR")
    root = Path(base) if base else PROJECT_ROOT.parent / "shared" / "data"
    return root / HH_RELATIVE


@pytest.fixture(scope="module")
def moscow_names():
    path = _hh_path()
    if not path.exists():
        pytest.skip(f"нет реальных данных {path} (../shared/data рядом с проектом или WEWALL_SHARED_DATA_DIR)")
    from wewall.data.stations import read_hh_metro

    return [s["name"] for s in read_hh_metro(path).stations]


@pytest.fixture(scope="module")
def real(moscow_names):
    return StationMatcher(moscow_names)


def values(matcher, text):
    return [e["value"] for e in matcher.find(text)]


def single(matcher, text):
    found = matcher.find(text)
    assert len(found) == 1, f"{text!r}: {found}"
    return found[0]


def assert_whole_tokens(text, entity):
    start, end = entity["start"], entity["end"]
    assert text[start:end] == entity["text"]
    assert start == 0 or not text[start - 1].isalnum(), (text, entity)
    assert end == len(text) or not text[end].isalnum(), (text, entity)


# ------------------------------------------------------------------ small list, always run


def test_entity_shape(small):
    text = "офис у Белорусской"
    [e] = small.find(text)
    assert set(e) == {"entity", "value", "start", "end", "text", "confidence"}
    assert e["entity"] == "metro_station" and e["value"] == "Белорусская"
    assert (e["start"], e["end"], e["text"]) == (7, 18, "Белорусской")
    assert 0 < e["confidence"] <= 1


@pytest.mark.parametrize(
    "text, value, surface",
    [
        ("офис на Соколе", "Сокол", "Соколе"),
        ("у Белорусской", "Белорусская", "Белорусской"),
        ("10 минут от Парка Культуры", "Парк культуры", "Парка Культуры"),
        ("доехать до Китай-города", "Китай-город", "Китай-города"),
        ("рядом с Тверской", "Тверская", "Тверской"),
        ("около Охотного Ряда", "Охотный ряд", "Охотного Ряда"),
        ("в районе Парка Победы", "Парк Победы", "Парка Победы"),
        ("с Таганской", "Таганская", "Таганской"),
        ("в Сокольниках", "Сокольники", "Сокольниках"),
        ("за Сокольниками", "Сокольники", "Сокольниками"),
        ("на Кузнецком мосту", "Кузнецкий мост", "Кузнецком мосту"),
        ("в Охотном ряду", "Охотный ряд", "Охотном ряду"),
        ("в аэропорту", "Аэропорт", "аэропорту"),
        ("на Марьиной Роще", "Марьина Роща", "Марьиной Роще"),
        ("у Чистых прудов", "Чистые пруды", "Чистых прудов"),
        ("на Петровско-Разумовской", "Петровско-Разумовская", "Петровско-Разумовской"),
        ("в Лефортове", "Лефортово", "Лефортове"),
        ("в Лефортово", "Лефортово", "Лефортово"),
        ("у Выставочного центра", "Выставочный центр", "Выставочного центра"),
        ("на площади Революции", "Площадь Революции", "площади Революции"),
        ("на Комсомольской", "Комсомольская", "Комсомольской"),
    ],
)
def test_inflected_forms(small, text, value, surface):
    e = single(small, text)
    assert (e["value"], e["text"]) == (value, surface)
    assert_whole_tokens(text, e)


@pytest.mark.parametrize(
    "text",
    ["м. Сокол", "м Сокол", "м.Сокол", "ст. м. Сокол", "станция Сокол", "метро Сокол", "офис у м. Сокол", "ст.м.Сокол"],
)
def test_prefixes_are_cues_not_part_of_the_span(small, text):
    e = single(small, text)
    assert e["value"] == "Сокол" and e["text"] == "Сокол"
    assert_whole_tokens(text, e)


@pytest.mark.parametrize(
    "text, surface",
    [
        ("метро Библиотека им. Ленина", "Библиотека им. Ленина"),
        ("у библиотеки имени ленина", "библиотеки имени ленина"),
        ("у библиотеки ленина", "библиотеки ленина"),
        ("м. Библиотека им.Ленина", "Библиотека им.Ленина"),
    ],
)
def test_library_named_after_lenin(small, text, surface):
    e = single(small, text)
    assert (e["value"], e["text"]) == ("Библиотека им. Ленина", surface)


@pytest.mark.parametrize(
    "text, value, surface",
    [
        ("офис на улице 1905 года", "Улица 1905 года", "улице 1905 года"),
        ("м. ул. 1905 года", "Улица 1905 года", "ул. 1905 года"),
        ("на шоссе Энтузиастов", "Шоссе Энтузиастов", "шоссе Энтузиастов"),
        ("метро Деловой центр", "Деловой центр", "Деловой центр"),
        ("Китай город", "Китай-город", "Китай город"),
        ("у метро китайгород", "Китай-город", "китайгород"),
        ("метро Китай-Город", "Китай-город", "Китай-Город"),
    ],
)
def test_multiword_and_hyphens(small, text, value, surface):
    e = single(small, text)
    assert (e["value"], e["text"]) == (value, surface)
    assert_whole_tokens(text, e)


@pytest.mark.parametrize(
    "text",
    ["Филёвский парк", "Филевский парк", "филевский парк", "на Филёвском парке", "ФИЛЁВСКИЙ ПАРК", "у филевского парка"],
)
def test_yo_and_case(small, text):
    assert values(small, text) == ["Филёвский парк"]  # the canonical name as given in the list


@pytest.mark.parametrize("text", ["ОФИС У БЕЛОРУССКОЙ", "офис у белорусской", "Офис У Белорусской", "оФиС у бЕлОрУсСкОй"])
def test_caps_and_lowercase(small, text):
    assert values(small, text) == ["Белорусская"]


def test_sokol_and_sokolniki_never_confused(small):
    for text in ["на Соколе", "у Сокола", "метро Сокол", "Сокол", "м. сакол", "у Сокала"]:
        assert values(small, text) == ["Сокол"], text
    for text in ["в Сокольниках", "Сокольники", "у Сокольников", "метро сокольнеки", "в Сокольнеках", "СОКОЛЬНИКИ"]:
        assert values(small, text) == ["Сокольники"], text


def test_longest_match_wins(small):
    assert values(small, "рядом с метро Аэропорт Внуково") == ["Аэропорт Внуково"]
    assert values(small, "рядом с метро Аэропорт") == ["Аэропорт"]
    assert values(small, "на Комсомольском проспекте") == ["Комсомольский проспект"]
    assert values(small, "у метро Комсомольский проспект") == ["Комсомольский проспект"]
    assert values(small, "у метро Комсомольская") == ["Комсомольская"]


def test_adjective_of_another_gender_is_not_a_station():
    m = StationMatcher(["Комсомольская", "Кутузовская"])
    assert m.find("офис на Комсомольском проспекте") == []
    assert m.find("на Кутузовском проспекте") == []
    assert values(m, "офис на Кутузовской") == ["Кутузовская"]


TYPOS = [
    ("у белоруской", "Белорусская"),
    ("у беларусской", "Белорусская"),
    ("офис у белорусской", "Белорусская"),
    ("м. белорусская", "Белорусская"),
    ("на тверкая", "Тверская"),
    ("тверкая", "Тверская"),
    ("у парк культуpы", "Парк культуры"),  # Latin p
    ("у парка культцры", "Парк культуры"),
    ("от парка кльтуры", "Парк культуры"),
    ("у Пар культуры", "Парк культуры"),
    ("у кутузовскиий", "Кутузовская"),
    ("м. кутузовкая", "Кутузовская"),
    ("у сокольнеков", "Сокольники"),
    ("в сакольниках", "Сокольники"),
    ("метро сокольники", "Сокольники"),
    ("у таганскй", "Таганская"),
    ("на тагансокй", "Таганская"),
    ("у комсомольськой", "Комсомольская"),
    ("около охотнго ряда", "Охотный ряд"),
    ("у выставочнго центра", "Выставочный центр"),
    ("у спортвной", "Спортивная"),
    ("в районе театарльной", "Театральная"),
    ("на Петровско-Разумоской", "Петровско-Разумовская"),
    ("у Марьиной Рощщи", "Марьина Роща"),
    ("м. Университте", "Университет"),
    ("на филевском парке", "Филёвский парк"),
    ("у СОКОЛЬНЕКОВ", "Сокольники"),
]


@pytest.mark.parametrize("text, value", TYPOS)
def test_typos(small, text, value):
    e = single(small, text)
    assert e["value"] == value
    assert_whole_tokens(text, e)


def test_typo_confidence_is_lower(small):
    exact = single(small, "у Белорусской")["confidence"]
    typo = single(small, "у белоруской")["confidence"]
    assert typo < exact


@pytest.mark.parametrize("text", ["у Сакл", "м. Сокл", "на Мрак", "на ЦКСА", "у Рощи", "у Рощщи"])
def test_no_typo_tolerance_on_short_words(small, text):
    assert small.find(text) == []


NEGATIVES = [
    "привет",
    "здравствуйте, хочу офис",
    "хочу офис класса а",
    "бюджет 5 млн",
    "какая погода",
    "рассчитай доходность офиса",
    "свяжите с менеджером",
    "семьсот квадратов с отделкой",
    "мой телефон 8 (916) 123-45-67",
    "хочу купить офис в университете",
    "белорусская компания ищет офис",
    "на спортивной площадке",
    "в театральной студии",
    "октябрьская революция",
    "на октябрьские праздники",
    "болею за динамо",
    "меня зовут Марк",
    "ищу помещение в деловом центре",
    "хочу посмотреть парк",
    "аэропорт далеко?",
    "спасибо, до свидания",
    "ипотека на квартиру",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_negatives_small(small, text):
    assert small.find(text) == []


@pytest.mark.parametrize(
    "text, value",
    [
        ("Сокол", "Сокол"),  # a form answer: nothing but the name
        ("сокол.", "Сокол"),
        ("университет", "Университет"),
        ("м. Университет", "Университет"),
        ("у Университета", "Университет"),
        ("хочу купить офис в Университете", "Университет"),  # capitalised mid-sentence: a name
        ("офис в Деловом центре", "Деловой центр"),
        ("рядом с Театральной", "Театральная"),
        ("динамо", "Динамо"),
        ("у метро динамо", "Динамо"),
        ("5 минут пешком от ЦСКА", "ЦСКА"),
        ("Марк", "Марк"),
        ("станция Марк", "Марк"),
        ("у станции Спортивная", "Спортивная"),
    ],
)
def test_ordinary_words_with_a_cue(small, text, value):
    assert values(small, text) == [value]


def test_lists_of_stations(small):
    text = "у Сокола или Аэропорта, можно Динамо"
    found = small.find(text)
    assert [e["value"] for e in found] == ["Сокол", "Аэропорт", "Динамо"]
    for e in found:
        assert_whole_tokens(text, e)
    assert values(small, "Сокол, Динамо") == ["Сокол", "Динамо"]
    text = "между Белорусской и Парком Культуры"
    assert [(e["value"], e["text"]) for e in small.find(text)] == [
        ("Белорусская", "Белорусской"),
        ("Парк культуры", "Парком Культуры"),
    ]


def test_data_driven_new_station():
    before = StationMatcher(["Сокол"])
    assert before.find("офис у Лесной Поляны") == []
    after = StationMatcher(["Сокол", "Лесная Поляна", "Зеленоградская"])
    assert values(after, "офис у Лесной Поляны") == ["Лесная Поляна"]
    assert values(after, "на Лесной поляне") == ["Лесная Поляна"]
    assert values(after, "у метро Зеленоградская") == ["Зеленоградская"]
    assert values(after, "на Зеленоградской") == ["Зеленоградская"]


def test_from_station_documents():
    m = StationMatcher.from_stations([{"name": "Сокол", "name_key": "сокол"}, {"name": "Сокол", "name_key": "сокол"}])
    assert m.stations == ["Сокол"]


def test_suggest_small(small):
    assert small.suggest("Сокольнеки")[0] == "Сокольники"
    assert small.suggest("Белоруска")[0] == "Белорусская"
    assert small.suggest("Комсомольский пр-т")[0] in ("Комсомольский проспект", "Комсомольская")
    assert small.suggest("абырвалг") == []
    assert small.suggest("") == []
    assert len(small.suggest("парк", n=2)) <= 2


def test_osa_distance():
    assert osa_distance("сокол", "сокол", 2) == 0
    assert osa_distance("сокол", "сокло", 2) == 1  # transposition
    assert osa_distance("тверкая", "тверская", 2) == 1
    assert osa_distance("белоруской", "белорусской", 2) == 1
    assert osa_distance("сокол", "сокольники", 2) == 3  # over the limit


def test_tokenize_offsets():
    text = "ст.м.Китай-город, УлицаСкобелевская"
    assert [(t.raw, text[t.start:t.end]) for t in tokenize(text)] == [
        (t.raw, t.raw) for t in tokenize(text)
    ]
    assert [t.norm for t in tokenize(text)] == ["ст", "м", "китай", "город", "улица", "скобелевская"]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюя АБВСЕКМОРТ.,-!?0123456789aeop", max_size=60))
def test_spans_always_align(small, text):
    for e in small.find(text):
        assert_whole_tokens(text, e)
        assert e["value"] in SMALL_LIST


# ------------------------------------------------------------------ the real Moscow list

# An independent declension rule for the tests (endings only; pymorphy2 is not used here).
ADJ_ENDINGS = ("ая", "яя", "ое", "ее", "ый", "ий", "ой", "ые", "ие")
VELAR_HUSH = "гкхжшщч"
IRREGULAR = {
    "Балтиец": {"loct": "Балтийце", "gent": "Балтийца"},
    "строитель": {"loct": "строителе", "gent": "строителя"},  # masculine in -ь
}


def _adj(word, case):
    low = word.lower()
    stem, end = word[:-2], low[-2:]
    soft = stem[-1:].lower() not in "гкх"
    table = {
        "loct": {"ая": "ой", "яя": "ей", "ое": "ом", "ее": "ем", "ый": "ом", "ой": "ом", "ий": "ем" if soft else "ом", "ые": "ых", "ие": "их"},
        "gent": {"ая": "ой", "яя": "ей", "ое": "ого", "ее": "его", "ый": "ого", "ой": "ого", "ий": "его" if soft else "ого", "ые": "ых", "ие": "их"},
    }
    return stem + table[case][end]


def _noun(word, case, plural=False):
    """None when the rule does not know (the test then uses the base form)."""
    if word in IRREGULAR:
        return IRREGULAR[word][case]
    low = word.lower()
    if word.isupper() and len(word) > 1:
        return None  # abbreviation
    if low.endswith(("о", "е", "у", "ю")) and not low.endswith(("ие", "ье")):
        return None  # «Динамо», «Шоссе», «Зорге», «Лефортово»: indeclinable (in usage) here
    if plural or low.endswith(("ы", "и")):
        if case == "gent":
            return None  # genitive plural is irregular
        if low.endswith("а"):  # «ворота»
            return word + "х"
        soft = low.endswith("и") and low[-2] not in VELAR_HUSH
        return word[:-1] + ("ях" if soft else "ах")
    if low.endswith("ия"):
        return word[:-1] + "и"
    if low.endswith("ие"):
        return word[:-1] + ("и" if case == "loct" else "я")  # «Ополчение» → «Ополчении», «Ополчения»
    if low.endswith("ье"):
        return word[:-1] + ("е" if case == "loct" else "я")  # «Москворечье» → «Москворечья»
    if low.endswith("а"):
        return word[:-1] + ("е" if case == "loct" else ("и" if low[-2] in VELAR_HUSH else "ы"))
    if low.endswith("я"):
        return word[:-1] + ("е" if case == "loct" else "и")
    if low.endswith("ь"):
        return word[:-1] + "и"  # feminine («площадь», «Сетунь»)
    if low.endswith("ок"):
        word, low = word[:-2] + word[-1], low[:-2] + low[-1]  # «Посёлок» → «Посёлк-»
    return word + ("е" if case == "loct" else "а")


def _looks_adjective(word):
    return word.lower().endswith(ADJ_ENDINGS) and len(word) > 3


def decline(name, case):
    """«Парк Культуры» → «Парке Культуры» (loct) / «Парка Культуры» (gent); None when the rule
    cannot give a form different from the name."""
    words = name.split(" ")
    out = list(words)
    head_seen = False
    changed = False
    adjectives_before_head = [i for i, w in enumerate(words) if _looks_adjective(w.split("-")[-1])]
    all_adjective_like = len(adjectives_before_head) == len(words) and len(words) > 1
    plural_phrase = any(w.lower().endswith(("ые", "ие")) for w in words[:1]) and len(words) > 1
    for i, word in enumerate(words):
        parts = word.split("-")
        last = parts[-1]
        nxt = words[i + 1] if i + 1 < len(words) else None
        if word in ("им.",) or word.isdigit():
            break
        is_last_word = nxt is None
        if not head_seen and _looks_adjective(last) and not (all_adjective_like and is_last_word):
            form = _adj(last, case)
        elif not head_seen and nxt and last.lower().endswith(("ина", "ова")):  # «Марьина Роща»
            form = last[:-1] + "ой"
        elif not head_seen and nxt and last.lower().endswith(("ов", "ев", "ин")):  # «Филатов луг»
            form = last + ("ом" if case == "loct" else "а")
        elif not head_seen and nxt and last.lower().endswith("ы"):  # «Воробьёвы горы»
            form = last + "х"
        elif not head_seen:
            form = _noun(last, case, plural=plural_phrase)
            head_seen = True
            if form is None:
                if not changed:
                    return None
                form = word  # «Боровском шоссе»: the adjective declines, the noun does not
        elif _looks_adjective(last):  # after the head: «Москва Товарная», «Улица Скобелевская»
            form = _adj(last, case)
        else:
            break
        if len(parts) > 1:
            first = parts[0]
            first_form = _adj(first, case) if _looks_adjective(first) else first
            if _looks_adjective(first) and _noun(last, case) is None:
                return None  # «Покровское-Стрешнево»: no mixed forms
            form = "-".join([first_form] + parts[1:-1] + [form])
        out[i] = form
        changed = changed or form != word
    return " ".join(out) if changed else None


def test_independent_rule_examples():
    assert decline("Парк культуры", "loct") == "Парке культуры"
    assert decline("Белорусская", "gent") == "Белорусской"
    assert decline("Китай-город", "loct") == "Китай-городе"
    assert decline("Воробьевы горы", "loct") == "Воробьевых горах"
    assert decline("Рабочий Посёлок", "loct") == "Рабочем Посёлке"
    assert decline("Москва Товарная", "gent") == "Москвы Товарной"
    assert decline("Народное Ополчение", "loct") == "Народном Ополчении"
    assert decline("Новые Черемушки", "loct") == "Новых Черемушках"
    assert decline("Красные ворота", "loct") == "Красных воротах"
    assert decline("Библиотека им. Ленина", "gent") == "Библиотеки им. Ленина"
    assert decline("Сокол", "gent") == "Сокола"
    assert decline("Лефортово", "loct") is None
    assert decline("Боровское шоссе", "loct") == "Боровском шоссе"
    assert decline("ЦСКА", "loct") is None


def test_every_o_place_name_in_literary_locative(real, moscow_names):
    """«в Митине», «в Лефортове» (the literary norm) as well as «в Митино»."""
    names = [n for n in moscow_names if re.fullmatch(r"[А-ЯЁ][а-яё]+(ово|ево|ёво|ино|ыно)", n)]
    assert len(names) >= 40
    failures = []
    for name in names:
        for form in (name, name[:-1] + "е"):
            found = real.find(f"офис в {form}")
            if [(e["value"], e["text"]) for e in found] != [(name, form)] or found[0]["confidence"] < 0.95:
                failures.append((form, found))
    assert not failures, failures


def test_real_list_size(moscow_names):
    assert len(moscow_names) == 296
    assert len({n.lower().replace("ё", "е") for n in moscow_names}) == 296


def test_every_station_after_metro(real, moscow_names):
    failures = []
    prefix = "офис рядом с метро "
    for name in moscow_names:
        text = prefix + name
        found = real.find(text)
        expected = [{"value": name, "start": len(prefix), "end": len(text), "text": name, "confidence": 1.0}]
        got = [{k: e[k] for k in ("value", "start", "end", "text", "confidence")} for e in found]
        if got != expected:
            failures.append((name, got))
    assert not failures, failures


@pytest.mark.parametrize("case, preposition", [("loct", "на"), ("gent", "у")])
def test_every_station_inflected(real, moscow_names, case, preposition):
    failures = []
    inflected = 0
    for name in moscow_names:
        form = decline(name, case)
        if form is None:
            if case == "gent":
                continue  # plural names: genitive plural is irregular, covered by «на»
            form = name
        else:
            inflected += 1
        text = f"офис {preposition} {form}, 200 метров"
        found = real.find(text)
        got = [(e["value"], e["text"]) for e in found]
        # found as a known form of the name, not as a typo of it
        if got != [(name, form)] or found[0]["confidence"] < 0.95:
            failures.append((text, found))
    assert not failures, failures
    assert inflected >= (230 if case == "loct" else 200)


REAL_TYPOS = [
    ("у белоруской", "Белорусская"),
    ("на тверкая", "Тверская"),
    ("у парк культуpы", "Парк культуры"),
    ("у кутузовскиий", "Кутузовская"),
    ("в сокольнеках", "Сокольники"),
    ("на павелецкй", "Павелецкая"),
    ("у курскрй", "Курская"),
    ("на новослобоской", "Новослободская"),
    ("м. третьяковскя", "Третьяковская"),
    ("у краснопресненскай", "Краснопресненская"),
    ("на маяковкой", "Маяковская"),
    ("метро баррикадой", "Баррикадная"),
    ("в медведкого", "Медведково"),
    ("на смоленсой", "Смоленская"),
    ("у менделевской", "Менделеевская"),
    ("м. бауманкая", "Бауманская"),
    ("в строгино", "Строгино"),
    ("у метро водный стадон", "Водный стадион"),
    ("на проспекте веранадского", "Проспект Вернадского"),
    ("у метро площадь ильчиа", "Площадь Ильича"),
    ("на улице академика каролёва", "Улица Академика Королёва"),
    ("у электрозаводскйо", "Электрозаводская"),
    ("офис в текстилщиках", "Текстильщики"),
    ("на бульваре рокосовского", "Бульвар Рокоссовского"),
]


@pytest.mark.parametrize("text, value", REAL_TYPOS)
def test_real_typos(real, text, value):
    e = single(real, text)
    assert e["value"] == value
    assert_whole_tokens(text, e)


def test_typo_that_makes_another_word_needs_a_strong_cue(real):
    # «баррикадой» (a barricade), «первом» (first), «марта» (March) are words of their own
    assert real.find("около баррикадой") == []
    assert values(real, "метро баррикадой") == ["Баррикадная"]
    assert real.find("ищу помещение на первом этаже") == []
    assert real.find("до марта") == [] and real.find("марки") == []
    assert real.find("на московской бирже") == []
    assert real.find("офис на центральной улице") == []
    # a usual spelling slip (a doubled letter, an unstressed vowel) is fine after «у», «на» …
    assert values(real, "у белоруской") == ["Белорусская"]
    assert values(real, "у беларусской") == ["Белорусская"]


def test_real_sokol_sokolniki(real):
    assert values(real, "на Соколе") == ["Сокол"]
    assert values(real, "в Сокольниках") == ["Сокольники"]
    assert values(real, "метро Сокольники") == ["Сокольники"]
    assert values(real, "у Соколиной Горы") == ["Соколиная Гора"]
    assert values(real, "метро сокольнеки") == ["Сокольники"]


@pytest.mark.parametrize("text", NEGATIVES + ["офис на Комсомольском проспекте", "в москве", "Кутузовский проспект 12"])
def test_real_negatives(real, text):
    assert real.find(text) == []


def test_real_suggest(real):
    assert real.suggest("Сокольнеки")[0] == "Сокольники"
    assert real.suggest("Белоруска")[0] == "Белорусская"
    assert real.suggest("Кутузовский проспект")[0] == "Кутузовская"
    assert real.suggest("станция Китайгородская")[0] == "Китай-город"
    assert real.suggest("Марксисткая")[0] == "Марксистская"
    assert real.suggest("абырвалг") == []


@pytest.mark.parametrize("text, value", [
    ("ищу офис у Таганской с ремонтом", "Таганская"),
    ("офис у Белорусской с отделкой", "Белорусская"),
    ("на Спортивной и у Таганской", "Таганская"),
])
def test_a_preposition_after_the_name_is_not_a_noun_it_qualifies(small, text, value):
    # pymorphy2 also reads «с», «и» as rare abbreviation nouns of every case, which «agree».
    assert value in [e["value"] for e in small.find(text)]
