"""«Оценка доходности»: thin adapters between the tracker and `wewall.dialogue.calculation`."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateCalculationForm  # noqa: F401 (the calculation's validate action)
from wewall import storage
from wewall.blocking import run_blocking
from wewall.calculator import render
from wewall.dialogue import calculation as calc
from wewall.dialogue import stations
from wewall.settings import get_settings

log = logging.getLogger(__name__)

REQUESTED_SLOT = "requested_slot"
AFTER_RESULT_BUTTONS = [
    {"title": "Показать аналоги", "payload": "/request_analogs"},
    {"title": "Связаться с менеджером", "payload": "/request_manager"},
    {"title": "Новый расчёт", "payload": "/request_calculation"},
]


def today() -> dt.date:
    return dt.date.today()


def _slots(tracker: Tracker) -> Dict[str, Any]:
    return {name: tracker.get_slot(name) for name in calc.ALL_SLOTS + [calc.DOUBT]}



def _context() -> calc.Context:
    return calc.Context(today(), stations.canonical, stations.suggest)


def _progress_events(slots: Dict[str, Any]) -> List[EventType]:
    return [
        SlotSet(REQUESTED_SLOT, calc.next_slot(slots)),
        SlotSet(calc.REMAINING, calc.remaining_phrase(slots)),
    ]


class ActionAskCalcConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_calc_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(
            text=calc.summary(_slots(tracker)),
            buttons=[
                {"title": "Да, считать", "payload": "/affirm"},
                {"title": "Назад", "payload": "/go_back"},
                {"title": "Отменить", "payload": "/cancel"},
            ],
        )
        return []


def _reset_events() -> List[EventType]:
    return [SlotSet(k, v) for k, v in calc.reset_events_slots().items()] + [SlotSet(REQUESTED_SLOT, None)]


def _calculate(inputs: dict):
    """The model with the coefficients of the store, and the median IRR of comparable offers:
    blocking, so it runs in the thread pool."""
    from wewall.calculator import calculate
    from wewall.calculator.market import comparable_irr_from_db

    db = storage.get_db()
    result = calculate(inputs, db=db)
    return result, comparable_irr_from_db(db, inputs), calc.analogs_subject(inputs, _station_position(db, inputs))


def _station_position(db, inputs: dict):
    station = storage.get_station(db, inputs["metro_station"]) if inputs.get("metro_station") else None
    if station and station.get("lat") is not None:
        return float(station["lat"]), float(station["lng"])
    return None


async def _compute(inputs: dict) -> dict:
    from wewall.calculator import summary_text

    result, market, analogs = await run_blocking(_calculate, inputs)
    settings = get_settings()
    folder = settings.files_dir
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"calc-{uuid.uuid4().hex}"
    await render.draw_files(result, folder / f"{stem}.png", folder / f"{stem}.xlsx", folder / f"{stem}.pdf", market)
    base = settings.public_base_url.rstrip("/")
    data = result.to_dict()
    return {
        "text": summary_text(result, market),
        "chart_url": f"{base}/{stem}.png",
        "xlsx_url": f"{base}/{stem}.xlsx",
        "pdf_url": f"{base}/{stem}.pdf",
        "record": {
            "inputs": data["inputs"],
            "rent_irr": data["rent_irr"],
            "sale_irr": data["sale_irr"],
            "verdict": data["verdict"],
            "rent_rate": data["rent_rate"],
            "price_ready": data["price_ready"],
            "totals": data["totals"],
            "market": market,
            "analogs_subject": analogs,
            "chart_url": f"{base}/{stem}.png",
            "xlsx_url": f"{base}/{stem}.xlsx",
            "pdf_url": f"{base}/{stem}.pdf",
            "at": dt.datetime.now(dt.timezone.utc).isoformat(),
        },
    }


class ActionCalculate(Action):
    def name(self) -> Text:
        return "action_calculate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        from wewall.calculator import CalculationError, ManagerRequired

        slots = _slots(tracker)
        if slots.get(calc.KIND) is None:
            return []
        inputs = calc.to_inputs(slots, today())
        try:
            done = await _compute(inputs)
        except ManagerRequired:
            # The answers stay: the VAT question comes back once as «to a manager, or without
            # VAT for reference?» (action_ask_calc_nds_rate), and the manager sees them in calc_result.
            return [SlotSet("calc_result", calc.vat_manager_record(inputs)), *[
                SlotSet(k, v) for k, v in calc.vat_manager_slots().items()], FollowupAction("calculation_form")]
        except CalculationError as exc:
            dispatcher.utter_message(text=f"Не получилось посчитать: {exc}", buttons=AFTER_RESULT_BUTTONS[1:])
            return _reset_events()
        except Exception:
            log.exception("calculation failed for %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_calc_failed")
            return _reset_events()
        dispatcher.utter_message(text=done["text"])
        dispatcher.utter_message(image=done["chart_url"])
        if tracker.get_latest_input_channel() == "telegram":
            # Telegram gets the spreadsheet and the report as files (sendDocument) rather than links.
            dispatcher.utter_message(json_message={"document": done["xlsx_url"]})
            dispatcher.utter_message(json_message={"document": done["pdf_url"]})
            dispatcher.utter_message(
                text="Полная модель по кварталам — в файле Excel, отчёт на одну страницу — в PDF выше.",
                buttons=AFTER_RESULT_BUTTONS,
            )
        else:
            dispatcher.utter_message(
                text=f"Полная модель по кварталам (Excel): {done['xlsx_url']}\nОтчёт на одну страницу (PDF): {done['pdf_url']}",
                buttons=AFTER_RESULT_BUTTONS,
            )
        count = int(tracker.get_slot("calculations_count") or 0) + 1
        return _reset_events() + [SlotSet("calc_result", done["record"]), SlotSet("calculations_count", count)]


def _shown_offer_id(tracker: Tracker):
    ids = tracker.get_slot("search_ids") or []
    index = tracker.get_slot("search_index")
    if not ids or index is None:
        return None
    try:
        return ids[int(index)]
    except (IndexError, TypeError, ValueError):
        return None


def _fetch_offer(offer_id):
    docs = storage.get_estates_by_ids(storage.get_db(), [offer_id])
    return docs[0] if docs else None


class ActionCalcFromOffer(Action):
    """«Посчитать доходность» on a shown offer, or «а какая у него доходность?»: the form starts
    with what the offer already says and asks only the rest."""

    def name(self) -> Text:
        return "action_calc_from_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        offer_id = _shown_offer_id(tracker)
        from_button = any(e.get("entity") == calc.KIND and e.get("value") == calc.FROM_OFFER
                          for e in message.get("entities") or [])
        about_offer = from_button or (intent == "request_calculation" and calc.refers_to_offer(message.get("text") or ""))
        offer = await run_blocking(_fetch_offer, offer_id) if offer_id is not None and about_offer else None
        events: List[EventType] = [SlotSet(k, v) for k, v in calc.reset_events_slots().items()]
        if offer is None:
            if about_offer:
                dispatcher.utter_message(text="Не вижу показанного предложения — посчитаем по вашим данным.")
            return events + [FollowupAction("calculation_form")]
        slots = calc.prefill_from_offer(offer, today())
        if not slots:
            return events + [FollowupAction("calculation_form")]
        dispatcher.utter_message(text=calc.prefill_note(offer, slots))
        return events + [SlotSet(k, v) for k, v in slots.items()] + [FollowupAction("calculation_form")]


class ActionAskTranches(Action):
    """The payment question with an example of future quarters, counted from today."""

    def name(self) -> Text:
        return f"action_ask_{calc.TRANCHES}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        remaining = tracker.get_slot(calc.REMAINING) or ""
        dispatcher.utter_message(text=calc.tranches_question(today(), remaining), buttons=calc.TRANCHES_BUTTONS)
        return []


class ActionAskNdsRate(Action):
    """The VAT question; after an answer of 20 %, once, the hand-over choice instead."""

    def name(self) -> Text:
        return f"action_ask_{calc.VAT}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if calc.vat_manager_pending(tracker.get_slot(calc.DOUBT)):
            dispatcher.utter_message(response="utter_calc_vat_manager")
        else:
            dispatcher.utter_message(response=f"utter_ask_{calc.VAT}")
        return []


class _AskSum(Action):
    """A sum's question; silent while «за всё помещение или за м²?» waits for its button (the
    answer's check has just asked it), so the client gets one question, not two."""

    slot = ""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        doubt = tracker.get_slot(calc.DOUBT)
        if not (isinstance(doubt, dict) and doubt.get("ask") == "basis" and doubt.get("slot") == self.slot):
            dispatcher.utter_message(response=f"utter_ask_{self.slot}")
        return []


class ActionAskPricePerM2(_AskSum):
    slot = calc.PRICE


class ActionAskMonthlyRentRub(_AskSum):
    slot = calc.RENT


class ActionAskSalePricePerM2Ready(_AskSum):
    slot = calc.READY_PRICE
