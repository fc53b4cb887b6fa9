"""Slot names more than one package reads, and the renames of slots, forms and actions that a
stored conversation is migrated across when it loads (docs/decisions/slot-names.md).

Pure (no Rasa import): the tracker store, the policies, the channels, the worker and the actions
all import it.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

# a manager is talking to the client: the bot keeps silent (wewall.policies.ManagerChatPolicy),
# reminders are not sent (wewall.followups), the amoCRM channel relays (wewall.channels.amocrm)
MANAGER_ACTIVE = "manager_active"

# Issue #21: the calculation's slots shared their names with entities (`area_m2` the NLU read,
# `area_m2` the form held), the search's named a place for a distance, the viewing form was
# called «contact» while its intent is `book_viewing`.
RENAMED_SLOTS: Dict[str, str] = {
    **{old: f"calc_{old}" for old in (
        "area_m2", "price_per_m2", "estate_class", "metro_station", "distance_to_metro_m", "repairs",
        "nds_rate", "monthly_rent_rub", "sale_price_per_m2_ready", "readiness_quarter", "tranches",
    )},
    "search_metro": "search_max_walk",
    "search_metro_station": "search_stations",
    "search_criteria": "search_record",
    "contact_confirmed": "book_viewing_confirmed",
}
RENAMED_FORMS: Dict[str, str] = {"contact_form": "book_viewing_form"}
RENAMED_ACTIONS: Dict[str, str] = {
    **RENAMED_FORMS,
    "validate_contact_form": "validate_book_viewing_form",
    "action_contact_done": "action_book_viewing_done",
    "action_ask_contact_confirmed": "action_ask_book_viewing_confirmed",
    "utter_follow_up_contact_form": "utter_follow_up_book_viewing_form",
    **{f"action_ask_{old}": f"action_ask_{new}" for old, new in RENAMED_SLOTS.items()},
    **{f"utter_ask_{old}": f"utter_ask_{new}" for old, new in RENAMED_SLOTS.items()},
}

# slots whose values name slots, forms or actions
_SLOT_VALUED = ("requested_slot",)
_FORM_LISTS = ("paused_forms",)
_PLANS = ("next_actions",)  # {"after": action, "then": [actions]}
_DOUBTS = ("calc_doubt",)  # {"slot": slot, ...}
_RECORD = "search_record"  # wewall.dialogue.search.record: its stations were `search_metro_station`


def _action(name: Any) -> Any:
    return RENAMED_ACTIONS.get(name, name) if isinstance(name, str) else name


def _slot(name: Any) -> Any:
    return RENAMED_SLOTS.get(name, name) if isinstance(name, str) else name


def _value(slot: str, value: Any) -> Any:
    if slot in _SLOT_VALUED:
        return _slot(value)
    if slot in _FORM_LISTS and isinstance(value, list):
        return [_action(v) for v in value]
    if slot in _PLANS and isinstance(value, dict):
        plan = dict(value, after=_action(value.get("after")))
        if isinstance(value.get("then"), list):
            plan["then"] = [_action(v) for v in value["then"]]
        return plan
    if slot in _DOUBTS and isinstance(value, dict) and "slot" in value:
        return dict(value, slot=_slot(value["slot"]))
    if slot == _RECORD and isinstance(value, dict) and "search_metro_station" in value:
        record = {k: v for k, v in value.items() if k != "search_metro_station"}
        return {**record, "stations": value["search_metro_station"]}
    return value


def migrate_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """One stored event (Rasa's dict form) under today's names; the same dict when nothing changes."""
    kind = event.get("event")
    if kind == "slot":
        name = _slot(event.get("name"))
        value = _value(name, event.get("value"))
        if name != event.get("name") or value != event.get("value"):
            return dict(event, name=name, value=value)
    elif kind in ("action", "active_loop", "followup", "reminder"):
        name = _action(event.get("name"))
        if name != event.get("name"):
            return dict(event, name=name)
    elif kind == "bot":
        metadata = event.get("metadata")
        if isinstance(metadata, dict) and metadata.get("utter_action") in RENAMED_ACTIONS:
            return dict(event, metadata=dict(metadata, utter_action=_action(metadata["utter_action"])))
    return event


def migrate_events(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """A stored conversation under today's names: a form left half-way before a rename resumes."""
    return [migrate_event(e) for e in events]
