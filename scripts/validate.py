"""`rasa data validate --fail-on-warnings`, with one exception.

Intents named EXTERNAL_… are sent only from outside (`wewall worker` calls trigger_intent):
Rasa's validator asks for NLU examples of every intent in the domain, but examples would
teach the classifier an intent that no client can mean. Everything else still fails on a
warning.
"""

import sys

from rasa.validator import Validator

_non_default_intents = Validator._non_default_intents


def _client_intents(self):
    return [i for i in _non_default_intents(self) if not i.startswith("EXTERNAL_")]


Validator._non_default_intents = _client_intents

if __name__ == "__main__":
    from rasa.__main__ import main

    sys.argv = ["rasa", "data", "validate", "--fail-on-warnings", *sys.argv[1:]]
    main()
