"""The spaCy pipeline's tokenizer (wewall/nlu/spacy_ru.py) splits as RussianTokenizer does."""

import pytest
import regex

pytest.importorskip("spacy")


@pytest.mark.parametrize("text", [
    "Нужен офис 45м2 у Белорусской за 500к, бюджет 3,5 млн",
    "  два  пробела\nи перевод строки ",
    "офис 700 м² и 5% — «класс А»!",
    "",
    "ofis klass A s otdelkoy",
])
def test_spacy_tokens_are_russian_tokenizer_tokens(text):
    import spacy

    from wewall.nlu.spacy_ru import TOKENIZER
    from wewall.nlu.tokenizer import tokenize_text

    nlp = spacy.blank("ru", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}})
    doc = nlp(text)
    assert doc.text == text  # offsets of tokens are offsets in the message
    word = regex.compile(r"\p{L}+|\d+")
    words = [(t.text, t.idx) for t in doc if word.fullmatch(t.text)]
    assert words == [(w, start) for w, start, _ in tokenize_text(text)]
    # symbols are tokens of their own, spaces are not tokens Rasa sees
    assert all(len(t.text) == 1 for t in doc if t.text.strip() and not word.fullmatch(t.text))


def test_the_saved_pipeline_is_small_and_reads_navec_vectors(tmp_path):
    """`make install` saves it (nlp.to_disk) without a vector table; tokens still read navec:
    the form's vector, else the lemma's, else zeros, 300 wide as Rasa's SpacyFeaturizer expects."""
    import numpy as np
    import spacy

    from wewall.nlu import spacy_ru
    from wewall.nlu.embeddings import load_navec

    out = spacy_ru.build(tmp_path / "spacy_ru")
    assert sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) < 1_000_000
    nlp = spacy.load(out)
    assert nlp.vocab.vectors_length == 300
    navec = load_navec()
    doc = nlp("Офисов у метро qwxz 45")
    np.testing.assert_array_equal(doc[0].vector, navec["офисов"])
    np.testing.assert_array_equal(doc[2].vector, navec["метро"])
    assert not doc[3].vector.any() and not doc[3].has_vector  # unknown Latin
    assert doc[0].lemma_ == "офис" and doc[0].pos_ == "NOUN"
