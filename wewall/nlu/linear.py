"""A linear intent classifier over the sparse features, blended with DIET's ranking.

On a few thousand sentences DIET without a transformer is over-confident: it learns the training
sentences by heart and ranks a new phrasing with certainty, right or wrong. A logistic regression
over the same sparse features (word and character n-grams, lexical and entity-type features),
weighted by TF-IDF, generalises better on them; averaging the two probability distributions keeps
what each gets right (the figures that chose it, and the blend weight: docs/nlu.md, «Линейный
классификатор»). Nothing new is featurised: the classifier reads the features DIET reads, so it
costs well under a millisecond a message.

It goes right after DIET in config.yml and rewrites `intent` and `intent_ranking`; the button
titles, the response selector and FallbackClassifier come after it and see the blend.

A request that opens with a greeting («здрасте, подберите мне офис») is read without it. Clients
greet in the first message as often as not, and a greeting's words weigh more than a short
request's: DIET, which sees the message whole, ranks it `greet`. The classifier has each token's
features, so it classifies the tokens after the greeting alone, and takes that reading when there
are two words or more and it is sure of something other than small talk; «добрый день вам» and
«здравствуйте бот» stay `greet`.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any, Dict, List, Optional, Text

import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

log = logging.getLogger(__name__)

MODEL_FILE = "linear_intent.pkl"

# Greetings as the tokenizer's lemmas, one word or two; a message may open with several
# («привет, добрый день»). The words after them are the request.
GREETINGS = {
    ("привет",), ("приветик",), ("приветствовать",), ("здравствуйте",), ("здравствуй",), ("здрасте",),
    ("здорово",), ("здаров",), ("салют",), ("хай",), ("hi",), ("hello",), ("добрый", "день"),
    ("добрый", "утро"), ("добрый", "вечер"), ("добрый", "время"), ("сутки",), ("весь",),
}
# words that only go with a greeting («всем привет», «доброго времени суток»), never one alone
CONTINUATIONS = {("сутки",), ("весь",)}
SMALL_TALK = {"greet", "thank", "goodbye"}


def greeting_length(lemmas: List[str]) -> int:
    """How many of the first tokens are a greeting (0 if the message does not open with one)."""
    i = 0
    greeted = False
    while i < len(lemmas):
        found = next((g for g in GREETINGS if tuple(lemmas[i:i + len(g)]) == g), None)
        if found is None:
            break
        greeted = greeted or found not in CONTINUATIONS
        i += len(found)
    return i if greeted else 0


def sentence_vector(message: Message, skip: int = 0) -> Optional[scipy.sparse.csr_matrix]:
    """The message's sparse token features summed over its tokens (a bag of every feature),
    without its first `skip` tokens."""
    sequence, _ = message.get_sparse_features(TEXT)
    if sequence is None:
        return None
    return scipy.sparse.csr_matrix(scipy.sparse.csr_matrix(sequence.features)[skip:].sum(axis=0))


def blend(linear: Dict[str, float], before: List[dict], weight: float) -> Dict[str, float]:
    """`weight` × the linear distribution + the rest × the ranking already on the message.

    The ranking before may be cut to its first names (DIET's `ranking_length`): an intent missing
    from it counts as 0 there. With no ranking before, the linear one alone.
    """
    if not before:
        return dict(linear)
    prior = {r["name"]: float(r.get("confidence") or 0.0) for r in before if r.get("name")}
    names = set(linear) | set(prior)
    return {n: weight * linear.get(n, 0.0) + (1.0 - weight) * prior.get(n, 0.0) for n in names}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 30.0,  # inverse regularisation of the logistic regression
            "weight": 0.5,  # share of this classifier in the blend with the ranking before it
            "ranking_length": 10,
            "max_iter": 3000,
            # the reading of a request after a greeting is taken from this confidence on
            "after_greeting_confidence": 0.6,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[tuple] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._tfidf, self._lr = model if model else (None, None)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.linear_model import LogisticRegression

        rows, labels = [], []
        for message in training_data.intent_examples:
            vector = sentence_vector(message)
            if vector is not None and message.get(INTENT):
                rows.append(vector)
                labels.append(message.get(INTENT))
        if len(set(labels)) < 2:
            log.warning("линейному классификатору нужно хотя бы два интента: он не обучен")
            return self._resource
        tfidf = TfidfTransformer(sublinear_tf=True)
        features = tfidf.fit_transform(scipy.sparse.vstack(rows).tocsr())
        lr = LogisticRegression(C=self._config["C"], max_iter=self._config["max_iter"], class_weight="balanced")
        lr.fit(features, labels)
        self._tfidf, self._lr = tfidf, lr
        with self._model_storage.write_to(self._resource) as folder:
            (folder / MODEL_FILE).write_bytes(pickle.dumps((tfidf, lr)))
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LinearIntentClassifier:
        model = None
        try:
            with model_storage.read_from(resource) as folder:
                # our own model file, written by `train` above into the model archive
                model = pickle.loads((folder / MODEL_FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            log.warning("в модели нет линейного классификатора интентов: интент определяет только DIET")
        return cls(config, model_storage, resource, model)

    def _distribution(self, vector: scipy.sparse.csr_matrix) -> Dict[str, float]:
        probabilities = self._lr.predict_proba(self._tfidf.transform(vector))[0]
        return {str(name): float(p) for name, p in zip(self._lr.classes_, probabilities)}

    def _after_greeting(self, message: Message) -> Optional[Dict[str, float]]:
        """The distribution of the words after an opening greeting, if it is sure of a request."""
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        skip = greeting_length([(t.lemma or t.text).lower() for t in tokens])
        # one word after a greeting is whom it greets («здравствуйте бот»), not a request
        if not skip or len(tokens) - skip < 2:
            return None
        rest = self._distribution(sentence_vector(message, skip))
        best = max(rest, key=rest.__getitem__)
        if best in SMALL_TALK or rest[best] < self._config["after_greeting_confidence"]:
            return None
        return rest

    def process(self, messages: List[Message]) -> List[Message]:
        if self._lr is None:
            return messages
        for message in messages:
            vector = sentence_vector(message)
            if vector is None or not message.get(TEXT):
                continue
            if vector.shape[1] != self._tfidf.idf_.shape[0]:
                log.error("признаков %s, а классификатор обучен на %s: интент определяет только DIET",
                          vector.shape[1], self._tfidf.idf_.shape[0])
                continue
            scores = self._after_greeting(message)
            if scores is None:
                linear = self._distribution(vector)
                scores = blend(linear, message.get(INTENT_RANKING_KEY) or [], self._config["weight"])
            ranking = [{"name": n, "confidence": s} for n, s in
                       sorted(scores.items(), key=lambda kv: kv[1], reverse=True)]
            ranking = ranking[: self._config["ranking_length"]]
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
