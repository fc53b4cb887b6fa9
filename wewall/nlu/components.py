"""Rasa 3.6 graph components of ours (named in config.yml by module path)."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

log = logging.getLogger(__name__)

STATIONS_FILE = "stations.json"
MAX_CHARS = 4000


def _stations_from_storage() -> List[str]:
    from wewall import storage

    return [s["name"] for s in storage.list_stations(storage.get_db(), {"name": 1})]


def _station_names(config: Dict[Text, Any]) -> List[str]:
    return config.get("stations") or _stations_from_storage()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class WewallEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Numbers with units, metro stations, catalogue values, phones and names.

    Trainable only to freeze the station list into the model: training reads the stations in
    the document store, so a station added to the data is recognised after retraining, and a
    running server does not depend on the store to understand a message.

    The list is an input of training that Rasa's graph does not see, so its hash is part of the
    component's fingerprint: `rasa train` after a station import retrains this component, and
    restores it (and everything else unchanged) from Rasa's cache otherwise.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"stations": None}  # a fixed list instead of the store (tests)

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        names = json.dumps(_station_names(config), ensure_ascii=False)
        return hashlib.sha256(names.encode("utf-8")).hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        station_names: Optional[List[str]] = None,
    ) -> None:
        from wewall.nlu.entities import EntityExtractor

        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.extractor = EntityExtractor(station_names or [])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> WewallEntityExtractor:
        return cls(config, model_storage, resource, config.get("stations") or [])

    def train(self, training_data: TrainingData) -> Resource:
        names = _station_names(self._config)
        if not names:
            log.warning("в хранилище нет станций метро: станции распознаваться не будут (wewall data load-demo)")
        with self._model_storage.write_to(self._resource) as folder:
            (folder / STATIONS_FILE).write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")
        from wewall.nlu.entities import EntityExtractor

        self.extractor = EntityExtractor(names)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> WewallEntityExtractor:
        try:
            with model_storage.read_from(resource) as folder:
                names = json.loads((folder / STATIONS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            log.warning("в модели нет списка станций: станции распознаваться не будут")
            names = []
        component = cls(config, model_storage, resource, names)
        component.extractor.warm_up()  # at model load, not on a client's first message
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = (message.get(TEXT) or "")[:MAX_CHARS]
            try:
                found = self.extractor.extract(text)
            except Exception:  # one odd message must never take the server down
                log.exception("entity extraction failed")
                continue
            entities = message.get(ENTITIES, [])
            for ent in found:
                ent = dict(ent)
                ent.setdefault("confidence_entity", ent.pop("confidence", 1.0))
                ent["extractor"] = self.__class__.__name__
                entities.append(ent)
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
