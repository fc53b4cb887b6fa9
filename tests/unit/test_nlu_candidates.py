"""scripts/nlu_candidates.py: the inform / request_search rule of docs/nlu.md and the data that follow it."""

import importlib.util
import logging
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("nlu_candidates", ROOT / "scripts" / "nlu_candidates.py")
candidates = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(candidates)

# Labels the regexes get wrong on purpose (docs/nlu.md says why): a button's payload, and «нужно
# торговое» answering the question about the kind of property.
EXCEPTIONS = {"/estate_search", "нужно торговое"}


@pytest.mark.parametrize("text, intent", [
    ("найдите мне офис в центре", "request_search"),
    ("что есть у Курской?", "request_search"),
    ("нужен офис", "request_search"),
    ("снять офис в центре до 2 млн в месяц", "request_search"),
    ("куда вложить 30 млн в коммерческую недвижимость", "request_search"),
    ("офис 150 м2 у Белорусской в аренду", "inform"),
    ("хотим снять", "inform"),
    ("хочу в центре", "inform"),
    ("нужно 150 кв.м", "inform"),
    ("интересуют офисы", "inform"),
])
def test_rule(text, intent):
    assert candidates.rule(text) == intent


def test_training_and_test_data_follow_the_rule():
    from rasa.shared.nlu.training_data.loading import load_data

    logging.getLogger("rasa").setLevel(logging.ERROR)
    wrong = []
    for path in (ROOT / "data" / "nlu", ROOT / "tests" / "nlu" / "test_nlu.yml"):
        for m in load_data(str(path)).intent_examples:
            text, label = m.get("text"), m.get("intent")
            if label in ("inform", "request_search") and text not in EXCEPTIONS \
                    and not candidates.CALC.search(text.lower()) and candidates.rule(text) != label:
                wrong.append(f"{label}: {text}")
    assert not wrong, "relabel by the rule of docs/nlu.md (scripts/nlu_candidates.py lists them):\n" + "\n".join(wrong)


def test_relabel_moves_an_example_to_its_new_block(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: inform\n  examples: |\n'
                    '    - [купить]{"entity": "deal", "value": "sale"} офис\n    - [700](number)\n'
                    '- intent: greet\n  examples: |\n    - привет\n', encoding="utf-8")
    left = candidates.relabel({"купить офис": "request_search", "привет": "greet", "нет такой": "inform"}, [path])
    assert left == {"нет такой": "inform"}
    text = path.read_text(encoding="utf-8")
    assert text.index("- intent: request_search") > text.index("- [700](number)")
    assert '    - [купить]{"entity": "deal", "value": "sale"} офис' in text.split("- intent: request_search")[1]
    assert text.count("привет") == 1
