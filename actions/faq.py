"""`action_faq`: the answer to a question the NLU took for the FAQ, and the answer to a question
about market prices wherever it is asked (`wewall.dialogue.market`)."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import faq_response, say, turn_of
from wewall.blocking import run_blocking
from wewall.dialogue import forms as engine
from wewall.dialogue import market, specs
from wewall.dialogue.calculation import Turn

log = logging.getLogger(__name__)


def _prices(deal: Optional[str], estate_type: Optional[str], estate_class: Optional[str], stations: List[str],
            offer_search: bool) -> str:
    from wewall.search.engine import get_engine
    from wewall.search.market import station_price, zone_prices

    index = get_engine().index
    return market.answer(lambda d, t, c: zone_prices(index, d, t, c), deal, estate_type, estate_class, stations,
                         lambda d, t, c, s: station_price(index, d, t, c, s), offer_search)


async def market_message(turn: Turn, offer_search: bool = True) -> Optional[engine.Message]:
    """The base's prices for a question about them, or None (not such a question, or no base).
    `offer_search`: with the offer to search and its buttons (not when a form is opening)."""
    if not market.asks_prices(turn.text or ""):
        return None

    def last(entity: str) -> Optional[str]:
        values = [str(v) for v in turn.values(entity)]
        return values[-1] if values else None

    try:
        stations = list(dict.fromkeys(str(v) for v in turn.values("metro_station")))
        text = await run_blocking(_prices, last("deal"), last("estate_type"), last("estate_class"), stations,
                                  offer_search)
    except Exception:  # the FAQ's own answer, or the clarification, still goes out
        log.exception("market prices failed")
        return None
    return engine.Message(text=text, buttons=list(market.BUTTONS) if offer_search else [])


async def answer_prices(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[EventType]]:
    """Answer a question about prices and keep its facts for the search it offers; None if the
    message is no such question."""
    turn = turn_of(tracker)
    message = await market_message(turn)
    if message is None:
        return None
    say(dispatcher, [message])
    pending = engine.facts_to_keep(turn, specs.SEARCH)
    return [SlotSet(engine.PENDING, pending)] if pending else []


class ActionFaq(Action):
    def name(self) -> Text:
        return "action_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        events = await answer_prices(dispatcher, tracker)
        if events is not None:
            return events
        dispatcher.utter_message(response=faq_response(tracker) or "utter_faq_topics")
        return []
