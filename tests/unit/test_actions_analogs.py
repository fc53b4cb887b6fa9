import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.search import ActionShowAnalogs
from wewall import storage
from wewall.data import commands
from wewall.search import reset_engines


def run(slots):
    t = Tracker("u1", slots, {"intent": {"name": "request_analogs"}}, [], False, None, {}, "action_listen")
    d = CollectingDispatcher()
    asyncio.run(ActionShowAnalogs().run(d, t, {}))
    return d.messages


def test_without_a_calculation_it_offers_one():
    assert run({"calc_result": None})[0]["response"] == "utter_no_calculation_for_analogs"


def test_analogs_compare_with_the_median_and_list_offers():
    with storage.writing() as db:
        commands.load_demo(db, lambda m: None, estates=300)
        offer = db[storage.ESTATES].find_one({"deal": "sale", "type": "office", "estate_class": "A", "price_per_m2": {"$gt": 0}})
    reset_engines()
    # The client's unit is like a real demo offer: it has at least that one analog.
    record = {"inputs": {"kind": "finished_office", "area_m2": offer["area_m2"], "price_per_m2": 400000,
                         "estate_class": "A", "metro_station": offer["metro"][0]["station"]}}
    text = run({"calc_result": record})[0]["text"]
    assert "медиан" in text
    assert text.count("\n• ") >= 1 and "₽/м²" in text
