"""Russian typed in Latin letters (wewall/nlu/translit.py) and what the extractors find in it."""

import pytest

from wewall.nlu.translit import to_cyrillic


@pytest.mark.parametrize("latin, cyrillic", [
    ("ofis v arendu u kurskoy do 300k", "офис в аренду у курской до 300к"),
    ("ne vazhno", "не важно"),
    ("klass A s otdelkoy", "класс A с отделкой"),
    ("ishchu pomeshchenie u metro chistye prudy 100m", "ищу помещение у метро чистые пруды 100м"),
    ("Belorusskaya", "Белорусская"),
    ("zhelatelno tsentr, shchas ne srochno", "желателно центр, щас не срочно"),  # no soft sign typed, none added
    ("otmena", "отмена"),
    ("irr ot 9%", "irr от 9%"),
])
def test_latin_is_read_in_cyrillic(latin, cyrillic):
    text, where = to_cyrillic(latin)
    assert text == cyrillic
    # every Cyrillic character points into the Latin text, in order, and one past the end closes it
    assert len(where) == len(text) + 1 and where[-1] == len(latin)
    assert where == sorted(where) and all(0 <= w < len(latin) for w in where[:-1])


@pytest.mark.parametrize("text", ["офис класса A", "БЦ Taller у Павелецкой", "/inform{\"deal\":\"rent\"}", "", "300 000",
                                  "ok", "x" * 4000, "ofis " * 300])  # garbage and pastes are no Russian in Latin
def test_russian_payloads_and_what_has_no_latin_word_to_turn_stay_as_they_are(text):
    assert to_cyrillic(text) is None


@pytest.mark.parametrize("text, expected", [
    ("ofis v arendu u kurskoy do 300k", [("estate_type", "office", "ofis"), ("deal", "rent", "arendu"),
                                         ("metro_station", "Курская", "kurskoy"), ("money_rub", 300000, "300k")]),
    # the Latin pass reads «45» alone, the Cyrillic one «45 млн»: the sum wins, as in Russian
    ("kupit ofis za 45 mln u taganskoy", [("deal", "sale", "kupit"), ("estate_type", "office", "ofis"),
                                         ("money_rub", 45_000_000, "45 mln"), ("metro_station", "Таганская", "taganskoy")]),
    # a name is never read from a transliteration; a phone is digits in any alphabet
    ("menya zovut Igor 89161234567", [("phone", "+79161234567", "89161234567")]),
])
def test_entities_of_a_latin_message_are_marked_on_its_own_text(text, expected):
    from wewall.data.demo import DEMO_STATIONS
    from wewall.nlu.entities import EntityExtractor

    found = EntityExtractor([s[0] for s in DEMO_STATIONS]).extract(text)
    assert [(e["entity"], e["value"], text[e["start"]:e["end"]]) for e in found] == expected
    assert all(e["text"] == text[e["start"]:e["end"]] for e in found)
