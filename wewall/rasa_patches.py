"""Fixes to Rasa 3.6 itself, installed when the Rasa server loads our policy.

1. Action responses. `RemoteAction._validate_action_result` calls `jsonschema.validate` on every response of the
action server, and `jsonschema.validate` first checks the (constant) response schema against
the draft 2020-12 meta-schema. Profiled under load (py-spy, 20 clients), that check alone took
a third of the Rasa server's CPU. Here the schema is checked once and one validator is kept;
a response is validated exactly as before and fails with the same error and message.
Then the event list: the schema lets each event match exactly one of 23 alternatives
(`oneOf`), so jsonschema tried all 23 on every event (6 % of the server's time in a cProfile of
the scripted dialogues, 25.11.2026). The alternatives differ by their `event` name, so a valid
response is now checked against the one alternative of each event's name; anything that fails
that quick check goes through the full validator, which gives Rasa's verdict and error.

2. The Redis lock store. Rasa's `RedisLockStore` updates a conversation's ticket queue by
reading it, changing it and writing it back: two Rasa processes doing so at once lose one
ticket (both may then serve the same number, or one finds the queue deleted and drops its
message with "Could not acquire lock"). tests/e2e/test_services.py caught it with two servers.
Here each of those read-change-write steps is one Redis transaction (WATCH/MULTI, retried on
conflict), with the same ticket algorithm.

3. Waiting for the lock. Rasa polls a busy conversation's lock once a second, so a second
message sent while the first is answered waited a whole second more; here every 50 ms.

4. Button payloads. Rasa fills slots into every string of a response, button payloads too, and
reads `{"percent":7}` in `/inform{"percent":7}` as a slot placeholder: each such button logged
an ERROR with a traceback and its locals (932 in 1 600 turns of the bench), for nothing, as the
payload is then sent unchanged. A string none of whose placeholders names a slot or a value is
now returned as it is, without the error; every other string goes through Rasa as before.

5. Event types. Rasa turns every stored event back into an object by walking the whole Event
class tree (`all_subclasses`, with an `inspect.isabstract` test per class) to find the class of
its type name: for every event of every tracker it loads, each turn. That walk was 5 % of the
Rasa server's GIL time under load (py-spy --gil, 25.11.2026). The class found for a type name
is now remembered; a new Event subclass (a plugin's) empties the memory, so the answer is always
the one Rasa's walk would give.

6. Slot copies. Every tracker Rasa builds (loading one, and three times per prediction to replay
the history into states) copies all 48 slots of the domain with `copy.copy`, which goes through
the generic `__reduce_ex__` protocol (≈4 % of the GIL time). Slot gets a `__copy__` that does
what that protocol does for such an object, a new instance with the same attributes.

7. Combining a message's features. DIET and the response selector ask for the sparse features
of the text, which Rasa joins one featurizer at a time: a deep copy of the first, then a
`scipy.sparse.hstack` per further featurizer, each a general `bmat` with its checks (7 % of the
server's time in a cProfile of the scripted dialogues, 1.2 ms per join of five matrices). The
COO matrices are now joined in one step, into the same arrays in the same order, dtype and
index type; other kinds of matrices, and mismatched ones (Rasa's error), go Rasa's way.

8. DIET's prediction call. Rasa compiles DIET's prediction into a `tf.function` with a fixed
input signature, which has exactly one concrete function; yet every call goes through
TensorFlow's generic dispatch, which rebuilds and checks the type of all ten inputs against
that signature: 4.5 ms of a 6.5 ms call (2.05 ms when called directly, microbenchmark of
25.11.2026, same outputs). The inputs are now converted as TensorFlow converts them, checked
against the signature's dtypes and known dimensions, and passed to that concrete function;
any input that does not fit goes Rasa's way (and gets TensorFlow's error).
"""

from __future__ import annotations

import copy
import functools
import json
import re
import weakref
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

import numpy as np
import scipy.sparse
import tensorflow as tf
from jsonschema import exceptions
from jsonschema.validators import validator_for
from keras.utils import tf_utils
from scipy.sparse._sputils import get_index_dtype, upcast
from tensorflow.python.framework import ops as tf_ops
from rasa.core.actions.action import RemoteAction
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore, RedisLockStore
from rasa.core.nlg import interpolator
from rasa.shared.core.events import Event
from rasa.shared.core.slots import Slot
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.common import all_subclasses
from rasa.shared.constants import DIAGNOSTIC_DATA, DOCS_BASE_URL
from rasa.utils.tensorflow.models import RasaModel

LOCK_WAIT_SECONDS = 0.05


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


# ---------------------------------------------------------------- 2. atomic ticket queue


def _change_lock(store: RedisLockStore, conversation_id: Text,
                 change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Any]]) -> Any:
    """Apply `change` (old lock → new lock or None to delete, result) in one transaction."""
    key = store.key_prefix + conversation_id

    def transaction(pipe) -> Any:
        raw = pipe.get(key)  # immediate mode: the key is WATCHed
        lock = TicketLock.from_dict(json.loads(raw)) if raw else None
        new, result = change(lock)
        pipe.multi()
        if new is None:
            pipe.delete(key)
        else:
            pipe.set(key, new.dumps())
        return result

    return store.red.transaction(transaction, key, value_from_callable=True)


def _issue_ticket(self: RedisLockStore, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
    def change(lock):
        lock = lock or TicketLock(conversation_id)
        return lock, lock.issue_ticket(lock_lifetime)

    try:
        return _change_lock(self, conversation_id, change)
    except Exception as e:  # as Rasa's: the caller expects a LockError
        raise LockError(f"Error while acquiring lock. Error:\n{e}")


def _update_lock(self: RedisLockStore, conversation_id: Text) -> None:
    def change(lock):
        if lock is not None:
            lock.remove_expired_tickets()
        return lock, None

    _change_lock(self, conversation_id, change)


def _finish_serving(self: RedisLockStore, conversation_id: Text, ticket_number: int) -> None:
    def change(lock):
        if lock is not None:
            lock.remove_ticket_for(ticket_number)
        return lock, None

    _change_lock(self, conversation_id, change)


def _cleanup(self: RedisLockStore, conversation_id: Text, ticket_number: int) -> None:
    def change(lock):
        if lock is None:
            return None, None
        lock.remove_ticket_for(ticket_number)
        return (lock if lock.is_someone_waiting() else None), None

    _change_lock(self, conversation_id, change)


# ---------------------------------------------------------------- 3. the wait


_rasa_lock = LockStore.lock


def _lock(self: LockStore, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
          wait_time_in_seconds: float = LOCK_WAIT_SECONDS):
    return _rasa_lock(self, conversation_id, lock_lifetime, wait_time_in_seconds)


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


@functools.lru_cache(maxsize=None)
def _plain_copy(cls: type) -> bool:
    """Whether copy.copy of an instance is just «same class, same __dict__»."""
    return (cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is object.__reduce__
            and not hasattr(cls, "__setstate__")
            and getattr(cls, "__getstate__", None) is getattr(object, "__getstate__", None)
            and not any(vars(k).get("__slots__") for k in cls.__mro__))  # ABC's empty __slots__ is fine


def _copy_slot(self: Slot) -> Slot:
    cls = type(self)
    if not _plain_copy(cls):  # a slot class with its own pickling: copy's generic way
        rv = self.__reduce_ex__(4)
        return copy._reconstruct(self, None, *rv)
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


# ---------------------------------------------------------------- 8. DIET's prediction call

_rasa_rasa_predict = RasaModel._rasa_predict


class FlatPredict:
    """The one concrete function of a `tf.function` with an input signature, called directly."""

    def __init__(self, function: Any) -> None:
        # no reference back to `function`: it is the key of the weak map that holds this object
        self.concrete = function.get_concrete_function()
        (batch_spec,), kwargs = self.concrete.structured_input_signature
        if kwargs or not all(isinstance(spec, tf.TensorSpec) for spec in batch_spec):
            raise TypeError("not a signature of plain tensors")
        self.specs = [(spec.dtype, tuple(spec.shape.as_list())) for spec in batch_spec]

    def __call__(self, batch_in: Any) -> Optional[Any]:
        """The function's outputs, or None if the inputs do not fit the signature."""
        if len(batch_in) != len(self.specs):
            return None
        tensors = []
        for value, (dtype, shape) in zip(batch_in, self.specs):
            tensor = value if isinstance(value, tf.Tensor) else tf_ops.convert_to_tensor(value, dtype_hint=dtype)
            actual = tuple(tensor.shape.as_list())
            if tensor.dtype != dtype or len(actual) != len(shape) or any(
                    want is not None and got != want for got, want in zip(actual, shape)):
                return None
            tensors.append(tensor)
        return self.concrete._call_flat(tensors, self.concrete.captured_inputs)


_flat_predicts: "weakref.WeakKeyDictionary[Any, Optional[FlatPredict]]" = weakref.WeakKeyDictionary()


def _flat_predict_for(model: RasaModel) -> Optional[FlatPredict]:
    function = model._tf_predict_step
    if function is None or model._run_eagerly:
        return None
    flat = _flat_predicts.get(function, False)
    if flat is False:
        try:
            flat = FlatPredict(function)
        except Exception:  # another TensorFlow, another signature: Rasa's call, always
            flat = None
        _flat_predicts[function] = flat
    return flat


def rasa_predict(self: RasaModel, batch_in: Any) -> Dict[Text, Any]:
    flat = _flat_predict_for(self) if self.prepared_for_prediction else None
    raw = flat(batch_in) if flat is not None else None
    if raw is None:  # the first call (it builds the function), or inputs Rasa must handle
        return _rasa_rasa_predict(self, batch_in)
    self._training = False
    outputs = tf_utils.sync_to_numpy_or_python_type(raw)
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


def install() -> None:
    RasaModel._rasa_predict = rasa_predict
    Message._combine_features = staticmethod(combine_features)
    Event.resolve_by_type = staticmethod(resolve_event_type)
    Event.__init_subclass__ = classmethod(_event_subclass_defined)
    Slot.__copy__ = _copy_slot
    interpolator.interpolate_text = interpolate_text
    RemoteAction._validate_action_result = _validate_action_result
    RedisLockStore.issue_ticket = _issue_ticket
    RedisLockStore.update_lock = _update_lock
    RedisLockStore.finish_serving = _finish_serving
    RedisLockStore.cleanup = _cleanup
    LockStore.lock = _lock
