"""Rasa GraphComponent plumbing shared by our featurizers that are built from their config
alone (nothing trained, nothing persisted)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Text, Type

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


class ConfigOnlyFeaturizer:
    """Put before a Rasa featurizer base: `class F(ConfigOnlyFeaturizer, DenseFeaturizer, GraphComponent)`.
    Subclasses implement `process(messages)`; training data goes through the same path."""

    def __init__(self, config: Dict[Text, Any], execution_context: ExecutionContext) -> None:
        # A mixin: the next class in the MRO is Rasa's featurizer, which takes these arguments.
        super().__init__(execution_context.node_name, config)  # type: ignore[call-arg]

    @classmethod
    def required_components(cls) -> List[Type]:
        # Our features read tokens; it also keeps a message without tokens (a «/intent» command) out.
        return [Tokenizer]

    if TYPE_CHECKING:  # what the subclasses implement

        def process(self, messages: List[Message]) -> List[Message]: ...

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext):
        return cls(config, execution_context)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
