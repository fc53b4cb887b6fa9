"""The fixes of wewall/rasa_patches.py: the same verdicts, results and errors as Rasa's own code.

wewall/bootstrap.py installs them (tests/unit/test_bootstrap.py: when, and when not).
"""

import datetime

import jsonschema
import numpy as np
import pytest
import scipy.sparse
from rasa.core.actions.action import RemoteAction
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from wewall import bootstrap, rasa_patches


@pytest.fixture(autouse=True, scope="module")
def _installed():
    assert bootstrap.enabled(), "WEWALL_RASA_PATCHES=off: nothing to test here"
    bootstrap.install()

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "calc_area_m2", "value": 700}], "responses": [{"text": "Готово"}]},
    {"events": [{"event": "followup", "name": "action_listen"}]},
    {},
]
BAD = [
    {"events": "not a list"},
    {"events": [{"name": "no event type"}]},
    {"events": [{"event": "slot", "name": 5}], "responses": "x"},
    {"responses": [{"text": 1}], "events": [{"event": 3}]},
]


def test_the_patch_is_installed():
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


def _every_event() -> list:
    """One valid dict of every event type Rasa can read from an action server."""
    from rasa.shared.core import events as e

    samples = [
        e.UserUttered("семьсот квадратов", {"name": "inform", "confidence": 0.9},
                      [{"entity": "area_m2", "value": 700, "start": 0, "end": 17}],
                      parse_data={"intent": {"name": "inform", "confidence": 0.9}, "entities": [],
                                  "text": "семьсот квадратов", "intent_ranking": []}),
        e.BotUttered("Готово", {"buttons": [{"title": "Да", "payload": "/affirm"}]}, {"utter_action": "utter_x"}),
        e.SlotSet("calc_area_m2", 700.0), e.SlotSet("station", None), e.SlotSet("stations", ["Белорусская"]),
        e.ActionExecuted("utter_x", policy="RulePolicy", confidence=1.0), e.ActionExecuted("action_listen"),
        e.FollowupAction("action_listen"), e.ActiveLoop("calculation_form"), e.ActiveLoop(None),
        e.LoopInterrupted(True), e.ActionExecutionRejected("calculation_form"), e.AllSlotsReset(),
        e.Restarted(), e.UserUtteranceReverted(), e.ActionReverted(), e.ConversationPaused(),
        e.ConversationResumed(), e.SessionStarted(), e.StoryExported(), e.AgentUttered("x"),
        e.ReminderScheduled("EXTERNAL_reminder", datetime.datetime(2026, 11, 25)),
        e.ReminderCancelled(name="r"), e.EntitiesAdded([{"entity": "area_m2", "value": 700, "start": 0, "end": 3}]),
    ]
    legacy = [{"event": "user_featurization", "use_text_for_featurization": True},
              {"event": "form_validation", "validate": False}, {"event": "form", "name": "calculation_form"}]
    return [event.as_dict() for event in samples] + legacy


_WRONG = [None, 7, 2.5, "x", True, [], {}, [1], {"a": 1}]


def _mutations(event: dict):
    for key in event:
        for wrong in _WRONG:
            yield {**event, key: wrong}
        yield {k: v for k, v in event.items() if k != key}


def test_the_quick_check_gives_the_full_schemas_verdict_on_every_event_and_its_mutations():
    full = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())(
        RemoteAction.action_response_format_spec())
    valid = _every_event()
    assert len({event["event"] for event in valid}) == 23  # every alternative of the schema
    quick_passes = 0
    for event in valid:
        for candidate in [event, *_mutations(event)]:
            response = {"events": [valid[0], candidate], "responses": []}
            assert rasa_patches._quickly_valid(response) == full.is_valid(response), candidate
            quick_passes += rasa_patches._quickly_valid(response)
    assert all(rasa_patches._quickly_valid({"events": [event]}) for event in valid)
    assert quick_passes > len(valid)
    for response in BAD:
        assert not rasa_patches._quickly_valid(response)


# ---------------------------------------------------------------- slots in responses

SLOTS = {"calc_remaining": "(осталось 3 вопроса)", "calc_area_m2": 700.0, "name": None}


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
            return isinstance(other, type(self))

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

    domain = Domain.load("domain")
    events = [SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("офис 700 м2", {"name": "inform", "confidence": 0.9}, [{"entity": "area_m2", "value": 700}]),
              ActionExecuted("calculation_form"), ActiveLoop("calculation_form"), SlotSet("calc_area_m2", 700),
              BotUttered("Сколько стоит метр?"), ActionExecuted("action_listen")]
    dumped = [e.as_dict() for e in events]
    tracker = DialogueStateTracker.from_dict("c1", dumped, domain.slots)
    assert [e.as_dict() for e in tracker.events] == dumped
    assert tracker.get_slot("calc_area_m2") == 700 and tracker.active_loop_name == "calculation_form"


# ---------------------------------------------------------------- 6. slot copies

def test_slot_copies_are_new_objects_with_the_same_state():
    import copy

    from rasa.shared.core.domain import Domain

    slots = Domain.load("domain").slots
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


# ---------------------------------------------------------------- joined features


def _features(kind: str, rows: int, columns: int, dtype, seed: int, origin: str = "f"):

    rng = np.random.default_rng(seed)
    if kind == "dense":
        return Features(rng.random((rows, columns)).astype(dtype), "sequence", "text", origin)
    matrix = scipy.sparse.random(rows, columns, density=0.3, format="coo", random_state=seed, dtype=dtype)
    return Features(matrix if kind == "coo" else matrix.tocsr(), "sequence", "text", origin)


def _same(ours, theirs) -> None:

    assert type(ours.features) is type(theirs.features)
    assert (ours.type, ours.attribute, ours.origin) == (theirs.type, theirs.attribute, theirs.origin)
    if scipy.sparse.isspmatrix_coo(theirs.features):
        assert ours.features.shape == theirs.features.shape
        for name in ("data", "row", "col"):
            a, b = getattr(ours.features, name), getattr(theirs.features, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), name
    else:
        assert ours.features.dtype == theirs.features.dtype
        assert np.array_equal(ours.features.toarray() if scipy.sparse.issparse(ours.features) else ours.features,
                              theirs.features.toarray() if scipy.sparse.issparse(theirs.features) else theirs.features)


@pytest.mark.parametrize("kinds, dtypes", [
    (["coo"] * 5, ["float32"] * 5),
    (["coo"] * 3, ["float32", "float64", "int64"]),
    (["coo", "coo"], ["int32", "float32"]),
    (["coo", "csr", "coo"], ["float32"] * 3),
    (["csr", "csr"], ["float64"] * 2),
    (["dense"] * 3, ["float32", "float32", "float64"]),
    (["coo"], ["float32"]),
])
def test_features_are_joined_as_rasa_joins_them(kinds, dtypes):

    assert Message._combine_features is rasa_patches.combine_features
    for rows in (1, 6):
        features = [_features(kind, rows, 3 + 40 * n, dtype, seed=n + rows, origin=f"f{n}")
                    for n, (kind, dtype) in enumerate(zip(kinds, dtypes))]
        ours = Message._combine_features(features, ["a", "b"])
        theirs = rasa_patches._rasa_combine_features(features, ["a", "b"])
        _same(ours, theirs)
        assert all(ours.features is not f.features for f in features)


def test_an_empty_feature_matrix_joins_too():

    empty = Features(scipy.sparse.coo_matrix((4, 7), dtype="float32"), "sequence", "text", "e")
    features = [empty, _features("coo", 4, 9, "float32", 1), empty]
    _same(rasa_patches.combine_features(features, ["x"]), rasa_patches._rasa_combine_features(features, ["x"]))


def test_mismatched_features_fail_with_rasas_error():
    features = [_features("coo", 3, 5, "float32", 1), _features("coo", 4, 5, "float32", 2)]
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        rasa_patches.combine_features(features, ["x"])
    with pytest.raises(ValueError, match="Cannot combine sparse and dense"):
        rasa_patches.combine_features([_features("coo", 3, 5, "float32", 1), _features("dense", 3, 5, "float32", 1)], ["x"])
