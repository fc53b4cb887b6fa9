"""«Оценка доходности»: thin adapters between the tracker and `wewall.dialogue.calculation`."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateCalculationForm  # noqa: F401 (the calculation's validate action)
from wewall import storage
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


def _turn(tracker: Tracker) -> calc.Turn:
    message = tracker.latest_message or {}
    return calc.Turn(
        intent=(message.get("intent") or {}).get("name"),
        entities=list(message.get("entities") or []),
        text=message.get("text") or "",
    )


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
    """The model with the coefficients of the store: blocking, so it runs in the thread pool."""
    from wewall.calculator import calculate

    return calculate(inputs, db=storage.get_db())


async def _compute(inputs: dict) -> dict:
    from wewall.calculator import summary_text

    result = await storage.run_blocking(_calculate, inputs)
    settings = get_settings()
    folder = settings.files_dir
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"calc-{uuid.uuid4().hex}"
    await render.draw_files(result, folder / f"{stem}.png", folder / f"{stem}.xlsx")
    base = settings.public_base_url.rstrip("/")
    data = result.to_dict()
    return {
        "text": summary_text(result),
        "chart_url": f"{base}/{stem}.png",
        "xlsx_url": f"{base}/{stem}.xlsx",
        "record": {
            "inputs": data["inputs"],
            "rent_irr": data["rent_irr"],
            "sale_irr": data["sale_irr"],
            "verdict": data["verdict"],
            "rent_rate": data["rent_rate"],
            "price_ready": data["price_ready"],
            "totals": data["totals"],
            "chart_url": f"{base}/{stem}.png",
            "xlsx_url": f"{base}/{stem}.xlsx",
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
            dispatcher.utter_message(response="utter_calc_vat_manager")
            events = _reset_events()
            if "action_handover" in domain.get("actions", []):
                events.append(FollowupAction("action_handover"))
            return events
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
            # Telegram gets the spreadsheet as a file (sendDocument) rather than a link.
            dispatcher.utter_message(json_message={"document": done["xlsx_url"]})
            dispatcher.utter_message(text="Полная модель по кварталам — в файле Excel выше.", buttons=AFTER_RESULT_BUTTONS)
        else:
            dispatcher.utter_message(
                text=f"Полная модель по кварталам (Excel): {done['xlsx_url']}", buttons=AFTER_RESULT_BUTTONS
            )
        count = int(tracker.get_slot("calculations_count") or 0) + 1
        return _reset_events() + [SlotSet("calc_result", done["record"]), SlotSet("calculations_count", count)]
