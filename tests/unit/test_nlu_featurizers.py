"""Our dense (navec) and sparse (entity type) featurizers: shapes, lookups, alignment."""

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wewall.nlu.tokenizer import RussianTokenizer


def _context(name):
    return ExecutionContext(GraphSchema({}), name)


def _tokenized(text, entities=None):
    msg = Message({TEXT: text})
    if entities is not None:
        msg.set(ENTITIES, entities)
    RussianTokenizer(RussianTokenizer.get_default_config()).process([msg])
    return msg


@pytest.fixture(scope="module")
def navec_featurizer():
    from wewall.nlu.navec_featurizer import NavecFeaturizer

    config = {**NavecFeaturizer.get_default_config(), "alias": "navec"}
    return NavecFeaturizer(config, _context("navec"))


def test_navec_features_per_token_and_sentence(navec_featurizer):
    msg = _tokenized("ищу офисов 700 у Белорусской")
    navec_featurizer.process([msg])
    seq, sent = msg.get_dense_features(TEXT)
    tokens = msg.get(TOKENS_NAMES[TEXT])
    assert seq.features.shape == (len(tokens), 300)
    assert sent.features.shape == (1, 300)
    # «700» is not in navec: a zero row, left out of the sentence mean.
    rows = {t.text: seq.features[i] for i, t in enumerate(tokens)}
    assert not rows["700"].any()
    assert rows["офисов"].any() and rows["Белорусской"].any()
    nonzero = seq.features[[r.any() for r in seq.features]]
    assert np.allclose(sent.features[0], nonzero.mean(axis=0), atol=1e-5)


def test_navec_falls_back_to_the_lemma(navec_featurizer):
    # «Подбери» (imperative) is not one of navec's words, its lemma «подобрать» is.
    msg = _tokenized("Подбери")
    navec_featurizer.process([msg])
    seq, _ = msg.get_dense_features(TEXT)
    assert seq.features.any()


def test_navec_training_data(navec_featurizer):
    data = TrainingData([_tokenized("привет"), _tokenized("офис в аренду")])
    navec_featurizer.process_training_data(data)
    assert all(m.get_dense_features(TEXT)[0] is not None for m in data.training_examples)


def test_navec_is_read_once_for_the_featurizer_and_natashas_ner(monkeypatch):
    """natasha's NER used to read its own copy of the same 26 MB file (NewsEmbedding())."""
    from navec import Navec

    from wewall.nlu import contacts, embeddings
    from wewall.nlu.navec_featurizer import NavecFeaturizer

    read = []
    real = Navec.load.__func__
    monkeypatch.setattr(Navec, "load", classmethod(lambda cls, path: read.append(path) or real(cls, path)))
    monkeypatch.setattr(contacts, "_models", None)
    embeddings._load.cache_clear()
    featurizer = NavecFeaturizer({**NavecFeaturizer.get_default_config(), "alias": "navec"}, _context("navec"))
    _, tagger = contacts._natasha()
    assert len(read) == 1
    text = "Меня зовут Анна Петрова"
    assert [(text[s.start:s.stop], s.type) for s in tagger(text).spans] == [("Анна Петрова", "PER")]
    assert featurizer.navec is embeddings.load_navec(str(embeddings.default_path()))


def test_entity_type_features_mark_the_entity_tokens():
    from wewall.nlu.entity_featurizer import ENTITY_TYPES, EntityTypeFeaturizer

    featurizer = EntityTypeFeaturizer({**EntityTypeFeaturizer.get_default_config(), "alias": "ent"}, _context("ent"))
    text = "офис у Белорусской"
    msg = _tokenized(text, [
        {"entity": "estate_type", "value": "office", "start": 0, "end": 4},
        {"entity": "metro_station", "value": "Белорусская", "start": 7, "end": len(text)},
    ])
    featurizer.process([msg])
    seq, sent = msg.get_sparse_features(TEXT)
    seq, sent = seq.features.toarray(), sent.features.toarray()
    col = {name: i for i, name in enumerate(ENTITY_TYPES)}
    assert seq.shape == (3, len(ENTITY_TYPES))
    assert seq[0, col["estate_type"]] == 1 and seq[1].sum() == 0 and seq[2, col["metro_station"]] == 1
    assert sent[0].sum() == 2 and sent[0, col["metro_station"]] == 1


def test_entity_type_features_without_entities_are_zero():
    from wewall.nlu.entity_featurizer import EntityTypeFeaturizer

    featurizer = EntityTypeFeaturizer({**EntityTypeFeaturizer.get_default_config(), "alias": "ent"}, _context("ent"))
    msg = _tokenized("спасибо")
    featurizer.process([msg])
    seq, sent = msg.get_sparse_features(TEXT)
    assert seq.features.nnz == 0 and sent.features.nnz == 0


# A bare «полторы тысячи» is money to the extractor; the form answer it stands for is a number.
KNOWN_DIFFERENCES = {"полторы тысячи"}


def test_training_annotations_are_what_the_extractor_finds():
    """EntityTypeFeaturizer learns from the annotations and runs on the extractor's output:
    the two must agree on data/nlu (entity and value; spans may differ by a unit symbol)."""
    import logging
    from pathlib import Path

    from rasa.shared.nlu.training_data.loading import load_data

    from wewall.nlu.entities import EntityExtractor

    logging.getLogger("rasa").setLevel(logging.ERROR)
    examples = load_data(str(Path(__file__).resolve().parents[2] / "data" / "nlu")).nlu_examples
    stations = sorted({str(e["value"]) for m in examples for e in m.get(ENTITIES) or []
                       if e["entity"] == "metro_station"})
    extractor = EntityExtractor(stations)

    def norm(entities):
        out = []
        for e in entities:
            try:
                value = float(e.get("value"))
            except (TypeError, ValueError):
                value = str(e.get("value"))
            out.append((e["entity"], value))
        return sorted(out, key=str)

    problems = [
        f"{m.get(TEXT)!r}: annotated {norm(m.get(ENTITIES) or [])}, found {norm(extractor.extract(m.get(TEXT)))}"
        for m in examples
        if m.get(TEXT) not in KNOWN_DIFFERENCES
        and norm(m.get(ENTITIES) or []) != norm(extractor.extract(m.get(TEXT)))
    ]
    assert not problems, "\n".join(problems)
