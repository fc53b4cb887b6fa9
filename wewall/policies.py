"""Dialogue policies of our own.

`ManagerChatPolicy` keeps the bot silent while a manager talks to the client in amoCRM.

When a manager writes, the amoCRM channel runs `action_relay_manager_message`, which shows the
text with the button «Закрыть чат с менеджером» and sets the slot `manager_active`. From then
on, for every client message this policy predicts `action_listen` with confidence 1, above
RulePolicy's priority, so neither rules, nor forms, nor the fallback answer: the message is
only stored in the tracker (and mirrored to amoCRM by the outbox). The one exception is
`close_manager_chat` (the button or words to that effect): `action_close_manager_chat`,
which gives the conversation back to the bot. With the slot false the policy abstains.

Why not Rasa's `ConversationPaused`: a paused conversation ignores every message, the close
button included, and its events are not predicted at all; the client could never end the
manager chat from their side. A slot keeps the state visible in the tracker and the
conversation tests.

config.yml:

    policies:
      - name: wewall.policies.ManagerChatPolicy   # priority 5: above RulePolicy (4)
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from wewall import bootstrap

MANAGER_ACTIVE_SLOT = "manager_active"
CLOSE_INTENT = "close_manager_chat"
CLOSE_ACTION = "action_close_manager_chat"
# Above RulePolicy (4), MemoizationPolicy (3), TEDPolicy (1).
MANAGER_CHAT_POLICY_PRIORITY = 5


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class ManagerChatPolicy(Policy):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Rasa builds this policy in every process that trains or serves our model: the place
        # where our remaining fixes to Rasa are installed (wewall/bootstrap.py; idempotent).
        bootstrap.install()
        super().__init__(*args, **kwargs)

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "priority": MANAGER_CHAT_POLICY_PRIORITY,
            "slot": MANAGER_ACTIVE_SLOT,
            "close_intent": CLOSE_INTENT,
            "close_action": CLOSE_ACTION,
        }

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain,
              **kwargs: Any) -> Resource:
        # Nothing to learn: the behaviour is the rule above. Rasa still wants a resource.
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = self.decide(tracker)
        if action is not None and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)

    def decide(self, tracker: DialogueStateTracker) -> Optional[Text]:
        """The action to force, or None to let the other policies decide."""
        if not tracker.get_slot(self.config.get("slot", MANAGER_ACTIVE_SLOT)):
            return None
        # The latest user message or action decides whose turn it is (slot events that
        # action_extract_slots adds after a user message do not count).
        last = next((e for e in reversed(tracker.events)
                     if isinstance(e, (UserUttered, ActionExecuted))), None)
        if not isinstance(last, UserUttered):
            # After an action (ours or the channel's) the bot's turn ends here.
            return ACTION_LISTEN_NAME if last is not None and last.action_name != ACTION_LISTEN_NAME else None
        intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
        if intent == self.config.get("close_intent", CLOSE_INTENT):
            return self.config.get("close_action", CLOSE_ACTION)
        return ACTION_LISTEN_NAME

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage, resource: Resource,
             execution_context, **kwargs: Any) -> "ManagerChatPolicy":
        return cls(config, model_storage, resource, execution_context)
