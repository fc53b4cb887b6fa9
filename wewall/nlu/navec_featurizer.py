"""Dense word features from navec (the embeddings natasha's wheel ships), for DIET.

Each token gets the navec vector of its lowercase text, or of its pymorphy lemma when the
form is not in navec's 250 000 words, or zeros (digits, typos, Latin); the sentence feature is
the mean of the tokens' non-zero vectors. Nothing is trained or downloaded: the vectors are
read from natasha's package data (26 MB, ~1 s) once per process, and shared with natasha's NER
(wewall/nlu/embeddings.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, FEATURIZER_CLASS_ALIAS, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import MEAN_POOLING, POOLING

from wewall.nlu.embeddings import load_navec
from wewall.nlu.graph import ConfigOnlyFeaturizer


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class NavecFeaturizer(ConfigOnlyFeaturizer, DenseFeaturizer, GraphComponent):
    """Dense sequence and sentence features from navec vectors of token texts or lemmas."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            POOLING: MEAN_POOLING,
            # None: the file in natasha's wheel.
            "path": None,
            # Look the lemma up first («офисов» → «офис»), falling back to the form.
            "prefer_lemma": False,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["navec", "natasha"]

    def __init__(self, config: Dict[Text, Any], execution_context: ExecutionContext) -> None:
        super().__init__(config, execution_context)
        self.pooling_operation = self._config[POOLING]
        self.navec = load_navec(self._config["path"])
        self.dim = self.navec.pq.dim

    def _vector(self, token: Token) -> np.ndarray:
        form = token.text.lower()
        lem = (token.lemma or form).lower()
        keys = (lem, form, form.replace("ё", "е")) if self._config["prefer_lemma"] else (form, form.replace("ё", "е"), lem)
        for key in keys:
            if key and key in self.navec:
                return self.navec[key]
        return np.zeros(self.dim, dtype=np.float32)

    def features_for_tokens(self, tokens: List[Token]) -> Tuple[np.ndarray, np.ndarray]:
        sequence = np.stack([self._vector(t) for t in tokens]).astype(np.float32)
        sentence = self.aggregate_sequence_features(sequence, self.pooling_operation)
        return sequence, sentence.astype(np.float32)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                tokens = message.get(TOKENS_NAMES[attribute])
                if not tokens:
                    continue
                sequence, sentence = self.features_for_tokens(tokens)
                alias = self._config[FEATURIZER_CLASS_ALIAS]
                message.add_features(Features(sequence, FEATURE_TYPE_SEQUENCE, attribute, alias))
                message.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, attribute, alias))
        return messages
