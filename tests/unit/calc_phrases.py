"""Shared by the calculation phrase tests: a message read as the bot reads it (the real entity
extractor, then `interpret`), on a fixed date."""

from __future__ import annotations

import datetime as dt
import functools
import json

from wewall.data.demo import DEMO_STATIONS
from wewall.dialogue import calculation as calc

TODAY = dt.date(2026, 12, 5)
NAMES = {name.lower().replace("ё", "е"): name for name, *_ in DEMO_STATIONS}


@functools.lru_cache(maxsize=1)
def extractor():
    from wewall.nlu.entities import EntityExtractor

    return EntityExtractor([name for name, *_ in DEMO_STATIONS])


def ctx(today: dt.date = TODAY) -> calc.Context:
    return calc.Context(
        today,
        lambda name: NAMES.get(name.lower().replace("ё", "е").strip()),
        lambda text: [],
    )


def payload_entities(text: str) -> list:
    """`/inform{"finish":"shell"}`: the entities Rasa takes from a button's payload."""
    body = text[text.index("{"):] if "{" in text else "{}"
    return [{"entity": k, "value": v} for k, v in json.loads(body).items()]


def read(text: str, slots: dict, requested, intent: str = "inform", today: dt.date = TODAY) -> calc.Outcome:
    entities = payload_entities(text) if text.startswith("/") else extractor().extract(text)
    return calc.interpret(calc.Turn(intent, entities, text), slots, requested, ctx(today))
