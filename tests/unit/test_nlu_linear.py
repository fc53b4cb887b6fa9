"""The linear intent classifier blended with DIET's ranking (wewall/nlu/linear.py)."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wewall.nlu.linear import LinearIntentClassifier, blend, greeting_length
from wewall.nlu.tokenizer import RussianTokenizer, tokenize_text

TRAINING = {
    "request_search": ["подберите офис", "ищу офис в аренду", "нужно помещение у метро", "найдите мне офис",
                       "подбор помещения под магазин", "хочу снять офис"],
    "request_calculation": ["посчитайте доходность", "рассчитайте irr", "оцените доходность офиса",
                            "какая доходность будет", "сделайте расчет", "посчитай окупаемость"],
    "greet": ["привет", "здравствуйте", "добрый день", "доброе утро", "приветствую", "здрасте"],
}


@pytest.mark.parametrize("linear, before, weight, expected", [
    # no ranking before: the linear distribution alone
    ({"a": 0.7, "b": 0.3}, [], 0.5, {"a": 0.7, "b": 0.3}),
    # an even blend
    ({"a": 0.7, "b": 0.3}, [{"name": "a", "confidence": 0.1}, {"name": "b", "confidence": 0.9}], 0.5,
     {"a": 0.4, "b": 0.6}),
    # an intent cut from the ranking before (its ranking_length) counts as 0 there
    ({"a": 0.6, "c": 0.4}, [{"name": "a", "confidence": 1.0}], 0.25, {"a": 0.9, "c": 0.1}),
    # and one the linear classifier never saw keeps the share of the ranking before
    ({"a": 1.0}, [{"name": "nlu_x", "confidence": 0.8}, {"name": "a", "confidence": 0.2}], 0.5,
     {"a": 0.6, "nlu_x": 0.4}),
])
def test_blend(linear, before, weight, expected):
    got = blend(linear, before, weight)
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value)


def _featurize(messages, featurizer):
    RussianTokenizer(RussianTokenizer.get_default_config()).process(messages)
    featurizer.process(messages)
    return messages


@pytest.fixture()
def trained(tmp_path):
    context = ExecutionContext(GraphSchema({}), "cv")
    storage = LocalModelStorage(tmp_path)
    featurizer = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
        storage, Resource("cv"), context)
    examples = [Message({TEXT: text, INTENT: intent}) for intent, texts in TRAINING.items() for text in texts]
    RussianTokenizer(RussianTokenizer.get_default_config()).process(examples)
    data = TrainingData(examples)
    featurizer.train(data)
    featurizer.process_training_data(data)
    resource = Resource("linear")
    config = {**LinearIntentClassifier.get_default_config(), "weight": 1.0}
    LinearIntentClassifier.create(config, storage, resource, context).train(data)
    loaded = LinearIntentClassifier.load(config, storage, resource, context)
    return loaded, featurizer, storage, context


def classify(component, featurizer, text, ranking=None):
    message = Message({TEXT: text})
    if ranking is not None:
        message.set(INTENT_RANKING_KEY, ranking)
        message.set(INTENT, dict(ranking[0]))
    _featurize([message], featurizer)
    component.process([message])
    return message


@pytest.mark.parametrize("text, intent", [
    ("подберите мне офисное помещение", "request_search"),
    ("посчитайте мне доходность офиса", "request_calculation"),
    ("здрасьте", "greet"),
])
def test_a_stored_model_classifies_new_phrasings(trained, text, intent):
    component, featurizer, _, _ = trained
    message = classify(component, featurizer, text)
    ranking = message.get(INTENT_RANKING_KEY)
    assert message.get(INTENT)["name"] == intent == ranking[0]["name"]
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_the_blend_rewrites_a_confident_ranking_before(trained):
    component, featurizer, _, _ = trained
    component._config["weight"] = 0.5
    before = [{"name": "greet", "confidence": 0.55}, {"name": "request_search", "confidence": 0.45}]
    message = classify(component, featurizer, "подберите мне офисное помещение", before)
    assert message.get(INTENT)["name"] == "request_search"
    assert message.get(INTENT)["confidence"] > 0.5


def test_a_model_without_the_classifier_leaves_the_ranking_alone(trained, tmp_path):
    _, featurizer, storage, context = trained
    component = LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(), storage,
                                            Resource("never_trained"), context)
    before = [{"name": "greet", "confidence": 0.9}]
    message = classify(component, featurizer, "подберите офис", before)
    assert message.get(INTENT_RANKING_KEY) == before


def test_features_of_another_size_leave_the_ranking_alone(trained, caplog):
    component, _, storage, context = trained
    other = CountVectorsFeaturizer.create(CountVectorsFeaturizer.get_default_config(), storage, Resource("cv2"), context)
    data = TrainingData([Message({TEXT: "совсем другой словарь", INTENT: "greet"})])
    RussianTokenizer(RussianTokenizer.get_default_config()).process(data.training_examples)
    other.train(data)
    before = [{"name": "greet", "confidence": 0.9}]
    message = classify(component, other, "совсем другой", before)
    assert message.get(INTENT_RANKING_KEY) == before
    assert "классификатор обучен на" in caplog.text


@pytest.mark.parametrize("text, length", [
    ("здрасте, подберите офис", 1),
    ("Добрый день! Ищу офис", 2),
    ("привет всем, добрый вечер, ищу офис", 4),
    ("всем привет ищу офис", 2),
    ("доброго времени суток хочу снять офис", 3),
    ("приветствую посчитайте доходность", 1),
    ("hi, нужен офис", 1),
    ("привет", 1),
    ("добрый офис", 0),  # «добрый» alone is no greeting
    ("всем нужен офис", 0),  # nor what only goes with one
    ("ищу офис, привет", 0),
    ("", 0),
])
def test_greeting_length(text, length):
    assert greeting_length([lem for _, _, lem in tokenize_text(text)]) == length


@pytest.mark.parametrize("text, intent", [
    # the request after a greeting, which the greeting's words would outweigh
    ("здрасте, подберите офис", "request_search"),
    ("добрый день, посчитайте доходность", "request_calculation"),
    # a greeting alone, or with nothing the classifier is sure of after it, stays a greeting
    ("здравствуйте", "greet"),
    ("добрый день вам", "greet"),
    ("здравствуйте офис", "greet"),  # one word after a greeting is whom it greets
])
def test_a_request_after_a_greeting(trained, text, intent):
    component, featurizer, _, _ = trained
    component._config["weight"] = 0.5
    # DIET, which saw the whole message, is sure it is a greeting
    before = [{"name": "greet", "confidence": 0.95}, {"name": "request_search", "confidence": 0.05}]
    message = classify(component, featurizer, text, before)
    assert message.get(INTENT)["name"] == intent
