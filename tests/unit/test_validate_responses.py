"""scripts/validate.py: a response counts as used when a story, a form's question or the code names it."""

import importlib.util
import textwrap
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("wewall_validate", Path(__file__).resolve().parents[2] / "scripts" / "validate.py")
validate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(validate)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "actions").mkdir()
    (tmp_path / "actions" / "a.py").write_text(textwrap.dedent('''
        """Module docstring naming utter_in_docstring."""
        # a comment naming utter_in_comment
        SENT = "utter_sent"
        BUILT = f"utter_ask_{'x'}"
        META = {"utter_action": 1}
        def f():
            """utter_in_function_docstring"""
            return ["utter_in_list", "not utter_a_sentence"]
    '''), encoding="utf-8")
    return tmp_path


def test_only_string_constants_of_the_code_name_responses(tree):
    names, prefixes = validate.code_responses(tree, ["actions"])
    assert names == {"utter_sent", "utter_in_list"}
    assert prefixes == {"utter_ask_"}


@pytest.mark.parametrize("response, unused", [
    ("utter_in_story", False),
    ("utter_ask_area", False),      # a form's question
    ("utter_sent", False),          # named in code
    ("utter_follow_up_x", False),   # built from a prefix in code
    ("utter_forgotten", True),
])
def test_a_response_nothing_uses_is_reported(response, unused):
    found = validate.unused_responses({response}, in_stories={"utter_in_story"}, in_forms={"utter_ask_area"},
                                      in_code={"utter_sent"}, prefixes={"utter_follow_up_"})
    assert (response in found) is unused
