"""The follow-up to a client silent in the middle of a form (wewall.followups)."""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from wewall import followups

log = logging.getLogger(__name__)


class ActionFollowUp(Action):
    """Triggered by the worker (EXTERNAL_follow_up). Decides again here, under the
    conversation's lock: the client may have written since the worker looked."""

    def name(self) -> Text:
        return followups.FOLLOW_UP_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        config = followups.FollowUpConfig.from_settings()
        send, why = followups.decide(tracker.current_state(), time.time(), config.after_seconds, config.channels)
        if not send:
            log.info("напоминание %s не отправлено: %s", tracker.sender_id, why)
            return [FollowupAction("action_listen")]  # the form keeps quiet too
        dispatcher.utter_message(response=followups.FOLLOW_UP_RESPONSE + tracker.active_loop_name)
        return []
