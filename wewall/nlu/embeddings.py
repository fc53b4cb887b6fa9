"""navec word embeddings from natasha's wheel, loaded once per process.

Two parts of the pipeline use them: the navec featurizer (DIET's dense features) and natasha's
NER tagger (names, wewall/nlu/contacts.py). natasha's own `NewsEmbedding()` would read the
same 26 MB file a second time into a second copy; both take this one (the tagger only reads it).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"


def default_path() -> Path:
    import natasha

    return Path(natasha.__file__).parent / "data" / "emb" / NAVEC_FILE


def load_navec(path: Optional[str] = None):
    """The navec at `path` (None: the file in natasha's wheel); one object per file and process."""
    return _load(str(Path(path or default_path()).resolve()))


@functools.lru_cache(maxsize=2)
def _load(path: str):
    from navec import Navec

    return Navec.load(path)
