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
