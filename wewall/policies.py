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
      - name: wewall.policies.ManagerChatPolicy   # priority 6: above RulePolicy (4)
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
from wewall.slots import MANAGER_ACTIVE

CLOSE_INTENT = "close_manager_chat"
CLOSE_ACTION = "action_close_manager_chat"
# Above NextActionsPolicy (5), RulePolicy (4), MemoizationPolicy (3): a manager in the chat silences all.
MANAGER_CHAT_POLICY_PRIORITY = 6


class DecidingPolicy(Policy):
    """A policy that learns nothing and forces one action when `decide` names it, else abstains."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Rasa builds our policies in every process that trains or serves our model: the place
        # where our remaining fixes to Rasa are installed (wewall/bootstrap.py; idempotent).
        bootstrap.install()
        super().__init__(*args, **kwargs)

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain,
              **kwargs: Any) -> Resource:
        # Nothing to learn: the behaviour is the rule of `decide`. Rasa still wants a resource.
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
        raise NotImplementedError

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage, resource: Resource,
             execution_context, **kwargs: Any) -> DecidingPolicy:
        return cls(config, model_storage, resource, execution_context)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class ManagerChatPolicy(DecidingPolicy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "priority": MANAGER_CHAT_POLICY_PRIORITY,
            "slot": MANAGER_ACTIVE,
            "close_intent": CLOSE_INTENT,
            "close_action": CLOSE_ACTION,
        }

    def decide(self, tracker: DialogueStateTracker) -> Optional[Text]:
        """The action to force, or None to let the other policies decide."""
        if not tracker.get_slot(self.config.get("slot", MANAGER_ACTIVE)):
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


NEXT_ACTIONS_SLOT = "next_actions"
# Above RulePolicy (4): a form left half-way must not be taken for a completed one.
NEXT_ACTIONS_POLICY_PRIORITY = 5


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class NextActionsPolicy(DecidingPolicy):
    """Runs the actions an action asked for next, then listens.

    An action writes `{"after": <its name>, "then": [<action>, …]}` in the slot `next_actions`:
    the form engine when a client leaves a form half-way (cancel → nothing, the main menu →
    `utter_main_menu`, a manager → `action_handover`, another task → that task's first actions),
    `action_route_facts` when facts open a task. For the rest of that turn this policy predicts
    those actions in order and then `action_listen`; it abstains once the client writes again.

    Why not `FollowupAction`: conversation tests cannot state it, and after the followed action
    no rule applies, so the core fallback answered «не понял» and reverted the turn. Why not
    rules: one rule per form and per way out, which is what the engine removed.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": NEXT_ACTIONS_POLICY_PRIORITY, "slot": NEXT_ACTIONS_SLOT}

    def decide(self, tracker: DialogueStateTracker) -> Optional[Text]:
        plan = tracker.get_slot(self.config.get("slot", NEXT_ACTIONS_SLOT))
        if not isinstance(plan, dict) or not plan.get("after"):
            return None
        after, then = plan["after"], [str(a) for a in plan.get("then") or []]
        done: Optional[int] = None  # actions run since `after` ran in this turn
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                return None  # the plan belongs to an earlier turn
            if isinstance(event, ActionExecuted):
                if event.action_name == after:
                    break
                done = (done or 0) + 1
        else:
            return None
        done = done or 0
        return then[done] if done < len(then) else ACTION_LISTEN_NAME
