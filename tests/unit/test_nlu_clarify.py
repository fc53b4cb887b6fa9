"""«Не понял, уточните» (wewall/nlu/clarify.py, actions/clarify.py): which meanings are offered."""

import asyncio

import pytest


def _parse(*ranking, entities=()):
    return {
        "intent": {"name": "nlu_fallback", "confidence": 0.45},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45}]
        + [{"name": n, "confidence": c} for n, c in ranking],
        "entities": list(entities),
    }


@pytest.mark.parametrize("ranking, entities, expected", [
    # the two most likely, then the menu
    ([("request_calculation", 0.4), ("cancel", 0.35), ("help", 0.1)], [],
     ["/request_calculation", "/cancel", "/help"]),
    # small talk is skipped; the menu is not repeated when it is one of the two
    ([("greet", 0.4), ("help", 0.3), ("request_manager", 0.2)], [],
     ["/help", "/request_manager"]),
    # a faq guess leads to the list of topics
    ([("faq", 0.42), ("request_search", 0.3)], [], ["/show_faq", "/request_search", "/help"]),
    # inform carries the message's values, or is not offered at all
    ([("inform", 0.4), ("request_search", 0.38)],
     [{"entity": "area_m2", "value": 700}, {"entity": "metro_station", "value": "Сокол"}],
     ['/inform{"area_m2": 700, "metro_station": "Сокол"}', "/request_search", "/help"]),
    ([("inform", 0.4), ("affirm", 0.38), ("deny", 0.1)], [], ["/affirm", "/deny", "/help"]),
    # nothing worth offering: the menu alone (the action then says the plain «не понял»)
    ([("greet", 0.5), ("out_of_scope", 0.4)], [], ["/help"]),
])
def test_clarify_buttons(ranking, entities, expected):
    from wewall.nlu.clarify import clarify_buttons

    buttons = clarify_buttons(_parse(*ranking, entities=entities))
    assert [b["payload"] for b in buttons] == expected
    assert all(b["title"] for b in buttons)


def test_every_offered_intent_is_in_the_domain():
    from pathlib import Path

    from rasa.shared.core.domain import Domain

    from wewall.nlu.clarify import PAYLOAD_INTENT, TITLES

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain")).as_dict()
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    assert {PAYLOAD_INTENT.get(i, i) for i in TITLES} <= intents
    assert "utter_clarify" in domain["responses"] and "action_clarify" in domain["actions"]


@pytest.mark.parametrize("ranking, response", [
    ([("request_calculation", 0.4), ("cancel", 0.35)], "utter_clarify"),
    ([("greet", 0.5), ("thank", 0.4)], "utter_default"),
])
def test_action_clarify(ranking, response):
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.clarify import ActionClarify

    tracker = Tracker("c", {}, _parse(*ranking), [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    assert asyncio.run(ActionClarify().run(dispatcher, tracker, {})) == []
    [message] = dispatcher.messages
    assert message["response"] == response
    if response == "utter_clarify":
        assert [b["payload"] for b in message["buttons"]][:2] == ["/request_calculation", "/cancel"]


def test_the_forms_main_menu_is_the_domains():
    # Written once in domain/menu.yml (anchor `menu`, three responses); the forms say it from code.
    from pathlib import Path

    from rasa.shared.core.domain import Domain

    from wewall.dialogue.forms import MENU_BUTTONS

    responses = Domain.load(str(Path(__file__).resolve().parents[2] / "domain")).responses
    for name in ("utter_greet", "utter_main_menu", "utter_affirm_no_context"):
        assert [dict(title=b["title"], payload=b["payload"]) for b in responses[name][0]["buttons"]] == MENU_BUTTONS
