"""scripts/crossval.py's scoring (no training): per-intent F1, entity matching, fallback table."""

import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "crossval", Path(__file__).resolve().parents[2] / "scripts" / "crossval.py")
crossval = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(crossval)


def _row(intent, predicted, confidence=0.9, second="x", second_confidence=0.05, entities=(), found=()):
    return {"intent": intent, "predicted": predicted, "confidence": confidence, "second": second,
            "second_confidence": second_confidence, "entities": list(entities), "predicted_entities": list(found)}


def test_f1_per_intent_and_macro():
    table = crossval._f1_table([("a", "a"), ("a", "b"), ("b", "b"), ("c", "c")])
    assert table["a"]["recall"] == 0.5 and table["a"]["precision"] == 1.0
    assert table["b"]["precision"] == 0.5 and table["b"]["recall"] == 1.0
    assert table["c"]["f1"] == 1.0
    assert crossval.macro(table) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


@pytest.mark.parametrize("gold, found, f1", [
    ([["percent", "5", 0, 2]], [["percent", "5", 0, 1]], 1.0),          # «5%» found without its sign
    ([["person_name", "Анна", 0, 4]], [["person_name", "анна", 0, 4]], 1.0),
    ([["area_m2", "700", 0, 6]], [["area_m2", "800", 0, 6]], 0.0),      # wrong value
    ([["area_m2", "700", 0, 6]], [["area_m2", "700", 10, 16]], 0.0),    # elsewhere in the text
    ([["deal", "rent", 0, 5]], [], 0.0),
])
def test_entity_f1(gold, found, f1):
    assert crossval.entity_f1([_row("inform", "inform", entities=gold, found=found)])["micro avg"]["f1"] == f1


def test_fallback_table_counts_confident_mistakes_and_clarifications():
    rows = [
        _row("a", "a", confidence=0.9),                                  # right and sure
        _row("a", "b", confidence=0.8),                                  # wrong and sure
        _row("a", "a", confidence=0.4),                                  # right, asked (low)
        _row("b", "a", confidence=0.6, second_confidence=0.55),          # wrong, asked (ambiguous)
    ]
    [t] = crossval.fallback_table(rows, [0.5], [0.1])
    assert (t["wrong_confident"], t["asked"], t["right_asked"]) == (0.25, 0.5, 0.25)
    [loose] = crossval.fallback_table(rows, [0.3], [0.0])
    assert (loose["wrong_confident"], loose["asked"]) == (0.5, 0.0)


def test_folds_are_fixed_by_the_seed():
    class Msg(dict):
        pass

    examples = [Msg(intent=i) for i in ["a", "b"] * 10]
    first = crossval.make_folds(examples, 5, 42)
    assert first == crossval.make_folds(examples, 5, 42)
    assert first != crossval.make_folds(examples, 5, 7)
    assert sorted(j for _, test in first for j in test) == list(range(20))
