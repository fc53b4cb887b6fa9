"""Stored conversations across the renames of issue #21 (wewall/slots.py): a tracker stored under
the old names loads under today's, on SQLite and on PostgreSQL, and its half-filled form goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

from tests.renamed_conversation import AREA, half_filled_calculation
from tests.unit.test_crm_outbox import pg_url, sql_url  # noqa: F401 (fixtures)
from wewall import slots as names
from wewall.dialogue import calculation as calc
from wewall.tracker_store import WewallSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


def test_every_new_name_is_in_the_domain_and_no_old_one_is(domain):
    slots = {s.name for s in domain.slots}
    actions = set(domain.action_names_or_texts) | set(domain.form_names)
    for old, new in names.RENAMED_SLOTS.items():
        assert new in slots and old not in slots, (old, new)
    for old, new in names.RENAMED_ACTIONS.items():
        assert old not in actions, old
        if not old.startswith(("action_ask_", "utter_ask_")):  # a question has a response or an action
            assert new in actions, new


def test_every_question_of_every_form_can_be_asked(domain):
    # Rasa asks `requested_slot` with action_ask_<slot> or utter_ask_<slot>; with neither the form
    # falls silent (a rename that missed one did exactly that to the walking-distance question).
    actions = set(domain.action_names_or_texts)
    for form, spec in domain.forms.items():
        for slot in spec["required_slots"]:
            assert {f"action_ask_{slot}", f"utter_ask_{slot}"} & actions, (form, slot)


def test_events_under_old_names_read_as_todays():
    old = [
        {"event": "slot", "name": "area_m2", "value": 700},
        {"event": "slot", "name": "requested_slot", "value": "nds_rate"},
        {"event": "slot", "name": "paused_forms", "value": ["contact_form", "search_form"]},
        {"event": "slot", "name": "next_actions", "value": {"after": "contact_form", "then": ["action_contact_done"]}},
        {"event": "slot", "name": "calc_doubt", "value": {"slot": "price_per_m2", "raw": 350, "ask": "basis"}},
        {"event": "slot", "name": "search_criteria", "value": {"deal": "sale", "search_metro_station": "Сокол", "found": 3}},
        {"event": "slot", "name": "search_metro", "value": {"minutes": 10}},
        {"event": "active_loop", "name": "contact_form"},
        {"event": "action", "name": "validate_contact_form", "policy": "RulePolicy"},
        {"event": "bot", "text": "…", "metadata": {"utter_action": "utter_follow_up_contact_form"}},
        {"event": "user", "text": "700", "parse_data": {"entities": [{"entity": "area_m2", "value": 700}]}},
    ]
    new = names.migrate_events(old)
    assert new[0] == {"event": "slot", "name": "calc_area_m2", "value": 700}
    assert new[1]["value"] == "calc_nds_rate"
    assert new[2]["value"] == ["book_viewing_form", "search_form"]
    assert new[3]["value"] == {"after": "book_viewing_form", "then": ["action_book_viewing_done"]}
    assert new[4]["value"] == {"slot": "calc_price_per_m2", "raw": 350, "ask": "basis"}
    assert new[5] == {"event": "slot", "name": "search_record", "value": {"deal": "sale", "stations": "Сокол", "found": 3}}
    assert new[6]["name"] == "search_max_walk"
    assert new[7]["name"] == "book_viewing_form"
    assert new[8] == {"event": "action", "name": "validate_book_viewing_form", "policy": "RulePolicy"}
    assert new[9]["metadata"]["utter_action"] == "utter_follow_up_book_viewing_form"
    assert new[10] is old[10]  # an entity keeps its name: only slots were renamed
    assert names.migrate_events(new) == new  # today's names stay as they are


@pytest.mark.parametrize("sql_url", ["sqlite", "postgresql"], indirect=True)
def test_a_tracker_stored_before_the_renames_loads_mid_form(domain, sql_url):
    store = WewallSQLTrackerStore(domain=domain, host=sql_url)
    try:
        store._insert("tg:7", half_filled_calculation(paused=["contact_form"]))  # rows as the old bot wrote them
        tracker = asyncio.run(store.retrieve("tg:7"))
        assert tracker.active_loop_name == "calculation_form"
        assert tracker.get_slot("requested_slot") == calc.PRICE
        assert tracker.get_slot(calc.AREA) == AREA and tracker.get_slot(calc.KIND) == "finished_office"
        assert tracker.get_slot("paused_forms") == ["book_viewing_form"]
        # the form engine goes on from there: the next question, the area kept for the summary
        slots = {s: tracker.get_slot(s) for s in calc.ALL_SLOTS}
        assert calc.next_slot(slots) == calc.PRICE and calc.remaining_questions(slots) == 6
    finally:
        store.engine.dispose()


def test_a_change_button_shown_before_the_rename_still_names_its_question():
    from wewall.dialogue import search as sd

    old_button = calc.Turn("change_params", [{"entity": "search_param", "value": "search_metro"}],
                           '/change_params{"search_param":"search_metro"}')
    slots = {sd.TYPE: "office", sd.DEAL: "rent", sd.BUDGET: 5e5, sd.METRO: {"minutes": 10}}
    assert sd.param_from(old_button, slots) == sd.METRO == "search_max_walk"
