"""The action-response validation that replaces Rasa's: same verdicts, same errors."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import wewall.policies  # noqa: F401 - installs the patches, as the Rasa server does
from wewall import rasa_patches

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "area_m2", "value": 700}], "responses": [{"text": "Готово"}]},
    {"events": [{"event": "followup", "name": "action_listen"}]},
    {},
]
BAD = [
    {"events": "not a list"},
    {"events": [{"name": "no event type"}]},
    {"events": [{"event": "slot", "name": 5}], "responses": "x"},
    {"responses": [{"text": 1}], "events": [{"event": 3}]},
]


def test_the_patch_is_installed_by_loading_our_policy():
    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result


@pytest.mark.parametrize("response", GOOD)
def test_valid_responses_pass(response):
    jsonschema.validate(response, RemoteAction.action_response_format_spec())  # Rasa's own verdict
    assert RemoteAction("a", None)._validate_action_result(response) is True


@pytest.mark.parametrize("response", BAD)
def test_invalid_responses_fail_with_rasas_error(response):
    with pytest.raises(jsonschema.ValidationError) as theirs:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        RemoteAction("a", None)._validate_action_result(response)
    assert ours.value.message.startswith(theirs.value.message)
    assert "Failed to validate Action server response" in ours.value.message
    assert list(ours.value.path) == list(theirs.value.path)


# ---------------------------------------------------------------- the Redis lock store


def _redis_or_skip():
    from tests.e2e.harness import reachable

    if not reachable("127.0.0.1", 6379):
        pytest.skip("no Redis on 127.0.0.1:6379")


def test_the_redis_lock_lets_one_process_at_a_time_into_a_conversation():
    """Several lock stores (as in several Rasa processes) on one conversation: every
    critical section runs alone and no update is lost."""
    import asyncio
    import threading
    import uuid

    import redis
    from rasa.core.lock_store import RedisLockStore

    _redis_or_skip()
    prefix = "t" + uuid.uuid4().hex[:8]
    conversation, workers, rounds = "c1", 6, 15
    red = redis.StrictRedis(host="127.0.0.1", port=6379, db=3)
    counter, inside = f"{prefix}:counter", f"{prefix}:inside"
    overlaps = []

    def worker():
        store = RedisLockStore(host="127.0.0.1", port=6379, db=3, key_prefix=prefix)

        async def run():
            for _ in range(rounds):
                async with store.lock(conversation, wait_time_in_seconds=0.001):
                    if red.incr(inside) != 1:
                        overlaps.append(1)
                    value = int(red.get(counter) or 0)
                    await asyncio.sleep(0.002)  # read-change-write: loses updates without the lock
                    red.set(counter, value + 1)
                    red.decr(inside)

        asyncio.run(run())

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not overlaps
        assert int(red.get(counter)) == workers * rounds
        assert RedisLockStore(host="127.0.0.1", port=6379, db=3, key_prefix=prefix).get_lock(conversation) is None
    finally:
        red.delete(counter, inside)


def test_a_waiting_message_is_let_in_soon_after_the_first_leaves():
    import asyncio
    import time

    from rasa.core.lock_store import InMemoryLockStore

    store = InMemoryLockStore()
    waited = []

    async def first():
        async with store.lock("c"):
            await asyncio.sleep(0.2)

    async def second():
        await asyncio.sleep(0.05)
        started = time.monotonic()
        async with store.lock("c"):
            waited.append(time.monotonic() - started)

    async def both():
        await asyncio.gather(first(), second())

    asyncio.run(both())
    assert waited[0] < 0.5  # Rasa's own default polls once a second: ≥ 1 s here


# ---------------------------------------------------------------- slots in responses

SLOTS = {"calc_remaining": "(осталось 3 вопроса)", "area_m2": 700.0, "name": None}


@pytest.mark.parametrize("text", [
    "Какой НДС вы платите? {calc_remaining}",
    "Площадь {area_m2} м², {name}",
    "без подстановок",
    "{{calc_remaining}} в двойных скобках",
    "{calc_remaining} и {неизвестно}",
    "",
])
def test_strings_with_slots_are_filled_as_rasa_fills_them(text):
    from rasa.core.nlg.interpolator import interpolate_text

    assert interpolate_text is rasa_patches.interpolate_text
    assert interpolate_text(text, SLOTS) == rasa_patches._rasa_interpolate_text(text, SLOTS)


def test_a_button_payload_with_entities_is_kept_without_an_error_in_the_log(caplog, capsys):
    from rasa.core.nlg.interpolator import interpolate

    buttons = [{"title": "7 %", "payload": '/inform{"percent":7}'},
               {"title": "Класс A", "payload": '/inform{"estate_class":"A"}'}]
    assert interpolate(buttons, SLOTS) == buttons
    logged = caplog.text + "".join(capsys.readouterr())
    assert "interpolator" not in logged and "KeyError" not in logged


# ---------------------------------------------------------------- 5. event types

def _event_classes():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    return all_subclasses(Event)


@pytest.mark.parametrize("cls", _event_classes(), ids=lambda c: c.__name__)
def test_every_event_type_resolves_to_the_class_rasa_finds(cls):
    from rasa.shared.core.events import Event

    assert Event.resolve_by_type is rasa_patches.resolve_event_type
    for _ in range(2):  # first found, then remembered
        assert Event.resolve_by_type(cls.type_name) is rasa_patches._rasa_resolve_by_type(cls.type_name)


def test_unknown_event_types_get_rasas_answers():
    from rasa.shared.core.events import Event, SlotSet

    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet


def test_an_event_class_defined_later_is_found():
    from rasa.shared.core.events import Event, SlotSet

    with pytest.raises(ValueError):
        Event.resolve_by_type("wewall_test_marker")
    Event.resolve_by_type("slot")  # something is remembered before the new class exists

    class Marker(SlotSet):
        type_name = "wewall_test_marker"

    assert Event.resolve_by_type("wewall_test_marker") is Marker
    assert Event.resolve_by_type("slot") is rasa_patches._rasa_resolve_by_type("slot")


def test_a_class_defined_later_that_rasa_would_pick_first_replaces_the_remembered_one():
    # Rasa's walk lists Event's direct subclasses before their subclasses, so a new direct
    # subclass wins over an older grandchild of the same type name: the memory must forget.
    import gc

    from rasa.shared.core.events import Event, SlotSet

    class Grandchild(SlotSet):
        type_name = "wewall_test_shadow"

    assert Event.resolve_by_type("wewall_test_shadow") is Grandchild

    class Direct(Event):
        type_name = "wewall_test_shadow"

        def __eq__(self, other):
            return isinstance(other, Direct)

        def __hash__(self):
            return 1

        def as_story_string(self):
            return None

    try:
        assert rasa_patches._rasa_resolve_by_type("wewall_test_shadow") is Direct
        assert Event.resolve_by_type("wewall_test_shadow") is Direct
    finally:
        del Grandchild, Direct
        gc.collect()
        rasa_patches._event_types.clear()


def test_a_stored_conversation_reads_back_the_same():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load("domain.yml")
    events = [SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("офис 700 м2", {"name": "inform", "confidence": 0.9}, [{"entity": "area_m2", "value": 700}]),
              ActionExecuted("calculation_form"), ActiveLoop("calculation_form"), SlotSet("area_m2", 700),
              BotUttered("Сколько стоит метр?"), ActionExecuted("action_listen")]
    dumped = [e.as_dict() for e in events]
    tracker = DialogueStateTracker.from_dict("c1", dumped, domain.slots)
    assert [e.as_dict() for e in tracker.events] == dumped
    assert tracker.get_slot("area_m2") == 700 and tracker.active_loop_name == "calculation_form"


# ---------------------------------------------------------------- 6. slot copies

def test_slot_copies_are_new_objects_with_the_same_state():
    import copy

    from rasa.shared.core.domain import Domain

    slots = Domain.load("domain.yml").slots
    assert slots
    for slot in slots:
        slot.value = slot.initial_value
        twin = copy.copy(slot)
        assert twin is not slot and type(twin) is type(slot) and vars(twin) == vars(slot)
        twin.value = "changed"
        assert slot.value == slot.initial_value  # the copy's value is its own


def test_a_slot_class_with_its_own_pickling_is_copied_its_way():
    import copy

    from rasa.shared.core.slots import TextSlot

    class Pickled(TextSlot):
        def __reduce_ex__(self, protocol):
            return (Pickled, (self.name, []), {"_value": "restored"})

    twin = copy.copy(Pickled("name", []))
    assert type(twin) is Pickled and twin.value == "restored"
