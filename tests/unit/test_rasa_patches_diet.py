"""wewall/nlu/diet.py: DIET's prediction through its concrete function gives Rasa's outputs, or Rasa's way."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wewall.nlu import diet as wewall_diet
from wewall.nlu.diet import FlatPredictDIET, WewallDIETClassifier

EXAMPLES = {
    "greet": ["привет", "здравствуйте", "добрый день", "привет бот"],
    "request_search": ["хочу купить офис", "найдите офис в аренду", "подберите помещение", "ищу офис"],
    "goodbye": ["пока", "до свидания", "всего доброго", "увидимся"],
}


@pytest.fixture(scope="module")
def diet(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("diet"))
    context = ExecutionContext(GraphSchema({}), "test")

    def component(cls, name, **config):
        return cls.create({**cls.get_default_config(), **config}, storage, Resource(name), context)

    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = component(CountVectorsFeaturizer, "cvf", analyzer="char_wb", min_ngram=1, max_ngram=3)
    classifier = component(WewallDIETClassifier, "diet", epochs=2, random_seed=1, number_of_transformer_layers=0,
                           entity_recognition=False)
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts])
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    classifier.train(data)

    def prepared(texts):
        messages = [Message(data={"text": t}) for t in texts]
        tokenizer.process(messages)
        featurizer.process(messages)
        return messages

    return classifier, prepared


def _batches(classifier, prepared, texts):
    """The input batches DIET hands to its model for these texts (one message per batch)."""
    from rasa.utils.train_utils import create_data_generators

    batches = []
    for message in prepared(texts):
        model_data = classifier._create_model_data([message], training=False)
        generator, _ = create_data_generators(model_data=model_data, batch_sizes=1, epochs=1, shuffle=False)
        batches.append(next(iter(generator))[0])
    return batches


def _same(ours, theirs) -> None:
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        if isinstance(value, dict):
            _same(ours[key], value)
        else:
            assert np.array_equal(np.asarray(ours[key]), np.asarray(value)), key


def test_the_concrete_function_gives_rasas_outputs(diet):
    classifier, prepared = diet
    assert type(classifier.model) is FlatPredictDIET
    texts = ["привет", "хочу купить офис в сити", "пока", "совсем другое сообщение без смысла", "я"]
    model = classifier.model
    for batch in _batches(classifier, prepared, texts):
        ours = model._rasa_predict(batch)
        flat = wewall_diet.flat_predict_for(model)
        assert flat is not None and flat(batch) is not None  # the direct call was used
        _same(ours, DIET._rasa_predict(model, batch))


def test_the_intents_are_the_ones_rasa_predicts(diet, monkeypatch):
    classifier, prepared = diet
    texts = ["здравствуйте", "подберите офис", "до свидания"]
    ours = [m.get("intent_ranking") for m in classifier.process(prepared(texts))]
    monkeypatch.setattr(FlatPredictDIET, "_rasa_predict", DIET._rasa_predict)
    theirs = [m.get("intent_ranking") for m in classifier.process(prepared(texts))]
    assert ours == theirs


def test_inputs_that_do_not_fit_the_signature_go_rasas_way(diet):
    classifier, prepared = diet
    model = classifier.model
    (batch,) = _batches(classifier, prepared, ["привет"])
    model._rasa_predict(batch)  # the first call builds the function
    flat = wewall_diet.flat_predict_for(model)
    wrong_width = tuple(np.zeros(x.shape[:-1] + (x.shape[-1] + 1,), x.dtype) if x.ndim > 1 else x for x in batch)
    wrong_type = tuple(x.astype(np.float64) if x.dtype == np.float32 else x for x in batch)
    wrong_count = batch[:-1]
    for bad in (wrong_width, wrong_count):
        assert flat(bad) is None
        with pytest.raises(Exception) as theirs:
            DIET._rasa_predict(model, bad)
        with pytest.raises(type(theirs.value)):
            model._rasa_predict(bad)
    # float64 where the signature says float32: TensorFlow converts it, and so do we
    _same(model._rasa_predict(wrong_type), DIET._rasa_predict(model, wrong_type))
    assert flat(wrong_type) is not None


def test_a_dropped_model_function_is_not_kept_alive():
    """A replaced model (PUT /model) must not stay in memory through the remembered direct call."""
    import gc

    import tensorflow as tf

    function = tf.function(lambda batch: {"sum": tf.reduce_sum(batch[0])},
                           input_signature=[[tf.TensorSpec([None, 3], tf.float32)]])
    function([np.ones((2, 3), np.float32)])
    wewall_diet._flat_predicts[function] = wewall_diet.FlatPredict(function)
    assert float(wewall_diet._flat_predicts[function]([np.ones((2, 3), np.float32)])["sum"]) == 6.0
    assert wewall_diet._flat_predicts[function]([np.ones((2, 4), np.float32)]) is None
    before = len(wewall_diet._flat_predicts)
    del function
    gc.collect()
    assert len(wewall_diet._flat_predicts) == before - 1


@pytest.mark.parametrize("setting, versions", [
    ("off", None),
    ("on", {"rasa": "3.6.21", "tensorflow": "2.13.0"}),
])
def test_switched_off_or_another_tensorflow_every_call_is_rasas(diet, monkeypatch, setting, versions):
    classifier, prepared = diet
    model = classifier.model
    (batch,) = _batches(classifier, prepared, ["привет"])
    model._rasa_predict(batch)
    monkeypatch.setenv("WEWALL_RASA_PATCHES", setting)
    if versions:
        monkeypatch.setattr(wewall_diet.bootstrap, "installed_versions", lambda packages: versions)

    def direct_call(_):
        raise AssertionError("the direct call was used")

    monkeypatch.setattr(wewall_diet, "flat_predict_for", direct_call)
    _same(model._rasa_predict(batch), DIET._rasa_predict(model, batch))


def test_the_stored_model_loads_back_as_ours(diet, tmp_path):
    """Same weights file as Rasa's DIET: the loaded classifier predicts what the trained one does."""
    classifier, prepared = diet
    texts = ["здравствуйте", "подберите офис", "до свидания"]
    trained = [m.get("intent_ranking") for m in classifier.process(prepared(texts))]
    classifier.persist()
    loaded = WewallDIETClassifier.load(classifier.component_config, classifier._model_storage,
                                       classifier._resource, classifier._execution_context)
    assert type(loaded.model) is FlatPredictDIET
    assert [m.get("intent_ranking") for m in loaded.process(prepared(texts))] == trained
