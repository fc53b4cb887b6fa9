import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.about import ActionAbout
from wewall import storage
from wewall.data import commands


def _tracker():
    return Tracker("u1", {}, {"intent": {"name": "about"}}, [], False, None, {}, "")


def test_about_reports_the_base_size():
    with storage.writing() as db:
        commands.load_demo(db, lambda m: None, estates=12)
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAbout().run(dispatcher, _tracker(), {}))
    assert dispatcher.messages[0]["response"] == "utter_about"
    base = dispatcher.messages[1]
    assert base["response"] == "utter_about_base" and base["estates"] == "12 предложений" and base["stations"].endswith(" станций")


def test_about_without_data_still_answers():
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAbout().run(dispatcher, _tracker(), {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_about"]
