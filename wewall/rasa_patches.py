"""Fixes to Rasa 3.6 itself that Rasa offers no configuration for (installed by wewall/bootstrap.py).

1. Action responses. `RemoteAction._validate_action_result` calls `jsonschema.validate` on every response of the
action server, and `jsonschema.validate` first checks the (constant) response schema against
the draft 2020-12 meta-schema. Under load that check alone
was the largest cost of the Rasa server (figures: docs/benchmarks.md). Here the schema is checked once and one validator is kept;
a response is validated exactly as before and fails with the same error and message.
Then the event list: the schema lets each event match exactly one of 23 alternatives
(`oneOf`), so jsonschema tried all 23 on every event. The alternatives differ by their `event` name, so a valid
response is now checked against the one alternative of each event's name; anything that fails
that quick check goes through the full validator, which gives Rasa's verdict and error.

2, 3. The Redis lock store's transactions and the shorter wait for a lock: now the lock store
classes endpoints.yml names (wewall/lock_store.py), no patch.

4. Button payloads. Rasa fills slots into every string of a response, button payloads too, and
reads `{"percent":7}` in `/inform{"percent":7}` as a slot placeholder: each such button logged
an ERROR with a traceback and its locals, for nothing, as the
payload is then sent unchanged. A string none of whose placeholders names a slot or a value is
now returned as it is, without the error; every other string goes through Rasa as before.
Why not `/inform{{"percent":7}}` in domain.yml: Rasa's NLG does turn it
back into `/inform{"percent":7}` without an error, but the domain's payloads are also read as
written by the typed-button classifier (wewall/dialogue/buttons.py: `{{…}}` is not JSON, so 41
buttons would silently stop matching typed titles) and by the Telegram channel's button registry
(it would hash and map payloads the bot never sends): every reader of the domain would have to
know Rasa's template escaping.

5. Event types. Rasa turns every stored event back into an object by walking the whole Event
class tree (`all_subclasses`, with an `inspect.isabstract` test per class) to find the class of
its type name: for every event of every tracker it loads, each turn. Under load that walk was a
visible share of the Rasa server's GIL time (docs/benchmarks.md). The class found for a type name
is now remembered; a new Event subclass (a plugin's) empties the memory, so the answer is always
the one Rasa's walk would give.

6. Slot copies. Every tracker Rasa builds (loading one, and three times per prediction to replay
the history into states) copies all 48 slots of the domain with `copy.copy`, which goes through
the generic `__reduce_ex__` protocol. Slot gets a `__copy__` that does
what that protocol does for such an object, a new instance with the same attributes.

7. Combining a message's features. DIET and the response selector ask for the sparse features
of the text, which Rasa joins one featurizer at a time: a deep copy of the first, then a
`scipy.sparse.hstack` per further featurizer, each a general `bmat` with its checks (figures:
docs/benchmarks.md). The
COO matrices are now joined in one step, into the same arrays in the same order, dtype and
index type; other kinds of matrices, and mismatched ones (Rasa's error), go Rasa's way.

8. DIET's prediction call: now a DIETClassifier subclass config.yml names (wewall/nlu/diet.py).

9. Session length. Rasa starts a new session only when the latest one expired, and a turn's cost
grows with the session's events (issue #22): `MessageProcessor._has_session_expired` also ends a
session over WEWALL_SESSION_MAX_EVENTS (wewall/tracker_store.py, `limit_sessions`).

10. A failed custom action. Rasa logs it and goes on without its events, so the client may get
nothing: `RemoteAction.run` marks the turn, and the channel apologises (wewall/channels/replies.py,
`mark_failures`).

Nothing here is installed on import: wewall/bootstrap.py installs `PATCHES`, each only with
the library versions it was tested with, and not at all with WEWALL_RASA_PATCHES=off.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

import numpy as np
import scipy.sparse
from jsonschema import exceptions
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg import interpolator
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.core.slots import Slot
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.common import all_subclasses
from scipy.sparse._sputils import get_index_dtype, upcast

from wewall.channels.replies import mark_failures
from wewall.tracker_store import limit_sessions


@functools.lru_cache(maxsize=1)
def action_response_validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@functools.lru_cache(maxsize=1)
def _quick_action_response_validators() -> Optional[Tuple[Any, Dict[Text, Any]]]:
    """The response schema without the events' `oneOf`, and a validator per event name.

    None (always the full validator) if the alternatives are not told apart by a constant
    `event`, as they are in Rasa 3.6: then valid ⇔ the quick check passes would not hold.
    """
    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    if "$ref" in json.dumps(schema):
        return None  # an alternative alone could not resolve a reference to the whole schema
    cls = validator_for(schema)
    try:
        items = schema["properties"]["events"]["items"]
        alternatives = items.pop("oneOf")
        names = [alternative["properties"]["event"]["const"] for alternative in alternatives]
    except (KeyError, TypeError):
        return None
    if "event" not in items.get("required", ()) or len(set(names)) != len(names):
        return None
    return cls(schema), {name: cls(alternative) for name, alternative in zip(names, alternatives)}


def _quickly_valid(result: Any) -> bool:
    """True only if the full schema holds (each event matches the one alternative of its name)."""
    quick = _quick_action_response_validators()
    if quick is None or not quick[0].is_valid(result):
        return False
    by_name = quick[1]
    for event in result.get("events") or ():
        validator = by_name.get(event["event"])  # a string, the quick schema checked it
        if validator is None or not validator.is_valid(event):
            return False
    return True


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if _quickly_valid(result):
        return True
    # What jsonschema.validate does after check_schema: the best error, raised.
    error = exceptions.best_match(action_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


# ---------------------------------------------------------------- 4. button payloads

_rasa_interpolate_text = interpolator.interpolate_text
_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")  # Rasa's own pattern


def interpolate_text(response: Text, values: Dict[Text, Any]) -> Text:
    names = _PLACEHOLDER.findall(response)
    if names and "{{" not in response and "}}" not in response and not any(n in values for n in names):
        return response  # e.g. '/inform{"percent":7}': no slot there, nothing to fill or report
    return _rasa_interpolate_text(response, values)


# ---------------------------------------------------------------- 5. event types

_rasa_resolve_by_type = Event.resolve_by_type
_event_types: Dict[Text, type] = {}


def resolve_event_type(type_name: Text, default: Optional[type] = None) -> Optional[type]:
    cls = _event_types.get(type_name)
    if cls is None:
        # the first match in Rasa's own order, as Event.resolve_by_type picks it
        cls = next((c for c in all_subclasses(Event) if c.type_name == type_name), None)
        if cls is None:  # unknown, «topic», a default: Rasa's answers and errors
            return _rasa_resolve_by_type(type_name, default)
        _event_types[type_name] = cls
    return cls


def _event_subclass_defined(cls, **kwargs: Any) -> None:
    _event_types.clear()
    super(Event, cls).__init_subclass__(**kwargs)


# ---------------------------------------------------------------- 6. slot copies


@functools.cache
def _plain_copy(cls: Any) -> bool:
    """Whether copy.copy of an instance is just «same class, same __dict__»."""
    return (cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is object.__reduce__
            and not hasattr(cls, "__setstate__")
            and getattr(cls, "__getstate__", None) is getattr(object, "__getstate__", None)
            and not any(vars(k).get("__slots__") for k in cls.__mro__))  # ABC's empty __slots__ is fine


def _copy_slot(self: Slot) -> Slot:
    cls: Any = type(self)  # Slot's subclasses: rasa is not typed
    if not _plain_copy(cls):  # a slot class with its own pickling: copy's generic way
        rv = self.__reduce_ex__(4)
        return copy._reconstruct(self, None, *rv)  # type: ignore[attr-defined]  # private: not in typeshed
    new = cls.__new__(cls)
    new.__dict__.update(self.__dict__)
    return new


# ---------------------------------------------------------------- 7. joined features

_rasa_combine_features = Message._combine_features


def _hstack_coo(matrices: List[scipy.sparse.coo_matrix]) -> scipy.sparse.coo_matrix:
    """`scipy.sparse.hstack(matrices)` for COO matrices with equal row counts, as bmat builds it."""
    offsets = np.cumsum([0] + [m.shape[1] for m in matrices])
    shape = (matrices[0].shape[0], int(offsets[-1]))
    index = get_index_dtype(maxval=max(shape))
    data = np.concatenate([m.data for m in matrices]).astype(upcast(*[m.dtype for m in matrices]), copy=False)
    row = np.concatenate([m.row for m in matrices]).astype(index, copy=False)
    col = np.concatenate([m.col + offset for m, offset in zip(matrices, offsets)]).astype(index, copy=False)
    return scipy.sparse.coo_matrix((data, (row, col)), shape=shape)


def combine_features(features: List[Features], featurizers: List[Text]) -> Optional[Features]:
    matrices = [f.features for f in features]
    if len(features) < 2:
        joined = None
    elif all(type(m) is scipy.sparse.coo_matrix for m in matrices):  # not coo_array: hstack keeps that
        joined = _hstack_coo(matrices) if len({m.shape[0] for m in matrices}) == 1 else None
    elif all(isinstance(m, np.ndarray) for m in matrices):
        joined = np.concatenate(matrices, axis=-1) if len({m.ndim for m in matrices}) == 1 else None
    else:
        joined = None
    if joined is None:  # one feature, other formats, or Rasa's error for mismatched shapes
        return _rasa_combine_features(features, featurizers)
    return Features(joined, features[0].type, features[0].attribute, featurizers)


# ---------------------------------------------------------------- what wewall/bootstrap.py installs


@dataclass(frozen=True)
class Patch:
    name: str
    requires: Tuple[str, ...]  # packages whose tested version (bootstrap.TESTED) it needs
    replacements: Callable[[], List[Tuple[Any, str, Any]]]  # (owner, attribute, new value)


PATCHES = [
    Patch("action response validation", ("rasa", "jsonschema"),
          lambda: [(RemoteAction, "_validate_action_result", _validate_action_result)]),
    Patch("button payloads", ("rasa",), lambda: [(interpolator, "interpolate_text", interpolate_text)]),
    Patch("event types", ("rasa",), lambda: [(Event, "resolve_by_type", staticmethod(resolve_event_type)),
                                              (Event, "__init_subclass__", classmethod(_event_subclass_defined))]),
    Patch("slot copies", ("rasa",), lambda: [(Slot, "__copy__", _copy_slot)]),
    Patch("joined features", ("rasa", "scipy"),
          lambda: [(Message, "_combine_features", staticmethod(combine_features))]),
    Patch("session limit", ("rasa",), lambda: [(MessageProcessor, "_has_session_expired",
                                                limit_sessions(MessageProcessor._has_session_expired))]),
    Patch("failed actions", ("rasa",), lambda: [(RemoteAction, "run", mark_failures(RemoteAction.run))]),
]
