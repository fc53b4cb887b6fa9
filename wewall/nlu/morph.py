"""The one pymorphy2 analyzer of the process: the tokenizer, the lexicon, the station matcher and
the name guard all use it (each analyzer costs ~15 MB and a dictionary load)."""

import functools


@functools.lru_cache(maxsize=1)
def analyzer():
    import pymorphy2

    return pymorphy2.MorphAnalyzer()
