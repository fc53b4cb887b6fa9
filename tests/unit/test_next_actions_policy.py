"""NextActionsPolicy: the actions a form chose on leaving run in order, then the bot listens; and it
outranks the rule that would take a form left half-way for a completed one."""

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from wewall.policies import NEXT_ACTIONS_SLOT, NextActionsPolicy

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))


@pytest.fixture
def policy(tmp_path):
    return NextActionsPolicy.create(NextActionsPolicy.get_default_config(), LocalModelStorage(tmp_path),
                                    Resource("next"), ExecutionContext(GraphSchema({}), "test"))


def tracker(*events):
    return DialogueStateTracker.from_events("u1", [ActionExecuted(ACTION_LISTEN_NAME), *events], slots=DOMAIN.slots)


def predicted(policy, t):
    p = policy.predict_action_probabilities(t, DOMAIN)
    return DOMAIN.action_names_or_texts[p.max_confidence_index] if max(p.probabilities) else None


def left(then, form="calculation_form"):
    return [UserUttered("подбери офис", intent={"name": "request_search", "confidence": 1.0}),
            ActionExecuted(form), SlotSet(NEXT_ACTIONS_SLOT, {"after": form, "then": then}),
            SlotSet("requested_slot", None), ActiveLoop(None)]


def test_the_planned_actions_run_in_order_then_the_bot_listens(policy):
    events = left(["action_search_reset", "search_form"])
    assert predicted(policy, tracker(*events)) == "action_search_reset"
    events.append(ActionExecuted("action_search_reset"))
    assert predicted(policy, tracker(*events)) == "search_form"
    events.append(ActionExecuted("search_form"))
    assert predicted(policy, tracker(*events)) == ACTION_LISTEN_NAME


def test_a_cancel_plans_nothing_but_listening(policy):
    assert predicted(policy, tracker(*left([]))) == ACTION_LISTEN_NAME


def test_a_plan_ends_with_its_turn(policy):
    events = left(["utter_main_menu"]) + [ActionExecuted("utter_main_menu"), ActionExecuted(ACTION_LISTEN_NAME),
                                          UserUttered("привет", intent={"name": "greet", "confidence": 1.0})]
    assert predicted(policy, tracker(*events)) is None


@pytest.mark.parametrize("plan", [None, {}, {"after": "action_route_facts", "then": ["calculation_form"]}])
def test_abstains_without_a_plan_of_an_action_run_this_turn(policy, plan):
    events = [UserUttered("80 метров", intent={"name": "inform", "confidence": 1.0}), ActionExecuted("calculation_form"),
              SlotSet(NEXT_ACTIONS_SLOT, plan)]
    assert predicted(policy, tracker(*events)) is None


def test_outranks_rule_policy():
    from rasa.core.constants import RULE_POLICY_PRIORITY

    assert NextActionsPolicy.get_default_config()["priority"] > RULE_POLICY_PRIORITY
