"""wewall.nlu.quantities: typed entities from numbers, units and context."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wewall.nlu.quantities import extract_quantities, rasa_token_spans

# (text, [(entity, value, span text[, role]), ...])
CASES = [
    # --- area_m2
    ("700 м²", [("area_m2", 700, "700 м")]),          # Rasa drops «²» from the token
    ("офис 700 м2", [("area_m2", 700, "700 м2")]),
    ("45м2", [("area_m2", 45, "45м2")]),
    ("700 кв. м", [("area_m2", 700, "700 кв. м")]),
    ("120,5 кв.м", [("area_m2", 120.5, "120,5 кв.м")]),
    ("120,5 кв. м.", [("area_m2", 120.5, "120,5 кв. м")]),
    ("700 квадратов", [("area_m2", 700, "700 квадратов")]),
    ("семьсот квадратов", [("area_m2", 700, "семьсот квадратов")]),
    ("семьсот квадратных метров", [("area_m2", 700, "семьсот квадратных метров")]),
    ("метров на семьсот", [("area_m2", 700, "метров на семьсот")]),
    ("квадратов так 300", [("area_m2", 300, "квадратов так 300")]),
    ("площадь 700", [("area_m2", 700, "700")]),
    ("площадью от 250", [("area_m2", 250, "250")]),
    ("Площадь: 1 200", [("area_m2", 1200, "1 200")]),
    ("700 метров площади", [("area_m2", 700, "700 метров")]),
    ("офис 700 метров", [("area_m2", 700, "700 метров")]),
    ("нужно помещение метров 300", [("area_m2", 300, "метров 300")]),
    ("2 тысячи квадратов", [("area_m2", 2000, "2 тысячи квадратов")]),
    ("полторы тысячи кв м", [("area_m2", 1500, "полторы тысячи кв м")]),
    ("от 500 до 700 м²", [("area_m2", 500, "500"), ("area_m2", 700, "700 м")]),
    ("хочу офис на 250-300 квадратов", [("area_m2", 300, "250-300 квадратов")]),
    ("700 метров", [("area_m2", 700, "700 метров")]),   # no cue at all: area
    ("100 кв.м. в центре", [("area_m2", 100, "100 кв.м")]),
    ("офис 300 кв", [("area_m2", 300, "300 кв")]),
    ("двести пятьдесят квадратных метров", [("area_m2", 250, "двести пятьдесят квадратных метров")]),
    ("нужно 80 m2", [("area_m2", 80, "80 m2")]),
    # --- money_rub
    ("500 тысяч", [("money_rub", 500000, "500 тысяч")]),
    ("полтора миллиона рублей", [("money_rub", 1500000, "полтора миллиона рублей")]),
    ("3,5 млн", [("money_rub", 3500000, "3,5 млн")]),
    ("500к", [("money_rub", 500000, "500к")]),
    ("12 000 000 ₽", [("money_rub", 12000000, "12 000 000")]),
    ("7 500 000₽", [("money_rub", 7500000, "7 500 000")]),
    ("45 тыс руб", [("money_rub", 45000, "45 тыс руб")]),
    ("45 тыс. руб.", [("money_rub", 45000, "45 тыс. руб")]),
    ("бюджет полтора ляма в месяц", [("money_rub", 1500000, "полтора ляма")]),
    ("цена 500000 за метр", [("money_rub", 500000, "500000")]),
    ("стоимость: 45 000", [("money_rub", 45000, "45 000")]),
    ("ставка за кв. м 25 000", [("money_rub", 25000, "25 000")]),
    ("цена за метр триста тысяч", [("money_rub", 300000, "триста тысяч")]),
    ("5000 руб", [("money_rub", 5000, "5000 руб")]),
    ("300 т.р.", [("money_rub", 300000, "300 т.р")]),
    ("бюджет до 2 млн", [("money_rub", 2000000, "2 млн")]),
    ("от 300 до 500 тысяч", [("money_rub", 300000, "300"), ("money_rub", 500000, "500 тысяч")]),
    ("от 2 до 3,5 млн", [("money_rub", 2000000, "2"), ("money_rub", 3500000, "3,5 млн")]),
    ("бюджет 45 000 в месяц", [("money_rub", 45000, "45 000")]),
    ("полмиллиона", [("money_rub", 500000, "полмиллиона")]),
    ("миллиард рублей", [("money_rub", 1000000000, "миллиард рублей")]),
    ("2,5 лимона", [("money_rub", 2500000, "2,5 лимона")]),
    ("100 р", [("money_rub", 100, "100 р")]),
    # --- percent
    ("5%", [("percent", 5, "5")]),
    ("7 %", [("percent", 7, "7")]),
    ("пять процентов", [("percent", 5, "пять процентов")]),
    ("60 процентов", [("percent", 60, "60 процентов")]),
    ("доходность 9,5%", [("percent", 9.5, "9,5")]),
    ("семь целых две десятых процента", [("percent", 7.2, "семь целых две десятых процента")]),
    ("от 7 до 9 процентов", [("percent", 7, "7"), ("percent", 9, "9 процентов")]),
    # --- duration_min
    ("5 минут пешком", [("duration_min", 5, "5 минут пешком", "walk")]),
    ("десять минут на машине", [("duration_min", 10, "десять минут на машине", "transport")]),
    ("7 мин до метро", [("duration_min", 7, "7 мин", "walk")]),
    ("5 минут на транспорте", [("duration_min", 5, "5 минут на транспорте", "transport")]),
    ("в пяти минутах ходьбы от Белорусской", [("duration_min", 5, "пяти минутах ходьбы", "walk")]),
    ("минут десять на такси", [("duration_min", 10, "минут десять", "transport")]),
    ("15 минут езды", [("duration_min", 15, "15 минут езды", "transport")]),
    ("пешком минут 7", [("duration_min", 7, "минут 7", "walk")]),
    ("2 часа на машине", [("duration_min", 120, "2 часа на машине", "transport")]),
    ("полтора часа на общественном транспорте", [("duration_min", 90, "полтора часа на общественном транспорте", "transport")]),
    ("5-7 минут пешком", [("duration_min", 7, "5-7 минут пешком", "walk")]),
    ("5 минут пешком или 10 минут на машине",
     [("duration_min", 5, "5 минут пешком", "walk"), ("duration_min", 10, "10 минут на машине", "transport")]),
    ("20 минут на метро до центра", [("duration_min", 20, "20 минут на метро", "transport")]),
    # --- distance_m
    ("500 метров до метро", [("distance_m", 500, "500 метров")]),
    ("300 м от метро", [("distance_m", 300, "300 м")]),
    ("полтора километра", [("distance_m", 1500, "полтора километра")]),
    ("1,2 км", [("distance_m", 1200, "1,2 км")]),
    ("в 500 метрах от метро", [("distance_m", 500, "500 метрах")]),
    ("не дальше 800 метров от станции", [("distance_m", 800, "800 метров")]),
    ("офис в 200 м от метро", [("distance_m", 200, "200 м")]),
    ("до метро метров 300", [("distance_m", 300, "метров 300")]),
    ("2 км", [("distance_m", 2000, "2 км")]),
    ("в радиусе 700 метров", [("distance_m", 700, "700 метров")]),
    ("удалённость 300 метров", [("distance_m", 300, "300 метров")]),   # ё folded
    ("трёхсот квадратов", [("area_m2", 300, "трёхсот квадратов")]),
    # --- quarter
    ("3Q2027", [("quarter", "3Q2027", "3Q2027")]),
    ("Q3 2027", [("quarter", "3Q2027", "Q3 2027")]),
    ("3 кв 2027", [("quarter", "3Q2027", "3 кв 2027")]),
    ("3 кв. 2027 г.", [("quarter", "3Q2027", "3 кв. 2027 г")]),
    ("третий квартал 2027 года", [("quarter", "3Q2027", "третий квартал 2027 года")]),
    ("сдача в третьем квартале 2027-го", [("quarter", "3Q2027", "третьем квартале 2027-го")]),
    ("в 3-м квартале 2027", [("quarter", "3Q2027", "3-м квартале 2027")]),
    ("2 квартал 26 года", [("quarter", "2Q2026", "2 квартал 26 года")]),
    ("IV квартал 2027", [("quarter", "4Q2027", "IV квартал 2027")]),
    ("II кв. 2028", [("quarter", "2Q2028", "II кв. 2028")]),
    ("конец 2027", [("quarter", "4Q2027", "конец 2027")]),
    ("к концу 2027 года", [("quarter", "4Q2027", "концу 2027 года")]),
    ("начало 2028", [("quarter", "1Q2028", "начало 2028")]),
    ("в начале 2028 г.", [("quarter", "1Q2028", "начале 2028 г")]),
    ("середина 2027", [("quarter", "2Q2027", "середина 2027")]),
    ("первая половина 2027 года", [("quarter", "2Q2027", "первая половина 2027 года")]),
    ("вторая половина 2027", [("quarter", "4Q2027", "вторая половина 2027")]),
    ("первый квартал две тысячи двадцать восьмого года",
     [("quarter", "1Q2028", "первый квартал две тысячи двадцать восьмого года")]),
    # --- number, and quarters that are not quarters
    ("нужно 3 комнаты", [("number", 3, "3")]),
    ("3-комнатная", [("number", 3, "3-комнатная")]),
    ("этаж 12 из 25", [("number", 12, "12"), ("number", 25, "25")]),
    ("в 2027 году", [("number", 2027, "2027")]),
    ("сдача в третьем квартале", [("number", 3, "третьем")]),
    ("сдача в 4 кв.", [("number", 4, "4")]),
    ("конец года, 5 кабинетов", [("number", 5, "5")]),
    ("700 кв. м в 3 кв 2027", [("area_m2", 700, "700 кв. м"), ("quarter", "3Q2027", "3 кв 2027")]),
    # --- several at once
    ("офис 300 м2 за 45 млн, 5 минут пешком от метро, сдача в 4 кв. 2027",
     [("area_m2", 300, "300 м2"), ("money_rub", 45000000, "45 млн"),
      ("duration_min", 5, "5 минут пешком", "walk"), ("quarter", "4Q2027", "4 кв. 2027")]),
    ("ищу офис класса А на 300 метров, бюджет до 2 млн",
     [("area_m2", 300, "300 метров"), ("money_rub", 2000000, "2 млн")]),
    ("семьсот квадратов, капитализация 9%, полтора км до метро",
     [("area_m2", 700, "семьсот квадратов"), ("percent", 9, "9"),
      ("distance_m", 1500, "полтора км")]),
    # a budget per m² after the area: the metres are the area, the bare number is money
    ("сниму офис 100 метров до 3000 за метр в месяц",
     [("area_m2", 100, "100 метров"), ("money_rub", 3000, "3000")]),
    ("500 метров до метро", [("distance_m", 500, "500 метров")]),
    # --- nothing
    ("привет", []),
    ("офис класса А", []),
    ("звоните +7 916 123-45-67", []),
    ("", []),
]


def _as_tuple(entity: dict) -> tuple:
    item = (entity["entity"], entity["value"], entity["text"])
    return item + (entity["role"],) if "role" in entity else item


def test_table_is_big_enough():
    assert len(CASES) >= 80
    covered = {e[0] for _, expected in CASES for e in expected}
    assert covered == {"area_m2", "money_rub", "percent", "duration_min", "distance_m",
                       "quarter", "number"}
    roles = {e[3] for _, expected in CASES for e in expected if len(e) == 4}
    assert roles == {"walk", "transport"}


@pytest.mark.parametrize("text, expected", CASES, ids=[c[0][:40] or "<empty>" for c in CASES])
def test_table(text, expected):
    found = extract_quantities(text)
    assert [_as_tuple(e) for e in found] == expected
    for got, want in zip(found, expected):
        assert type(got["value"]) is type(want[1])
        assert got["text"] == text[got["start"]:got["end"]]
        if got["entity"] != "duration_min":
            assert "role" not in got


def test_entity_dict_shape():
    entity, = extract_quantities("офис 700 м2")
    assert entity == {"entity": "area_m2", "value": 700, "start": 5, "end": 11, "text": "700 м2"}


def test_spans_are_ordered_and_disjoint():
    text = "от 500 до 700 м², 5-7 минут пешком, 3,5 млн, 3Q2027, 60 процентов"
    found = extract_quantities(text)
    ends = [0] + [e["end"] for e in found]
    assert all(e["start"] >= end for e, end in zip(found, ends))


# --------------------------------------------------------------------------
# Token alignment against the real Rasa tokenizer.
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rasa_tokenize():
    tokenizers = pytest.importorskip("rasa.nlu.tokenizers.whitespace_tokenizer")
    from rasa.shared.nlu.training_data.message import Message

    tokenizer = tokenizers.WhitespaceTokenizer(tokenizers.WhitespaceTokenizer.get_default_config())

    def tokenize(text: str) -> list[tuple[int, int]]:
        return [(t.start, t.end) for t in tokenizer.tokenize(Message({"text": text}), "text")]

    return tokenize


@pytest.mark.parametrize("text", [c[0] for c in CASES if c[0]])
def test_spans_align_with_rasa_tokens(text, rasa_tokenize):
    tokens = rasa_tokenize(text)
    assert rasa_token_spans(text) == tokens
    starts, ends = {a for a, _ in tokens}, {b for _, b in tokens}
    for entity in extract_quantities(text):
        assert entity["start"] in starts and entity["end"] in ends, entity


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="ab12 ,.-+%₽²кмт@#&/:()\u00a0\n", max_size=40))
def test_rasa_token_spans_matches_rasa(text, rasa_tokenize):
    ours, theirs = rasa_token_spans(text), rasa_tokenize(text)
    if not ours:
        # Rasa's fallback when nothing is left: the whole text is one token.
        assert theirs == [(0, len(text))]
    else:
        assert ours == theirs


# --------------------------------------------------------------------------
# Robustness.
# --------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([
    "700", "м2", "метров", "до", "от", "метро", "минут", "пешком", "на", "машине", "%",
    "процентов", "3Q2027", "кв", "квартал", "2027", "конец", "начало", "тысяч", "млн",
    "полтора", "км", "₽", "руб", "площадь", "бюджет", "-", ",", "IV", "третий", "5",
]), max_size=20))
def test_random_phrases_are_safe(words):
    text = " ".join(words)
    found = extract_quantities(text)
    previous_end = 0
    for entity in found:
        assert entity["text"] == text[entity["start"]:entity["end"]]
        assert entity["start"] >= previous_end
        previous_end = entity["end"]
        if entity["entity"] == "quarter":
            assert isinstance(entity["value"], str) and "Q" in entity["value"]
        else:
            assert type(entity["value"]) in (int, float)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_safe(text):
    for entity in extract_quantities(text):
        assert entity["text"] == text[entity["start"]:entity["end"]]
