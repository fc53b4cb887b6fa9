"""A Russian tokenizer for Rasa that gives every token its pymorphy lemma.

Featurizers (`use_lemma: true` is CountVectorsFeaturizer's default) then see «офис» for
«офисы», «офисов», «офисе». Tokens are runs of letters or runs of digits; punctuation and
symbols (₽, %, ²) are dropped, as Rasa's WhitespaceTokenizer drops them, so that an entity
span ending in «700 м²» or «5%» covers exactly the tokens our extractors report. Splitting
digits from letters makes «45м2», «500к», «3-комнатная» several tokens, so an annotation
covering the whole expression always covers whole tokens (RasaHQ/rasa#7409: an annotation
that does not is silently ignored).
"""

from __future__ import annotations

import functools
from typing import Any, Dict, List, Optional, Text

import regex
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

TOKEN = regex.compile(r"\p{L}+|\d+")
MAX_CHARS = 4000  # a longer message is a paste, not a sentence: featurise its beginning


from wewall.nlu.morph import analyzer as _morph  # noqa: E402


@functools.lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The most likely normal form, lowercase, ё → е. Digits and symbols are their own lemma."""
    low = word.lower().replace("ё", "е")
    if not low.isalpha() or not regex.match(r"\p{Cyrillic}", low):
        return low
    return _morph().parse(low)[0].normal_form.replace("ё", "е")


def tokenize_text(text: str) -> List[tuple]:
    """(text, start, lemma) of each token: the same splitting for training and for extractors."""
    return [(m.group(), m.start(), lemma(m.group())) for m in TOKEN.finditer(text[:MAX_CHARS])]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class RussianTokenizer(Tokenizer):
    @staticmethod
    def not_supported_languages() -> Optional[List[Text]]:
        return None

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RussianTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        tokens = [Token(t, start, lemma=lem) for t, start, lem in tokenize_text(text)]
        if not tokens:
            # Rasa needs at least one token; an empty or symbol-only message gets a neutral one.
            tokens = [Token("", 0, lemma="")]
        return self._apply_token_pattern(tokens)
