"""Sparse features saying which entity types a message holds, for DIET's intent classifier.

Bare values («триста», «Тверская», «я Игорь», «ПСН подойдёт») are `inform` because of what they
are, not because of their words: DIET cannot learn every station and name from a thousand
examples, but it learns «a metro_station and nothing else» at once. Each token gets a one-hot of
the entity type covering it, the sentence gets the set of types present.

The entities come from the message: at training, the annotations of the training data; at
inference, what `WewallEntityExtractor` found — so the extractor must come before this
featurizer (and before DIET) in config.yml. Its F1 on the held-out set is ~1.0, so the two
sources agree. The vocabulary is the fixed list of the NLU catalogue's entity types: nothing
is trained.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
import scipy.sparse
from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS, TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.shared.nlu.constants import ENTITIES, FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from wewall.nlu.entities import PRIORITY
from wewall.nlu.graph import ConfigOnlyFeaturizer

ENTITY_TYPES = sorted(PRIORITY)
INDEX = {name: i for i, name in enumerate(ENTITY_TYPES)}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class EntityTypeFeaturizer(ConfigOnlyFeaturizer, SparseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**SparseFeaturizer.get_default_config()}

    def _featurize(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        if not tokens:
            return
        seq = np.zeros((len(tokens), len(ENTITY_TYPES)), dtype=np.float32)
        sent = np.zeros((1, len(ENTITY_TYPES)), dtype=np.float32)
        for ent in message.get(ENTITIES) or []:
            col = INDEX.get(ent.get("entity"))
            if col is None:
                continue
            sent[0, col] = 1.0
            for i, tok in enumerate(tokens):
                if tok.start < ent["end"] and tok.end > ent["start"]:
                    seq[i, col] = 1.0
        alias = self._config[FEATURIZER_CLASS_ALIAS]
        message.add_features(Features(scipy.sparse.coo_matrix(seq), FEATURE_TYPE_SEQUENCE, TEXT, alias))
        message.add_features(Features(scipy.sparse.coo_matrix(sent), FEATURE_TYPE_SENTENCE, TEXT, alias))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._featurize(message)
        return messages
