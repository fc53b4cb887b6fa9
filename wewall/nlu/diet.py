"""Rasa's DIETClassifier with a faster prediction call (config.yml: `wewall.nlu.diet.WewallDIETClassifier`).

Rasa compiles DIET's prediction into a `tf.function` with a fixed input signature, which has
exactly one concrete function; yet every call goes through TensorFlow's generic dispatch, which
rebuilds and checks the type of all ten inputs against that signature, which costs more than the
model itself (figures: docs/benchmarks.md, «Патчи Rasa 7 и 8»). Here the inputs are
converted as TensorFlow converts them, checked against the signature's dtypes and known
dimensions, and passed to that concrete function; any input that does not fit goes Rasa's way
(and gets TensorFlow's error). Training, the config and the stored model are Rasa's own.

The direct call is used only with the rasa and tensorflow versions it was tested with and not
with WEWALL_RASA_PATCHES=off (wewall/bootstrap.py); otherwise every call is Rasa's.
"""

from __future__ import annotations

import weakref
from typing import Any, Dict, Optional, Text, Type

import tensorflow as tf
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.shared.constants import DIAGNOSTIC_DATA
from rasa.utils.tensorflow.models import RasaModel

from wewall import bootstrap

REQUIRES = ("rasa", "tensorflow")


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
        from tensorflow.python.framework import ops as tf_ops

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


_flat_predicts: weakref.WeakKeyDictionary[Any, Optional[FlatPredict]] = weakref.WeakKeyDictionary()


def flat_predict_for(model: RasaModel) -> Optional[FlatPredict]:
    function = model._tf_predict_step
    if function is None or model._run_eagerly:
        return None
    if function in _flat_predicts:
        return _flat_predicts[function]
    flat: Optional[FlatPredict]
    try:
        flat = FlatPredict(function)
    except Exception:  # another TensorFlow, another signature: Rasa's call, always
        flat = None
    _flat_predicts[function] = flat
    return flat


class FlatPredictDIET(DIET):
    """Rasa's DIET model; `_rasa_predict` calls the concrete function when it can."""

    def _rasa_predict(self, batch_in: Any) -> Dict[Text, Any]:
        flat = None
        if self.prepared_for_prediction and bootstrap.allowed("DIET prediction call", REQUIRES):
            flat = flat_predict_for(self)
        raw = flat(batch_in) if flat is not None else None
        if raw is None:  # the first call (it builds the function), or inputs Rasa must handle
            return super()._rasa_predict(batch_in)
        from keras.utils import tf_utils

        self._training = False
        outputs = tf_utils.sync_to_numpy_or_python_type(raw)
        if DIAGNOSTIC_DATA in outputs:
            outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
        return outputs


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class WewallDIETClassifier(DIETClassifier):
    """DIETClassifier whose model is `FlatPredictDIET`; same config, training and stored weights."""

    @staticmethod
    def model_class() -> Type[RasaModel]:
        return FlatPredictDIET
