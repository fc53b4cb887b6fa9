"""Every button works typed: its title written by hand (lowercase, no punctuation, one typo) is read
as the tap. Generated from every static button of the domain and the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.message import Message

from wewall.dialogue.buttons import all_buttons, match, parse_payload, title_map
from wewall.dialogue.forms import normalise
from wewall.nlu.buttons import ButtonTitleClassifier

ROOT = Path(__file__).resolve().parents[2]
BUTTONS = all_buttons(ROOT)
TITLES = title_map(BUTTONS)
UNAMBIGUOUS = sorted({(t, p) for t, p, _ in BUTTONS if TITLES.get(normalise(t)) and parse_payload(p)})
AMBIGUOUS = sorted({t for t, p, _ in BUTTONS if TITLES.get(normalise(t)) == "" and parse_payload(p)})


def typed(title: str):
    """How clients type it: lowercase without punctuation; and with a letter missed in the middle."""
    plain = normalise(title)
    yield plain
    longest = max(plain.split(), key=len)
    if len(plain) >= 6 and len(longest) >= 4:
        i = plain.index(longest) + len(longest) // 2  # a letter missed inside the longest word
        yield plain[:i] + plain[i + 1:]


def classify(text: str) -> Message:
    component = ButtonTitleClassifier({"titles": TITLES}, None, None, TITLES)
    message = Message.build(text=text)
    message.set("intent", {"name": "out_of_scope", "confidence": 0.4})
    message.set("entities", [])
    component.process([message])
    return message


def test_every_button_is_found():
    print(f"\n{len(BUTTONS)} static buttons, {len(UNAMBIGUOUS)} distinct titles read as taps, ambiguous left to the forms: {AMBIGUOUS}")
    where = {w.split(":")[0] for _, _, w in BUTTONS}
    assert {"domain/menu.yml", "domain/search.yml", "actions/search_form.py", "actions/calculation.py"} <= where
    titles = {t for t, _ in UNAMBIGUOUS}
    assert {"Да, искать", "Отправить", "Да, считать", "Новый расчёт", "Оценка доходности", "Назад", "Отменить"} <= titles


@pytest.mark.parametrize("title, payload", UNAMBIGUOUS)
def test_a_typed_title_is_the_tap(title, payload):
    intent, entities = parse_payload(payload)
    for text in typed(title):
        message = classify(text)
        assert message.get("intent")["name"] == intent, text
        got = {(e["entity"], str(e["value"])) for e in message.get("entities")}
        assert {(e["entity"], str(e["value"])) for e in entities} <= got, text


@pytest.mark.parametrize("title", AMBIGUOUS)
def test_an_ambiguous_title_is_left_to_the_form(title):
    assert match(title, TITLES) is None
    assert classify(title).get("intent")["name"] == "out_of_scope"


@pytest.mark.parametrize("text", ["да искать но только у метро", "отправить менеджеру мой номер 89161234567", "",
                                  "/affirm", "назад в будущее смотрели?"])
def test_longer_messages_are_not_taken_for_a_button(text):
    assert match(text, TITLES) is None


@pytest.mark.parametrize("text, payload", [("подбор", "/request_search"), ("Оценка", "/request_calculation"),
                                           ("следующее", "/next_offer"), ("только", None), ("главное", "/help")])
def test_the_first_word_of_one_title_is_that_button(text, payload):
    assert match(text, TITLES) == payload


def test_the_titles_are_an_input_of_training():
    """Rasa's training cache retrains the component when a button's title or payload changes."""
    same = ButtonTitleClassifier.fingerprint_addon({"titles": dict(TITLES)})
    assert same == ButtonTitleClassifier.fingerprint_addon({"titles": dict(TITLES)})
    changed = {**TITLES, "новая кнопка": "/help"}
    assert ButtonTitleClassifier.fingerprint_addon({"titles": changed}) != same
    assert ButtonTitleClassifier.fingerprint_addon({"project_root": str(ROOT)}) == \
        ButtonTitleClassifier.fingerprint_addon({"titles": title_map(all_buttons(ROOT))})
