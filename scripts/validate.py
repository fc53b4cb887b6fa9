"""`rasa data validate --fail-on-warnings`, with two project rules.

1. Intents named EXTERNAL_… are sent only from outside (`wewall worker` calls trigger_intent):
   Rasa's validator asks for NLU examples of every intent in the domain, but examples would
   teach the classifier an intent that no client can mean.
2. Responses. Rasa counts a response as used only when a story or a rule utters it, and warns
   about every other one, yet our forms and actions utter most of theirs from code (a form asks
   `utter_ask_<slot>` by Rasa's convention; actions name responses they send). Those warnings
   drowned the one that matters, and Rasa 3.6 never fails on them even with
   --fail-on-warnings. Here a response counts as used when a story or rule, a form's question or
   a string in actions/ or wewall/ names it; one that nothing uses fails validation, and so does
   a response named in the code that the domain does not have (the bot would fail at run time).

`make train` runs this first and then `rasa train --skip-validation`, so `make run` does not
print the same warnings again.
"""

import ast
import re
import sys
from pathlib import Path
from typing import Iterable, Set

from rasa.shared.core.events import ActionExecuted
from rasa.shared.utils.io import raise_warning
from rasa.validator import Validator

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("actions", "wewall")
# Old names kept on purpose: the migration of stored conversations reads them.
NOT_SENT = {Path("wewall/slots.py")}
_NAME = re.compile(r"utter_[a-z0-9_]+")
# Strings of that shape that are not responses: Rasa's key for the response a bot event came from.
NOT_RESPONSES = {"utter_action"}

_non_default_intents = Validator._non_default_intents


def _client_intents(self):
    return [i for i in _non_default_intents(self) if not i.startswith("EXTERNAL_")]


def code_responses(root: Path = ROOT, dirs: Iterable[str] = CODE_DIRS) -> "tuple[Set[str], Set[str]]":
    """(names, prefixes): every string constant of the code that is a response name, and every
    one that is the start of a name built at run time (`f"utter_ask_{slot}"`). Comments and
    docstrings do not count: only string constants outside docstrings."""
    names: Set[str] = set()
    prefixes: Set[str] = set()
    for folder in dirs:
        for path in sorted((root / folder).rglob("*.py")):
            if path.relative_to(root) in NOT_SENT:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and node.body and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                    text = node.value
                    if _NAME.fullmatch(text) and text not in NOT_RESPONSES:
                        (prefixes if text.endswith("_") else names).add(text)
    return names, prefixes


def unused_responses(domain_responses: Set[str], in_stories: Set[str], in_forms: Set[str],
                     in_code: Set[str], prefixes: Set[str]) -> Set[str]:
    used = in_stories | in_forms | in_code
    return {r for r in domain_responses if r not in used and not any(r.startswith(p) for p in prefixes)}


def _verify_responses(self, ignore_warnings: bool = True) -> bool:
    domain_responses = self._gather_utterance_actions()
    in_stories = {
        event.action_name
        for story in self.story_graph.story_steps
        for event in story.events
        if isinstance(event, ActionExecuted) and event.action_name and event.action_name.startswith("utter_")
    }
    in_forms = {f"utter_ask_{slot}" for form in self.domain.form_names for slot in self.domain.required_slots_for_form(form)}
    in_code, prefixes = code_responses()
    ok = True
    for name in sorted(in_stories - domain_responses):
        raise_warning(f"The action '{name}' is used in the stories, but the domain has no response of that name.")
        ok = False
    for name in sorted(in_code - domain_responses - {p for p in in_code if p.endswith("_")}):
        raise_warning(f"The response '{name}' is named in actions/ or wewall/, but the domain has no response of that name.")
        ok = False
    for name in sorted(unused_responses(domain_responses, in_stories, in_forms, in_code, prefixes)):
        raise_warning(f"The response '{name}' is used by no story, rule, form question or code.")
        ok = False
    return ok or ignore_warnings


Validator._non_default_intents = _client_intents
Validator.verify_utterances_in_stories = _verify_responses

if __name__ == "__main__":
    from rasa.__main__ import main

    sys.argv = ["rasa", "data", "validate", "--fail-on-warnings", *sys.argv[1:]]
    main()
