"""A button's title typed by hand means its tap (`wewall.dialogue.buttons` says why and which)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

log = logging.getLogger(__name__)

TITLES_FILE = "button_titles.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ButtonTitleClassifier(GraphComponent):
    """After DIET: a message that is a button's title gets that button's intent and entities.

    Trainable only to freeze the titles into the model: training reads the domain and the code
    of the project it is trained in (`project_root`), so a running server needs neither.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"project_root": ".", "titles": None}  # `titles`: a fixed map instead (tests)

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """The titles are an input of training (Rasa's cache must retrain when a button changes)."""
        titles = json.dumps(cls._titles(config), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(titles.encode("utf-8")).hexdigest()

    @staticmethod
    def _titles(config: Dict[Text, Any]) -> Dict[str, str]:
        from wewall.dialogue.buttons import all_buttons, title_map

        return config.get("titles") or title_map(all_buttons(Path(config.get("project_root") or ".")))

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 titles: Optional[Dict[str, str]] = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.titles: Dict[str, str] = dict(titles or {})

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ButtonTitleClassifier:
        return cls(config, model_storage, resource, config.get("titles"))

    def train(self, training_data: TrainingData) -> Resource:
        titles = self._titles(self._config)
        with self._model_storage.write_to(self._resource) as folder:
            (folder / TITLES_FILE).write_text(json.dumps(titles, ensure_ascii=False), encoding="utf-8")
        self.titles = titles
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ButtonTitleClassifier:
        try:
            with model_storage.read_from(resource) as folder:
                titles = json.loads((folder / TITLES_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            log.warning("в модели нет названий кнопок: набранные вручную кнопки понимает только классификатор")
            titles = {}
        return cls(config, model_storage, resource, titles)

    def process(self, messages: List[Message]) -> List[Message]:
        from wewall.dialogue.buttons import match, parse_payload

        for message in messages:
            text = message.get(TEXT) or ""
            if len(text) > 80:
                continue
            payload = match(text, self.titles)
            parsed = parse_payload(payload) if payload else None
            if parsed is None:
                continue
            intent, entities = parsed
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != intent]
            message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}] + ranking, add_to_output=True)
            if entities:
                found = message.get(ENTITIES, [])
                known = {(e.get("entity"), str(e.get("value"))) for e in found}
                for ent in entities:
                    if (ent["entity"], str(ent["value"])) not in known:
                        found.append({**ent, "start": 0, "end": len(text), "confidence_entity": 1.0,
                                      "extractor": self.__class__.__name__})
                message.set(ENTITIES, found, add_to_output=True)
        return messages
