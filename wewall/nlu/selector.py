"""Rasa's ResponseSelector, asked only when the message's intent is a retrieval intent (`faq`).

The selector's answer is read by `utter_faq` alone, yet Rasa runs its TensorFlow model on every
message, most of them not questions (its share of the server's CPU: docs/benchmarks.md). DIETClassifier runs before it in the pipeline, so the intent
is known here. Any other message gets the same output keys with an empty prediction, so that
`/model/parse` and `rasa test nlu` keep their shape. Training is the ResponseSelector's own.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message


def asks_retrieval(message: Message, retrieval_intents: List[str]) -> bool:
    return ((message.get(INTENT) or {}).get(INTENT_NAME_KEY)) in retrieval_intents


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RetrievalResponseSelector(ResponseSelector):
    """`name: wewall.nlu.selector.RetrievalResponseSelector`, after DIETClassifier in config.yml."""

    def process(self, messages: List[Message]) -> List[Message]:
        intents = self.retrieval_intents()
        super().process([m for m in messages if asks_retrieval(m, intents)])
        for message in messages:
            if not asks_retrieval(message, intents):
                self._set_message_property(message, self._no_prediction(), self._selector_key())
        return messages

    def retrieval_intents(self) -> List[str]:
        return [self.retrieval_intent] if self.retrieval_intent else self.all_retrieval_intents

    def _selector_key(self) -> str:
        return self.retrieval_intent or RESPONSE_SELECTOR_DEFAULT_INTENT

    @staticmethod
    def _no_prediction() -> dict:
        return {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                RESPONSE_SELECTOR_RESPONSES_KEY: None,
                PREDICTED_CONFIDENCE_KEY: 0.0,
                INTENT_RESPONSE_KEY: "",  # a string, as `rasa test nlu` compares keys
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: "",
            },
            RESPONSE_SELECTOR_RANKING_KEY: [],
        }
