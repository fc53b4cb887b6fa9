"""Offer search and analogs: thin adapters to `wewall.search` and `wewall.dialogue`."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from wewall.blocking import run_blocking
from wewall.dialogue.analogs import analogs_reply

log = logging.getLogger(__name__)


class ActionShowAnalogs(Action):
    def name(self) -> Text:
        return "action_show_analogs"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        record = tracker.get_slot("calc_result")
        try:
            text = await run_blocking(analogs_reply, record)
        except Exception:
            log.exception("analogs failed for %s", tracker.sender_id)
            dispatcher.utter_message(text="Не получилось подобрать аналоги из-за технической ошибки. Попробуйте, пожалуйста, позже.")
            return []
        if text is None:
            dispatcher.utter_message(response="utter_no_calculation_for_analogs")
            return []
        dispatcher.utter_message(
            text=text,
            buttons=[
                {"title": "Связаться с менеджером", "payload": "/request_manager"},
                {"title": "Новый расчёт", "payload": "/request_calculation"},
            ],
        )
        return []
