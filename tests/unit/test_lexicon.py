"""Closed-vocabulary entities: wewall.nlu.lexicon.extract_lexicon (table-driven)."""

import pytest

from tests.unit.test_nlu_data import LEXICON_VALUES  # the catalogue's values, written once
from wewall.nlu.lexicon import ENTITIES, PHRASES, extract_lexicon

# (text, [(entity, value, span text), ...]) — every entity the text must give, in order.
POSITIVE = [
    # ---- estate_class ----
    ("класс А", [("estate_class", "A", "А")]),
    ("класса а", [("estate_class", "A", "а")]),
    ("класс A", [("estate_class", "A", "A")]),
    ("класс b", [("estate_class", "B", "b")]),
    ("категория Б", [("estate_class", "B", "Б")]),
    ("категории б", [("estate_class", "B", "б")]),
    ("класс В", [("estate_class", "B", "В")]),
    ("класс в", [("estate_class", "B", "в")]),
    ("класс в и площадь 500", [("estate_class", "B", "в")]),
    ("офис б класса", [("estate_type", "office", "офис"), ("estate_class", "B", "б")]),
    ("бизнес центр А класса", [("estate_class", "A", "А")]),
    ("нужен а класс", [("estate_class", "A", "а")]),
    ("А-класс", [("estate_class", "A", "А-класс")]),
    ("офис в бц а-класса", [("estate_type", "office", "офис"), ("estate_class", "A", "а-класса")]),
    ("кл. Б", [("estate_class", "B", "Б")]),
    ("кл.А", [("estate_class", "A", "кл.А")]),
    ("категория «А»", [("estate_class", "A", "А")]),
    ("хочу \"Б\"", [("estate_class", "B", "Б")]),
    ("А", [("estate_class", "A", "А")]),
    ("а", [("estate_class", "A", "а")]),
    ("B", [("estate_class", "B", "B")]),
    ("в", [("estate_class", "B", "в")]),
    ("Б.", [("estate_class", "B", "Б")]),
    ("а или б", [("estate_class", "A", "а"), ("estate_class", "B", "б")]),
    ("класс а или б", [("estate_class", "A", "а"), ("estate_class", "B", "б")]),
    ("классы А и В", [("estate_class", "A", "А"), ("estate_class", "B", "В")]),
    ("класс A/B", [("estate_class", "A", "A"), ("estate_class", "B", "B")]),
    ("бизнес-центр класса B+", [("estate_class", "B", "B")]),
    ("офис класса а в центре", [("estate_type", "office", "офис"), ("estate_class", "A", "а"), ("zone", "ttk", "центре")]),
    ("класс В в центре", [("estate_class", "B", "В"), ("zone", "ttk", "центре")]),
    ("класса а ближе к метро", [("estate_class", "A", "а")]),
    ("классом а", [("estate_class", "A", "а")]),
    ("поменяй класс на б", [("estate_class", "B", "б")]),
    ("офис класса В 10 минут на машине", [("estate_type", "office", "офис"), ("estate_class", "B", "В")]),
    ("класс в это плохо?", [("estate_class", "B", "в")]),
    # ---- estate_type ----
    ("офис", [("estate_type", "office", "офис")]),
    ("ищу офисы", [("estate_type", "office", "офисы")]),
    ("офисное помещение", [("estate_type", "office", "офисное помещение")]),
    ("помещение под офис", [("estate_type", "office", "офис")]),
    ("офисное", [("estate_type", "office", "офисное")]),
    ("торговое помещение", [("estate_type", "retail", "торговое помещение")]),
    ("торговых помещений", [("estate_type", "retail", "торговых помещений")]),
    ("торговая площадь", [("estate_type", "retail", "торговая площадь")]),
    ("торговое", [("estate_type", "retail", "торговое")]),
    ("ПСН", [("estate_type", "retail", "ПСН")]),
    ("помещение свободного назначения", [("estate_type", "retail", "помещение свободного назначения")]),
    ("стрит-ритейл", [("estate_type", "retail", "стрит-ритейл")]),
    ("стрит ритейл", [("estate_type", "retail", "стрит ритейл")]),
    ("street retail", [("estate_type", "retail", "street retail")]),
    ("магазин", [("estate_type", "retail", "магазин")]),
    ("помещение под магазин", [("estate_type", "retail", "магазин")]),
    ("помещение под кафе", [("estate_type", "retail", "кафе")]),
    ("для ресторана", [("estate_type", "retail", "ресторана")]),
    ("помещение в торговом центре", [("estate_type", "retail", "торговом центре")]),
    ("тип помещения любой", [("estate_type", "any", "любой")]),
    ("любое помещение", [("estate_type", "any", "любое")]),
    ("тип не важен", [("estate_type", "any", "не важен")]),
    ("объект без разницы", [("estate_type", "any", "без разницы")]),
    ("класс не важен, помещение любое", [("estate_type", "any", "любое")]),
    # ---- deal ----
    ("купить", [("deal", "sale", "купить")]),
    ("куплю", [("deal", "sale", "куплю")]),
    ("покупка", [("deal", "sale", "покупка")]),
    ("хочу приобрести", [("deal", "sale", "приобрести")]),
    ("офисы на продажу", [("estate_type", "office", "офисы"), ("deal", "sale", "продажу")]),
    ("в собственность", [("deal", "sale", "собственность")]),
    ("какие офисы продаются", [("estate_type", "office", "офисы"), ("deal", "sale", "продаются")]),
    ("аренда", [("deal", "rent", "аренда")]),
    ("в аренду", [("deal", "rent", "аренду")]),
    ("снять", [("deal", "rent", "снять")]),
    ("сниму", [("deal", "rent", "сниму")]),
    ("арендовать офис", [("deal", "rent", "арендовать"), ("estate_type", "office", "офис")]),
    ("хотим снимать", [("deal", "rent", "снимать")]),
    # ---- purpose ----
    ("для инвестиций", [("purpose", "investment", "инвестиций")]),
    ("инвестировать", [("purpose", "investment", "инвестировать")]),
    ("как вложение", [("purpose", "investment", "вложение")]),
    ("сдавать в аренду", [("purpose", "investment", "сдавать в аренду")]),
    ("купить чтобы потом сдать в аренду", [("deal", "sale", "купить"), ("purpose", "investment", "сдать в аренду")]),
    ("под сдачу", [("purpose", "investment", "сдачу")]),
    ("готовый арендный бизнес", [("purpose", "investment", "готовый арендный бизнес")]),
    ("пассивный доход", [("purpose", "investment", "пассивный доход")]),
    ("для перепродажи", [("purpose", "investment", "перепродажи")]),
    ("для своего бизнеса", [("purpose", "business", "своего бизнеса")]),
    ("для бизнеса", [("purpose", "business", "бизнеса")]),
    ("для себя", [("purpose", "business", "себя")]),
    ("под свой офис", [("purpose", "business", "свой"), ("estate_type", "office", "офис")]),
    ("для компании", [("purpose", "business", "компании")]),
    ("для собственных нужд", [("purpose", "business", "собственных нужд")]),
    ("под офис компании", [("estate_type", "office", "офис"), ("purpose", "business", "компании")]),
    ("ищем офис для нашей компании", [("estate_type", "office", "офис"), ("purpose", "business", "нашей компании")]),
    ("офис с арендатором", [("estate_type", "office", "офис"), ("purpose", "investment", "арендатором")]),
    ("сколько я заработаю на аренде", [("purpose", "investment", "заработаю на аренде")]),
    ("хочу вложиться в офис", [("purpose", "investment", "вложиться"), ("estate_type", "office", "офис")]),
    ("что у вас есть из офисов", [("estate_type", "office", "офисов")]),
    # ---- zone ----
    ("в пределах ТТК", [("zone", "ttk", "ТТК")]),
    ("внутри ттк", [("zone", "ttk", "ттк")]),
    ("внутри садового", [("zone", "ttk", "садового")]),
    ("внутри Садового кольца", [("zone", "ttk", "Садового кольца")]),
    ("в пределах третьего транспортного кольца", [("zone", "ttk", "третьего транспортного кольца")]),
    ("в центре", [("zone", "ttk", "центре")]),
    ("в центре москвы", [("zone", "ttk", "центре")]),
    ("ЦАО", [("zone", "ttk", "ЦАО")]),
    ("внутри МКАД", [("zone", "mkad", "МКАД")]),
    ("в пределах мкада", [("zone", "mkad", "мкада")]),
    ("за ТТК", [("zone", "mkad", "за ТТК")]),
    ("между ТТК и МКАД", [("zone", "mkad", "между ТТК и МКАД")]),
    ("за МКАДом", [("zone", "outside", "за МКАДом")]),
    ("за мкад", [("zone", "outside", "за мкад")]),
    ("за пределами МКАД", [("zone", "outside", "за пределами МКАД")]),
    ("новая москва", [("zone", "outside", "новая москва")]),
    ("в Новой Москве", [("zone", "outside", "Новой Москве")]),
    ("Подмосковье", [("zone", "outside", "Подмосковье")]),
    ("московская область", [("zone", "outside", "московская область")]),
    # ---- finish ----
    ("с отделкой", [("finish", "ready", "отделкой")]),
    ("с ремонтом", [("finish", "ready", "ремонтом")]),
    ("готовый ремонт", [("finish", "ready", "готовый ремонт")]),
    ("с готовой отделкой", [("finish", "ready", "готовой отделкой")]),
    ("чистовая отделка", [("finish", "ready", "чистовая отделка")]),
    ("отделка есть", [("finish", "ready", "отделка есть")]),
    ("частичный ремонт", [("finish", "partial", "частичный ремонт")]),
    ("частичная отделка", [("finish", "partial", "частичная отделка")]),
    ("косметический ремонт", [("finish", "partial", "косметический ремонт")]),
    ("white box", [("finish", "partial", "white box")]),
    ("без отделки", [("finish", "shell", "без отделки")]),
    ("без ремонта", [("finish", "shell", "без ремонта")]),
    ("нужен ремонт", [("finish", "shell", "нужен ремонт")]),
    ("требует ремонта", [("finish", "shell", "требует ремонта")]),
    ("черновая", [("finish", "shell", "черновая")]),
    ("черновая отделка", [("finish", "shell", "черновая отделка")]),
    ("shell and core", [("finish", "shell", "shell and core")]),
    ("shell & core", [("finish", "shell", "shell & core")]),
    ("в бетоне", [("finish", "shell", "бетоне")]),
    # ---- readiness ----
    ("готовый", [("readiness", "ready", "готовый")]),
    ("готовое здание", [("readiness", "ready", "готовое")]),
    ("введён в эксплуатацию", [("readiness", "ready", "введён в эксплуатацию")]),
    ("введен в эксплуатацию", [("readiness", "ready", "введен в эксплуатацию")]),
    ("дом уже сдан", [("readiness", "ready", "сдан")]),
    ("построен", [("readiness", "ready", "построен")]),
    ("на стадии строительства", [("readiness", "building", "стадии строительства")]),
    ("строящийся", [("readiness", "building", "строящийся")]),
    ("в строящемся бц", [("readiness", "building", "строящемся")]),
    ("ещё строится", [("readiness", "building", "строится")]),
    ("на котловане", [("readiness", "building", "котловане")]),
    ("по ДДУ", [("readiness", "building", "ДДУ")]),
    ("новостройка", [("readiness", "building", "новостройка")]),
    ("ещё не построен", [("readiness", "building", "не построен")]),
    ("дом сдадут в 2027", [("readiness", "building", "сдадут")]),
    # ---- several in one message ----
    ("хочу купить офис для инвестиций", [("deal", "sale", "купить"), ("estate_type", "office", "офис"), ("purpose", "investment", "инвестиций")]),
    ("хочу снять офис класса А в пределах ТТК", [("deal", "rent", "снять"), ("estate_type", "office", "офис"), ("estate_class", "A", "А"), ("zone", "ttk", "ТТК")]),
    ("торговое помещение без отделки за мкадом в аренду", [("estate_type", "retail", "торговое помещение"), ("finish", "shell", "без отделки"), ("zone", "outside", "за мкадом"), ("deal", "rent", "аренду")]),
    ("готовый офис с отделкой", [("readiness", "ready", "готовый"), ("estate_type", "office", "офис"), ("finish", "ready", "отделкой")]),
    ("купить стрит ритейл на котловане под сдачу", [("deal", "sale", "купить"), ("estate_type", "retail", "стрит ритейл"), ("readiness", "building", "котловане"), ("purpose", "investment", "сдачу")]),
    ("КУПИТЬ ОФИС КЛАССА Б", [("deal", "sale", "КУПИТЬ"), ("estate_type", "office", "ОФИС"), ("estate_class", "B", "Б")]),
    ("арендую под свой магазин", [("deal", "rent", "арендую"), ("purpose", "business", "свой"), ("estate_type", "retail", "магазин")]),
]

# Texts that must give no entity at all.
NEGATIVE = [
    "а когда?",
    "а что дальше",
    "в москве",
    "я в офисе",
    "мы в офисе до шести",
    "приеду к вам в офис",
    "где ваш офис",
    "а?",
    "а класс какой?",
    "класс",
    "в 5 минутах от метро",
    "не важно",
    "любой",
    "класс любой",
    "без разницы",
    "я готов",
    "мы готовы подписать",
    "бизнес-центр",
    "бизнес центр на соколе",
    "в деловом центре",
    "посоветуй ресторан",
    "отделка",
    "привет",
    "спасибо",
    "да",
    "нет",
    "в чем разница",
    "расскажи анекдот",
    "какая погода в москве",
    "назад",
    "вы в москве работаете",
    "а вы кто",
    "я в пути",
    "в области инвестиций",
    "из офиса пишу",
    "класса в 10 минутах от метро",
    "ау",
]


def _triples(text):
    return [(e["entity"], e["value"], e["text"]) for e in extract_lexicon(text)]


@pytest.mark.parametrize("text,expected", POSITIVE, ids=[f"p{i}" for i in range(len(POSITIVE))])
def test_positive(text, expected):
    assert _triples(text) == expected, text


@pytest.mark.parametrize("text", NEGATIVE, ids=[f"n{i}" for i in range(len(NEGATIVE))])
def test_negative(text):
    assert extract_lexicon(text) == [], text


@pytest.mark.parametrize("text,_", POSITIVE[:40], ids=[f"o{i}" for i in range(40)])
def test_offsets_point_into_the_text(text, _):
    for e in extract_lexicon(text):
        assert text[e["start"]:e["end"]] == e["text"]
        assert set(e) == {"entity", "value", "start", "end", "text"}


def test_offsets_with_prefix_and_punctuation():
    text = "Здравствуйте! Нужен офис, класс «А», в пределах ТТК."
    ents = extract_lexicon(text)
    assert [(e["entity"], e["value"]) for e in ents] == [("estate_type", "office"), ("estate_class", "A"), ("zone", "ttk")]
    for e in ents:
        assert text[e["start"]:e["end"]] == e["text"]
    assert ents[1]["text"] == "А"


def test_values_are_from_the_catalogue():
    allowed = LEXICON_VALUES
    assert set(allowed) == set(ENTITIES)
    for entity, value, _ in PHRASES:
        if entity is not None:
            assert value in allowed[entity], (entity, value)


def test_inflections():
    assert _triples("в аренде") == [("deal", "rent", "аренде")]
    assert _triples("торговыми помещениями") == [("estate_type", "retail", "торговыми помещениями")]
    assert _triples("с отделками") == [("finish", "ready", "отделками")]
    assert _triples("инвестициями") == [("purpose", "investment", "инвестициями")]


def test_empty_and_none():
    assert extract_lexicon("") == []
    assert extract_lexicon(None) == []
    assert extract_lexicon("   ") == []


def test_enough_cases():
    assert len(POSITIVE) + len(NEGATIVE) >= 120
