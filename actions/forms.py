"""The one validate loop of every form: a thin adapter between Rasa's tracker and
`wewall.dialogue.forms` (the engine) with the forms declared in `wewall.dialogue.specs`."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.common import external_turn, fresh_user_turn, note_answer
from wewall.blocking import run_blocking
from wewall.dialogue import calculation as calc
from wewall.dialogue import contacts as ct
from wewall.dialogue import forms as engine
from wewall.dialogue import specs, stations
from wewall.dialogue.calculation import Turn
from wewall.nlu.translit import to_cyrillic

log = logging.getLogger(__name__)

REQUESTED_SLOT = engine.REQUESTED_SLOT
NEXT_ACTIONS = "next_actions"  # wewall.policies.NEXT_ACTIONS_SLOT: what runs after this action
READ_MOVES = {"start", "answer", "correct", "back_to"}  # the engine's moves that read the message (said back)


def turn_of(tracker: Tracker) -> Turn:
    """The client's latest message for the dialogue modules; Russian typed in Latin letters is read
    in Cyrillic («ne vazhno», «otmena»), as the NLU's extractors read it."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    latin = to_cyrillic(text)
    return Turn(
        intent=(message.get("intent") or {}).get("name"),
        entities=list(message.get("entities") or []),
        text=latin[0] if latin else text,
    )


def faq_response(tracker: Tracker) -> Optional[str]:
    """The FAQ answer the response selector chose for this message (`utter_faq/<topic>`)."""
    selector = (tracker.latest_message or {}).get("response_selector") or {}
    for key in ("faq", "default"):
        response = ((selector.get(key) or {}).get("response") or {})
        name = response.get("utter_action")
        if name:
            return name
    return None


def ran_this_turn(tracker: Tracker, action: str) -> bool:
    """`action` ran and finished since the client's latest message (another action ran after it).

    The tracker a form's validation gets may already hold the form's own current run, so a run
    with nothing after it does not count."""
    later = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action":
            if event.get("name") == action and later:
                return True
            if event.get("name") != action:
                later = True
    return False


def is_payload(text: str) -> bool:
    return (text or "").lstrip().startswith("/")


def say(dispatcher: CollectingDispatcher, messages: List[engine.Message]) -> None:
    for message in messages:
        if message.response:
            dispatcher.utter_message(response=message.response)
        else:
            dispatcher.utter_message(text=message.text, buttons=message.buttons or None)


class FormEngineAction(FormValidationAction):
    """`validate_<form>` for a form declared in `wewall.dialogue.specs`."""

    form: Text = ""
    extra_slots: List[Text] = []  # slots the form reads but does not own

    def name(self) -> Text:
        return f"validate_{self.form}"

    def spec(self) -> engine.FormSpec:
        raise NotImplementedError

    def progress(self, slots: Dict[str, Any]) -> List[EventType]:
        """Slots that follow the next question (the calculation's «осталось N вопросов»)."""
        return []

    def on_start(self) -> None:
        """Called when the form opens (the calculation warms its chart worker)."""

    async def required_slots(self, domain_slots: List[Text], dispatcher, tracker, domain) -> List[Text]:
        slots = self._slots(tracker, self.spec())
        return self.spec().required(slots)

    def _slots(self, tracker: Tracker, spec: engine.FormSpec) -> Dict[str, Any]:
        names = list(dict.fromkeys(spec.slots + list(self.extra_slots) + [engine.PAUSED, engine.PENDING]))
        return {name: tracker.get_slot(name) for name in names}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        from actions.faq import market_message  # actions.faq imports this module

        spec = self.spec()
        slots = self._slots(tracker, spec)
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested is None:
            self.on_start()
        await note_answer(tracker, self.form)
        if requested is not None and not fresh_user_turn(tracker, [self.form]):
            # Back from a rule (a follow-up reminder, a changed parameter): nothing new to read.
            nxt = spec.next_slot(slots)
            return [SlotSet(REQUESTED_SLOT, nxt)] + self.progress(slots)
        if external_turn(tracker):
            return []  # a follow-up, not an answer: its rule runs, then the form asks again
        turn = turn_of(tracker)
        if requested is None:
            if ran_this_turn(tracker, self.form):
                log.info("form %s reopened this turn: the message is not read again", self.form)
                # Reopened by its own submit action (VAT 20 %: the hand-over choice): the message
                # was read already, reading it again would answer the question it reopens for.
                turn = Turn(None, [], "")
            result = await run_blocking(engine.activate, spec, turn, slots, slots.get(engine.PENDING))
            prices = await market_message(turn, offer_search=False)
            if prices is not None:  # «почём купить офис в сити?» opens the search: the prices first
                result.messages.insert(0, prices)
        else:
            faq: Optional[Any] = faq_response(tracker)
            if faq:  # a question about market prices is answered from the base
                faq = await market_message(turn, offer_search=False) or faq
            result = await run_blocking(engine.step, spec, turn, slots, requested, faq, is_payload(turn.text))
        log.info("form %s: question %s, move %s", self.form, requested, result.move)
        events: List[EventType] = [SlotSet(k, v) for k, v in result.slots.items()]
        merged = {**slots, **result.slots}
        phone_plan = self._callback(tracker, spec, turn, merged, result)
        if phone_plan is not None:
            events = [e for e in events if e.get("name") != engine.PAUSED] + phone_plan
            result.leave, result.then = True, ["action_callback_offer"]
            if result.move not in READ_MOVES:
                result.messages = []  # «Не понял бюджет» about a message that was the phone
        say(dispatcher, result.messages)
        if result.leave:
            plan = {"after": self.form, "then": result.then}
            return events + [SlotSet(NEXT_ACTIONS, plan), SlotSet(REQUESTED_SLOT, None), ActiveLoop(None)]
        if tracker.get_slot(NEXT_ACTIONS) is not None:
            events.append(SlotSet(NEXT_ACTIONS, None))  # a plan of an earlier turn must not outlive it
        return events + [SlotSet(REQUESTED_SLOT, result.ask)] + self.progress(merged)


    def _callback(self, tracker: Tracker, spec: engine.FormSpec, turn: Turn, merged: Dict[str, Any],
                  result: engine.Step) -> Optional[List[EventType]]:
        """«до 300 тыс, можете перезвонить 8 916 123 45 67 Анна» in a form that does not ask for a phone:
        the facts are read, the form waits with its answers kept, and the number is offered to the manager
        (the consent sentence first, as outside a form). None: no phone, or the form reads it itself."""
        from actions.manager import contacts_in

        if result.leave or result.ask is None or ct.PHONE in spec.slots or is_payload(turn.text):
            return None
        contacts = contacts_in(tracker)
        if not contacts.get(ct.PHONE):
            return None
        keep = bool(spec.answered(merged))
        paused = [f for f in (merged.get(engine.PAUSED) or []) if f != spec.name] + ([spec.name] if keep else [])
        events: List[EventType] = [SlotSet(engine.PAUSED, paused)]
        if contacts.get(ct.NAME):
            events.append(SlotSet(ct.NAME, contacts[ct.NAME]))
        return events


class ValidateCalculationForm(FormEngineAction):
    form = "calculation_form"

    def spec(self) -> engine.FormSpec:
        from actions import calculation as calc_actions  # its `today` is the one tests move

        return specs.calculation(calc.Context(calc_actions.today(), stations.canonical, stations.suggest))

    def progress(self, slots: Dict[str, Any]) -> List[EventType]:
        return [SlotSet(calc.REMAINING, calc.remaining_phrase(slots))]

    def on_start(self) -> None:
        from wewall.calculator import render

        render.warm_up()  # the chart's worker process is ready by the last answer


class ValidateSearchForm(FormEngineAction):
    form = "search_form"

    def spec(self) -> engine.FormSpec:
        return specs.SEARCH


class ValidateBookViewingForm(FormEngineAction):
    form = "book_viewing_form"

    def spec(self) -> engine.FormSpec:
        return specs.VIEWING



def _last_bot_response(tracker: Tracker) -> Optional[str]:
    last = next((e for e in reversed(tracker.events or []) if e.get("event") == "bot"), None)
    return ((last or {}).get("metadata") or {}).get("utter_action")


class ActionRouteFacts(Action):
    """Facts written while no form is open: start the task they belong to, or keep them and ask."""

    def name(self) -> Text:
        return "action_route_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        from actions import calculation as calc_actions
        from actions.faq import answer_prices
        from actions.manager import contacts_in

        prices = await answer_prices(dispatcher, tracker)
        if prices is not None:  # «почём аренда офиса у курской», read as facts: the prices, facts kept
            return prices
        contacts = contacts_in(tracker)
        if contacts.get(ct.PHONE):
            # «Анна, 8 916 555 44 33»: the callback rules match a phone alone, not a phone with a name
            return [SlotSet(k, v) for k, v in contacts.items() if k != ct.PHONE] + [
                SlotSet(NEXT_ACTIONS, {"after": self.name(), "then": ["action_callback_offer"]})]
        ctx = calc.Context(calc_actions.today(), stations.canonical, stations.suggest)
        route = await run_blocking(engine.route_facts, turn_of(tracker), [specs.calculation(ctx), specs.SEARCH])
        if contacts.get(ct.NAME) and not route.start and not route.pending:
            # a name alone: an answer to «как к вам обращаться» or to a request for the phone
            name = contacts[ct.NAME]
            if _last_bot_response(tracker) == "utter_lead_saved_ask_phone":
                dispatcher.utter_message(text=f"Спасибо, {name}! Напишите, пожалуйста, номер телефона, чтобы "
                                              "менеджер мог вам позвонить, например: +7 916 123-45-67.")
            else:
                dispatcher.utter_message(text=f"Приятно познакомиться, {name}! Чем могу помочь?",
                                         buttons=engine.MENU_BUTTONS)
            return [SlotSet(ct.NAME, name)]
        say(dispatcher, route.messages)
        if route.start:
            return [SlotSet(NEXT_ACTIONS, {"after": self.name(), "then": route.start})]
        if route.pending:
            return [SlotSet(engine.PENDING, route.pending)]
        return []



class ActionNoOffers(Action):
    """An offer button or «хочу офис посмотреть» with no offer shown: say so, and keep the facts
    of the message for the search that comes next («офис» is not asked again)."""

    def name(self) -> Text:
        return "action_no_offers"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_no_offers_shown")
        turn = turn_of(tracker)
        pending = None if is_payload(turn.text) else engine.facts_to_keep(turn, specs.SEARCH)
        return [SlotSet(engine.PENDING, pending)] if pending else []
