"""ManagerChatPolicy: silent while a manager is in the chat, except for the close button."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from wewall.policies import MANAGER_CHAT_POLICY_PRIORITY, ManagerChatPolicy

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, request_manager, close_manager_chat, nlu_fallback]
slots:
  manager_active:
    type: bool
    initial_value: false
    influence_conversation: false
    mappings: [{type: custom}]
  area_m2:
    type: any
    mappings: [{type: custom}]
responses:
  utter_greet: [{text: "Здравствуйте"}]
actions: [action_handover, action_close_manager_chat, action_relay_manager_message]
""")


@pytest.fixture
def policy(tmp_path):
    return ManagerChatPolicy.create(
        ManagerChatPolicy.get_default_config(), LocalModelStorage(tmp_path), Resource("manager"),
        ExecutionContext(GraphSchema({}), "test"))


def tracker(*events):
    return DialogueStateTracker.from_events("u1", [ActionExecuted(ACTION_LISTEN_NAME), *events],
                                            slots=DOMAIN.slots)


def user(intent, text="текст"):
    return UserUttered(text, intent={"name": intent, "confidence": 1.0})


def predicted(policy, t):
    p = policy.predict_action_probabilities(t, DOMAIN)
    if max(p.probabilities) == 0:
        return None
    return DOMAIN.action_names_or_texts[p.max_confidence_index], p


def test_abstains_while_the_bot_talks(policy):
    assert predicted(policy, tracker(user("greet"))) is None
    assert predicted(policy, tracker(user("close_manager_chat"))) is None  # the rule answers


def test_silent_for_every_message_while_a_manager_is_in(policy):
    base = [SlotSet("manager_active", True), BotUttered("Менеджер WEWALL: добрый день"),
            ActionExecuted(ACTION_LISTEN_NAME)]
    for intent in ("greet", "request_manager", "nlu_fallback"):
        action, prediction = predicted(policy, tracker(*base, user(intent)))
        assert action == ACTION_LISTEN_NAME
        assert prediction.max_confidence == 1.0 and prediction.policy_priority == MANAGER_CHAT_POLICY_PRIORITY


def test_slot_events_after_the_message_do_not_confuse_it(policy):
    t = tracker(SlotSet("manager_active", True), user("greet"), SlotSet("area_m2", 100))
    assert predicted(policy, t)[0] == ACTION_LISTEN_NAME


def test_the_close_button_gets_through(policy):
    t = tracker(SlotSet("manager_active", True), user("close_manager_chat", "/close_manager_chat"))
    assert predicted(policy, t)[0] == "action_close_manager_chat"


def test_after_an_action_the_turn_ends(policy):
    t = tracker(SlotSet("manager_active", True), user("greet"),
                ActionExecuted("action_relay_manager_message"))
    assert predicted(policy, t)[0] == ACTION_LISTEN_NAME
    t = tracker(SlotSet("manager_active", True), user("greet"), ActionExecuted(ACTION_LISTEN_NAME))
    assert predicted(policy, t) is None


def test_outranks_rule_policy():
    from rasa.core.constants import RULE_POLICY_PRIORITY

    assert ManagerChatPolicy.get_default_config()["priority"] > RULE_POLICY_PRIORITY
