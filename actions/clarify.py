"""`action_clarify`: the answer to a message the NLU is not sure about (rule «low NLU
confidence»): «не понял, уточните» with the two most likely meanings as buttons
(wewall/nlu/clarify.py chooses them)."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import NEXT_ACTIONS, turn_of
from wewall.dialogue import forms as engine
from wewall.dialogue import search as sd
from wewall.nlu.clarify import clarify_buttons


class ActionClarify(Action):
    def name(self) -> Text:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        from actions.faq import answer_prices
        from actions.search_form import STAGE, _param_buttons, _slots

        prices = await answer_prices(dispatcher, tracker)
        if prices is not None:  # a question about market prices the NLU was not sure of
            return prices
        text = turn_of(tracker).text
        task = engine.task_from_text(text)
        showing = tracker.get_slot(STAGE) in ("offers", "empty")  # «найди подешевле» is about the offers shown
        if task and not showing and not engine.is_owner(text) and not tracker.active_loop_name:
            # «хочу оценить готовый офис 80 метров у Павелецкой»: the words name the task where the
            # NLU is unsure, as they do when a form opens; the form reads the message's facts
            return [SlotSet(NEXT_ACTIONS, {"after": self.name(), "then": engine.START[task]})]
        if showing:
            # «а есть дешевле?» about the offers shown: what to change, not «не понял»
            slots = _slots(tracker)
            hint = sd.compare_hint(text, slots)
            if hint:
                dispatcher.utter_message(text=hint, buttons=_param_buttons(slots))
                return []
        buttons = clarify_buttons(tracker.latest_message or {})
        if len(buttons) < 2:  # nothing likely enough to offer: the plain «не понял»
            dispatcher.utter_message(response="utter_default")
        else:
            dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        return []
