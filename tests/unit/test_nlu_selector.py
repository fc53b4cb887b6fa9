"""RetrievalResponseSelector answers `faq` messages as Rasa's ResponseSelector does and skips the rest."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wewall.nlu.selector import RetrievalResponseSelector
from wewall.nlu.tokenizer import RussianTokenizer

EXAMPLES = {
    "faq/irr": ["что такое irr", "объясните irr", "irr это что", "как считается irr"],
    "faq/estate_class": ["чем класс а отличается от б", "что значит класс офиса", "класс а это что"],
    "greet": ["привет", "здравствуйте", "добрый день"],
}


def _context(name):
    return ExecutionContext(GraphSchema({}), node_name=name)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("selector"))
    messages = []
    for key, texts in EXAMPLES.items():
        intent = key.split("/")[0]
        for text in texts:
            data = {TEXT: text, INTENT: intent}
            if "/" in key:
                data[INTENT_RESPONSE_KEY] = key
            messages.append(Message(data=data))
    responses = {"utter_faq/irr": [{"text": "IRR — ставка доходности."}],
                 "utter_faq/estate_class": [{"text": "Класс — качество здания."}]}
    data = TrainingData(messages, responses=responses)
    tokenizer = RussianTokenizer.create(RussianTokenizer.get_default_config(), storage, Resource("tok"), _context("tok"))
    tokenizer.process_training_data(data)
    featurizer = CountVectorsFeaturizer.create(CountVectorsFeaturizer.get_default_config(), storage,
                                               Resource("cv"), _context("cv"))
    featurizer.train(data)
    featurizer.process_training_data(data)
    selectors = {}
    for cls in (ResponseSelector, RetrievalResponseSelector):
        config = {**cls.get_default_config(), "epochs": 30, "random_seed": 1}
        selector = cls.create(config, storage, Resource(cls.__name__), _context(cls.__name__))
        selector.train(data)
        selectors[cls] = selector

    def parse(cls, text, intent):
        message = Message(data={TEXT: text})
        tokenizer.process([message])
        featurizer.process([message])
        message.set(INTENT, {"name": intent, "confidence": 0.9})
        selectors[cls].process([message])
        return message.get("response_selector")["default"]

    return parse


def test_a_faq_message_gets_the_same_answer_as_from_rasas_selector(trained):
    ours = trained(RetrievalResponseSelector, "что такое irr", "faq")
    theirs = trained(ResponseSelector, "что такое irr", "faq")
    assert ours["response"]["intent_response_key"] == theirs["response"]["intent_response_key"] == "faq/irr"
    assert ours["response"]["responses"] == [{"text": "IRR — ставка доходности."}]
    assert ours["ranking"] == theirs["ranking"]


def test_another_intent_is_not_sent_through_the_model(trained):
    ours = trained(RetrievalResponseSelector, "привет", "greet")
    theirs = trained(ResponseSelector, "привет", "greet")
    assert theirs["response"]["intent_response_key"]  # Rasa's selector always answers something
    assert ours["response"]["intent_response_key"] == "" and ours["ranking"] == []
    assert ours["response"]["utter_action"] == "" and ours["response"]["confidence"] == 0.0
