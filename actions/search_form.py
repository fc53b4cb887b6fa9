"""«Подбор недвижимости» and the viewing contacts: thin adapters between the tracker and
`wewall.dialogue.search` / `wewall.dialogue.contacts`; the search runs in `wewall.search`."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import NEXT_ACTIONS, ActionNoOffers, ValidateBookViewingForm, ValidateSearchForm, turn_of  # noqa: F401 (the form actions)
from wewall import storage
from wewall.blocking import run_blocking
from wewall.dialogue import buttons
from wewall.dialogue import contacts as ct
from wewall.dialogue import forms as engine
from wewall.dialogue import search as sd

log = logging.getLogger(__name__)

REQUESTED_SLOT = "requested_slot"
IDS = "search_ids"  # up to 8 offer ids, best first
INDEX = "search_index"  # the offer shown now
STAGE = "search_stage"  # offers | empty | None (featurized: the offer buttons' rules depend on it)
RELAXATION = "search_relaxation"  # the relaxation offered when nothing matched
RECORD = "search_record"  # the last search with its result count (for the manager)
COUNTER = "searches_count"  # engagement counter read by the amoCRM outbox
CHOSEN = "chosen_offer"  # the offer of the viewing request, with its link (manager only)
PAGE_SLOT = "search_page"  # the page shown: distances to named stations, folded lots, how many shown
PAUSED = "paused_forms"  # wewall.dialogue.forms.PAUSED

OFFER_BUTTONS = [
    {"title": "Записаться на просмотр", "payload": "/book_viewing"},
    {"title": "Следующее предложение", "payload": "/next_offer"},
    {"title": "Изменить параметры", "payload": "/change_params"},
    {"title": "Посчитать доходность", "payload": '/request_calculation{"calc_kind":"from_offer"}'},  # calc issue 17
]
END_BUTTONS = [
    {"title": "Записаться на просмотр", "payload": "/book_viewing"},
    {"title": "Изменить параметры", "payload": "/change_params"},
    {"title": "Связаться с менеджером", "payload": "/request_manager"},
    {"title": "Главное меню", "payload": "/help"},
]


_turn = turn_of  # the turn as the NLU read it (one reader for every action)


def _slots(tracker: Tracker) -> Dict[str, Any]:
    return {name: tracker.get_slot(name) for name in sd.ALL_SLOTS + sd.EXTRA_SLOTS}


def _contact_slots(tracker: Tracker) -> Dict[str, Any]:
    return {name: tracker.get_slot(name) for name in ct.ALL_SLOTS}


class ActionAskSearchBudget(Action):
    def name(self) -> Text:
        return "action_ask_search_budget"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if tracker.get_slot(sd.DEAL) == "rent":
            dispatcher.utter_message(text="Какой бюджет аренды в месяц, ₽? Например: «500 тысяч».")
        else:
            dispatcher.utter_message(text="Какой бюджет покупки, ₽? Например: «120 млн».")
        return []


class ActionAskSearchConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_search_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(
            text=sd.summary(_slots(tracker)),
            buttons=[
                {"title": "Да, искать", "payload": "/affirm"},
                {"title": "Назад", "payload": "/go_back"},
                {"title": "Отменить", "payload": "/cancel"},
            ],
        )
        return []


class ActionSearchReset(Action):
    """A new search: forget the previous criteria and results (the counter and record stay),
    unless the client left this search half-way: then the form offers those answers back."""

    def name(self) -> Text:
        return "action_search_reset"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        # The facts of «офис в аренду у Белорусской до 500 тысяч» are read by the form as it opens.
        if tracker.get_slot(STAGE) == "offers" and engine.is_viewing_request(turn_of(tracker).text):
            # «хочу посмотреть этот офис завтра в 11, я Петр 8999…» taken for a new search: it is the
            # viewing of the offer shown; a new search would drop the offers and the name and phone
            return [SlotSet(NEXT_ACTIONS, {"after": self.name(), "then": ["action_viewing_start", "book_viewing_form"]})]
        if "search_form" in (tracker.get_slot(PAUSED) or []):
            return [SlotSet(REQUESTED_SLOT, None)]
        return _reset_events()


def _reset_events() -> List[EventType]:
    return [SlotSet(k, v) for k, v in sd.reset_slots().items()] + [
        SlotSet(IDS, None), SlotSet(INDEX, None), SlotSet(STAGE, None), SlotSet(RELAXATION, None),
        SlotSet(REQUESTED_SLOT, None),
    ]


# ---------------------------------------------------------------- search and offers


PAGE = 8  # offers per page; «Показать ещё» brings the next page while more match


def _search(criteria_dict: dict, offset: int = 0) -> dict:
    """Blocking: the engine's search; the documents come with the result."""
    from wewall.search import Criteria, get_engine

    result = get_engine(storage.get_db()).search(Criteria.from_dict(criteria_dict), limit=PAGE, group=True, offset=offset)
    relax = result.relaxations[0] if result.relaxations else None
    ids = [str(i) for i in result.ids]
    return {
        "total": result.total,
        "ids": ids,
        "first": result.offers[0] if result.offers else None,
        "advice": result.advice,
        "relaxation": {"text": relax.text, "criteria": relax.criteria.to_dict()} if relax and relax.count > 0 else None,
        # per shown offer: [named station, metres] and near-identical lots folded into it
        "near": {str(k): list(v) for k, v in result.near.items()},
        "similar": {str(k): v for k, v in result.similar.items()},
        "shown": offset + len(ids),
        "folded": sum(result.similar.values()),
    }


def _fetch(offer_id: str) -> Optional[dict]:
    docs = storage.get_estates_by_ids(storage.get_db(), [offer_id])
    return docs[0] if docs else None


def _show(dispatcher: CollectingDispatcher, offer: dict, position: int, total: int, investor: bool,
          slots: Optional[Dict[str, Any]] = None, extra: Optional[dict] = None) -> None:
    for url in sd.photos(offer):
        dispatcher.utter_message(image=url)
    extra = extra or {}
    oid = str(offer.get("_id"))
    near = (extra.get("near") or {}).get(oid)
    budget, per_m2 = sd.budgets(slots or {})
    text = sd.card(offer, position, total, investor, budget=budget, near=tuple(near) if near else None,
                   similar=int((extra.get("similar") or {}).get(oid) or 0), budget_per_m2=per_m2)
    dispatcher.utter_message(text=text, buttons=OFFER_BUTTONS)


async def _run_search(dispatcher: CollectingDispatcher, tracker: Tracker, slots: Dict[str, Any]) -> List[EventType]:
    criteria = sd.to_criteria(slots)
    try:
        found = await run_blocking(_search, criteria.to_dict())
    except Exception:
        log.exception("search failed for %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_search_failed")
        return [SlotSet(STAGE, None)]
    count = int(tracker.get_slot(COUNTER) or 0) + 1
    events: List[EventType] = [
        SlotSet(RECORD, sd.record(slots, found["total"])),
        SlotSet(PAGE_SLOT, {k: found[k] for k in ("near", "similar", "shown", "folded")}),
        SlotSet(COUNTER, count),
        SlotSet(IDS, found["ids"]), SlotSet(INDEX, 0 if found["ids"] else None), SlotSet(RELAXATION, None),
    ]
    if not found["ids"]:
        relax = found["relaxation"]
        text = "К сожалению, по этим параметрам подходящих предложений нет."
        if found["advice"]:
            text += " " + found["advice"]
        buttons = [{"title": "Изменить параметры", "payload": "/change_params"},
                   {"title": "Связаться с менеджером", "payload": "/request_manager"}]
        if relax:
            text += " Расширить поиск так?"
            buttons.insert(0, {"title": "Да, расширить", "payload": "/affirm"})
        dispatcher.utter_message(text=text, buttons=buttons)
        return events + [SlotSet(STAGE, "empty"), SlotSet(RELAXATION, relax)]
    n = len(found["ids"])
    if found["total"] == 1:
        intro = "Нашёл 1 вариант."
    elif found["total"] > n:
        intro = f"Нашёл {sd.found_phrase(found['total'])}, покажу {n} лучших по одному."
    else:
        intro = f"Нашёл {sd.found_phrase(found['total'])}, показываю по одному."
    dispatcher.utter_message(text=intro)
    _show(dispatcher, found["first"] or {}, 1, n, criteria.investor, slots, found)
    return events + [SlotSet(STAGE, "offers")]


class ActionSearchRun(Action):
    def name(self) -> Text:
        return "action_search_run"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        slots = _slots(tracker)
        if slots.get(sd.DEAL) is None:
            return []
        return await _run_search(dispatcher, tracker, slots)


class ActionSearchRelax(Action):
    """«Да, расширить»: apply the relaxation the engine advised and search again."""

    def name(self) -> Text:
        return "action_search_relax"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        relax = tracker.get_slot(RELAXATION)
        slots = _slots(tracker)
        if not isinstance(relax, dict) or not relax.get("criteria"):
            dispatcher.utter_message(text="Давайте изменим параметры поиска.", buttons=_param_buttons(slots))
            return []
        changes = sd.relaxed_slots(slots, relax["criteria"])
        merged = {**slots, **changes}
        return [SlotSet(k, v) for k, v in changes.items()] + await _run_search(dispatcher, tracker, merged)


class ActionSearchNext(Action):
    def name(self) -> Text:
        return "action_search_next"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        ids = tracker.get_slot(IDS) or []
        index = int(tracker.get_slot(INDEX) or 0) + 1
        if not ids:
            dispatcher.utter_message(response="utter_no_offers_shown")
            return []
        record = tracker.get_slot(RECORD) or {}
        page = tracker.get_slot(PAGE_SLOT) or {}
        slots = _slots(tracker)
        if index >= len(ids):
            shown = int(page.get("shown") or len(ids))
            remaining = int(record.get("found") or 0) - shown - int(page.get("folded") or 0)
            if remaining > 0:
                # «Показать ещё»: the next page of the same search, not «the last offer».
                found = await run_blocking(_search, sd.to_criteria(slots).to_dict(), shown)
                if found["ids"]:
                    dispatcher.utter_message(text=f"Показываю ещё {sd.found_phrase(len(found['ids']))}.")
                    new_page = {k: found[k] for k in ("near", "similar", "shown", "folded")}
                    new_page["folded"] = int(page.get("folded") or 0) + found["folded"]
                    investor = slots.get(sd.PURPOSE) == "investment" and slots.get(sd.DEAL) == "sale"
                    _show(dispatcher, found["first"] or {}, 1, len(found["ids"]), investor, slots, found)
                    return [SlotSet(IDS, found["ids"]), SlotSet(INDEX, 0), SlotSet(PAGE_SLOT, new_page)]
            dispatcher.utter_message(
                text="Это было последнее подходящее предложение. Можно записаться на просмотр, изменить параметры "
                     "поиска или передать запрос менеджеру — он подберёт варианты вне базы.",
                buttons=END_BUTTONS,
            )
            return []
        offer = await run_blocking(_fetch, ids[index])
        if offer is None:
            dispatcher.utter_message(text="Это предложение уже снято с публикации.", buttons=OFFER_BUTTONS)
            return [SlotSet(INDEX, index)]
        investor = (tracker.get_slot(sd.PURPOSE) == "investment" and tracker.get_slot(sd.DEAL) == "sale")
        _show(dispatcher, offer, index + 1, len(ids), investor, slots, page)
        return [SlotSet(INDEX, index)]


class ActionSearchRefine(Action):
    """A value named while offers are shown or nothing matched («а у Профсоюзной?»): change only
    what it names and search again (`sd.refine`)."""

    def name(self) -> Text:
        return "action_search_refine"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        slots = _slots(tracker)
        outcome = sd.refine(_turn(tracker), slots)
        typed = typed_param(_turn(tracker).text, slots) if not outcome.understood else None
        if typed is not None and slots.get(sd.DEAL) is not None:
            # «Бюджет», «До метро» typed after «Какой параметр изменить?»: the tap of that button
            return change_param(dispatcher, typed, slots, then=[self.name()])
        if not outcome.understood or slots.get(sd.DEAL) is None:
            text = outcome.messages[0] if outcome.messages else "Что изменить в поиске?"
            dispatcher.utter_message(text=text, buttons=_param_buttons(slots))
            return []
        for text in outcome.messages:
            dispatcher.utter_message(text=text)
        merged = {**slots, **outcome.slots}
        return [SlotSet(k, v) for k, v in outcome.slots.items()] + await _run_search(dispatcher, tracker, merged)


def _param_buttons(slots: Dict[str, Any]) -> List[dict]:
    return [{"title": title, "payload": f'/change_params{{"search_param":"{slot}"}}'} for slot, title in sd.changeable(slots)]


class ActionSearchChange(Action):
    """«Изменить параметры»: without a parameter, ask which (buttons); with one, empty it so the
    form asks it again (the rule then opens `search_form`; the confirmation is kept, so the search
    runs as soon as the new answer is in)."""

    def name(self) -> Text:
        return "action_search_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        slots = _slots(tracker)
        param = sd.param_from(_turn(tracker), slots)
        has_entity = any(e.get("entity") == "search_param" for e in (tracker.latest_message or {}).get("entities") or [])
        if param is None or not has_entity:
            dispatcher.utter_message(text="Какой параметр изменить?", buttons=_param_buttons(slots))
            return []
        return change_param(dispatcher, param, slots)


def typed_param(text: str, slots: Dict[str, Any]) -> Optional[str]:
    """The parameter whose button title the client typed («бюджет», «до метро»): the parameter buttons are built
    at run time, so the NLU's map of typed titles (`wewall.dialogue.buttons`) does not know them."""
    payload = buttons.match(text, buttons.title_map((b["title"], b["payload"], "") for b in _param_buttons(slots)))
    parsed = buttons.parse_payload(payload) if payload else None
    values = [e.get("value") for e in (parsed[1] if parsed else []) if e.get("entity") == "search_param"]
    return str(values[0]) if values else None


def change_param(dispatcher: CollectingDispatcher, param: str, slots: Dict[str, Any],
                 then: Optional[List[str]] = None) -> List[EventType]:
    """Empty the parameter so that the form asks it again and searches (the rule, or `then`: the action that
    read a typed title opens the form itself); the walk from a named station is asked in words."""
    hint = sd.metro_by_text(param, slots)
    if hint:
        dispatcher.utter_message(text=hint)
        return []
    events: List[EventType] = [SlotSet(param, None), SlotSet(sd.CONFIRMED, True), SlotSet(STAGE, None),
                               SlotSet(REQUESTED_SLOT, param)]
    if then:
        events.append(SlotSet(NEXT_ACTIONS, {"after": then[0], "then": ["search_form"]}))
    return events


# ---------------------------------------------------------------- viewing: contacts


class ActionViewingStart(Action):
    def name(self) -> Text:
        return "action_viewing_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        ids = tracker.get_slot(IDS) or []
        index = int(tracker.get_slot(INDEX) or 0)
        offer = await run_blocking(_fetch, ids[index]) if index < len(ids) else None
        events: List[EventType] = [SlotSet(ct.TIME, None), SlotSet(ct.CONFIRMED, None), SlotSet(REQUESTED_SLOT, None)]
        if offer is None:
            return events
        chosen = sd.chosen(offer)
        dispatcher.utter_message(text=f"Запишу вас на просмотр: {ct.offer_title(chosen) or 'выбранный объект'}.")
        return events + [SlotSet(CHOSEN, chosen)]


class ActionAskBookViewingConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_book_viewing_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(
            text=ct.summary(_contact_slots(tracker), tracker.get_slot(CHOSEN)),
            buttons=[{"title": "Отправить", "payload": "/affirm"}, {"title": "Отменить", "payload": "/cancel"}],
        )
        return []


class ActionBookViewingDone(Action):
    """After the hand-over: the next viewing asks only the time (name and phone are kept)."""

    def name(self) -> Text:
        return "action_book_viewing_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return [SlotSet(ct.TIME, None), SlotSet(ct.CONFIRMED, None)]
