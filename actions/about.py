from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from wewall import storage
from wewall.blocking import run_blocking
from wewall.text import count


class ActionAbout(Action):
    """Who we are, and how large the base behind the bot is right now."""

    def name(self) -> Text:
        return "action_about"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_about")
        try:
            counts = await run_blocking(lambda: storage.counts(storage.get_db()))
        except Exception:  # the base is a detail here: never lose the answer over it
            storage.log.exception("cannot count the base for action_about")
            return []
        if counts[storage.ESTATES]:
            dispatcher.utter_message(
                response="utter_about_base",
                # «4 884 предложения у 296 станций»: the numbers agree with the nouns
                estates=count(counts[storage.ESTATES], "предложение"),
                stations=count(counts[storage.SUBWAY_STATIONS], "станция", case="gent"),
            )
        return []
