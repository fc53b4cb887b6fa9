"""A Russian spaCy pipeline built from what ships in wheels, for Rasa's SpacyNLP / SpacyTokenizer
/ SpacyFeaturizer (no `spacy download`: Russian models cannot be downloaded here).

    python -m wewall.nlu.spacy_ru models/spacy_ru      # build and nlp.to_disk (make spacy-ru)

- tokens: runs of letters or digits as in `wewall.nlu.tokenizer.RussianTokenizer` («45м2» →
  «45», «м», «2»; annotations stay on whole tokens), symbols kept as tokens of their own;
- `wewall_ru_morph`: part of speech and morphology from natasha's slovnet tagger (its wheel
  ships the model and the navec vectors it needs), the lemma from pymorphy2 (the same
  `lemma()` as RussianTokenizer, so the bag of lemmas is unchanged);
- vectors: navec's 250 000 words × 300, read from natasha's wheel when the pipeline runs (the
  saved table is empty, 300 wide, so spaCy and Rasa see vectors of that width): unpacked into
  spaCy's own table they took 304 MB on disk, a minute to build and as much memory in every
  process, for the same numbers. A token reads the vector of its lowercase form, else of its
  lemma, else zeros.

The tokenizer and the component are registered when this module is imported; a saved pipeline names it, so it is
loaded through `wewall.nlu.spacy_ru.SpacyNLP`, which is Rasa's SpacyNLP plus that import.
"""


import sys
from pathlib import Path
from typing import Any, Dict, List, Text

import numpy
import regex
import spacy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyNLP as RasaSpacyNLP
from spacy.language import Language
from spacy.tokens import Doc

MORPH = "wewall_ru_morph"
TOKENIZER = "wewall_ru_tokenizer.v1"


def _slovnet_path() -> Path:
    import natasha

    return Path(natasha.__file__).parent / "data" / "model" / "slovnet_morph_news_v1.tar"


class RussianMorph:
    """POS, morphology and lemma of every token (slovnet + pymorphy2), loaded once."""

    def __init__(self) -> None:
        self._tagger: Any = None  # slovnet's Morph, loaded on first use

    def _load(self):
        from slovnet import Morph

        from wewall.nlu.navec_featurizer import load_navec

        tagger = Morph.load(str(_slovnet_path()), batch_size=8)
        tagger.navec(load_navec())
        return tagger

    def __call__(self, doc: Doc) -> Doc:
        from wewall.nlu.tokenizer import lemma

        if self._tagger is None:
            self._tagger = self._load()
        # navec is lowercase and spaCy looks vectors up by the exact form: read the lowercase
        # form, else the lemma (as NavecFeaturizer does)
        doc.user_token_hooks["vector"] = _vector
        doc.user_token_hooks["has_vector"] = lambda t: _vector(t).any()
        words = [t.text for t in doc if not t.is_space]
        tags = iter(self._tagger(words).tokens if words else [])
        for token in doc:
            token.lemma_ = lemma(token.text)
            if token.is_space:
                continue
            tag = next(tags)
            token.pos_ = tag.pos
            # spaCy 3.4's Token stub lacks set_morph (the Cython class has it).
            token.set_morph("|".join(f"{k}={v}" for k, v in sorted(tag.feats.items())) or None)  # type: ignore[attr-defined]
        return doc


def _vector(token):
    from wewall.nlu.navec_featurizer import load_navec

    navec = load_navec()
    for key in (token.lower_, token.lemma_):
        # navec's own «<unk>» and «<pad>» are not words
        if key and not key.startswith("<") and key in navec:
            return navec[key]
    return numpy.zeros((navec.pq.dim,), dtype="float32")


class RussianTokenizer:
    """Runs of letters, runs of digits, single symbols (RussianTokenizer's splitting, with the
    punctuation kept as tokens so that the Doc's text is the message's)."""

    TOKEN = regex.compile(r"\p{L}+|\d+|[^\s\p{L}\d]")

    def __init__(self, vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words: List[str] = []
        spaces: List[bool] = []
        pos = 0
        for m in list(self.TOKEN.finditer(text)) + [None]:
            start = m.start() if m else len(text)
            gap = text[pos:start]
            if gap and words and not spaces[-1] and gap[0] == " ":
                spaces[-1] = True
                gap = gap[1:]
            if gap:
                words.append(gap)
                spaces.append(False)
            if m:
                words.append(m.group())
                spaces.append(False)
                pos = m.end()
        return Doc(self.vocab, words=words, spaces=spaces)

    def to_disk(self, path, **kwargs):
        pass

    def from_disk(self, path, **kwargs):
        return self

    def to_bytes(self, **kwargs):
        return b""

    def from_bytes(self, data, **kwargs):
        return self


@spacy.registry.tokenizers(TOKENIZER)
def _make_tokenizer():
    return lambda nlp: RussianTokenizer(nlp.vocab)


@Language.factory(MORPH)
def _make_morph(nlp: Language, name: str) -> RussianMorph:
    return RussianMorph()


def build(out: Path) -> Path:
    from wewall.nlu.navec_featurizer import load_navec

    nlp = spacy.blank("ru", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}})
    nlp.add_pipe(MORPH)
    from spacy.vectors import Vectors

    # no rows, navec's width: the token hooks read navec itself
    nlp.vocab.vectors = Vectors(shape=(0, load_navec().pq.dim), name="navec_news_v1")
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    return out


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(RasaSpacyNLP):
    """Rasa's SpacyNLP, named so (SpacyTokenizer and SpacyFeaturizer find their model provider
    by that class name); importing this module registers our tokenizer and component."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**RasaSpacyNLP.get_default_config(), "model": "models/spacy_ru"}


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "models/spacy_ru")))
