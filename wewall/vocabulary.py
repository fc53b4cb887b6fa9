"""The values the bot's features share and their Russian labels, in one place: the calculator,
the calculation and search dialogues, the offer card and the manager's summary in amoCRM.

A value means one thing everywhere. Two maps of the same values exist only where they answer
different questions: a zone an offer is in (`OFFER_ZONES`) is not a zone a client limits a search
to (`ZONES`), and what a search asks of the finish (`SEARCH_FINISHES`) is not the finish a unit has.

Finish and repairs are one concept seen from two sides: `FINISHES` is the state of a unit (the
entity `finish`, offers, the search), `REPAIRS` the work still to do before it is let (the finance
model's input, and the calculation's question «Какой ремонт нужно сделать?»); `REPAIRS_OF_FINISH`
turns one into the other.
"""

from __future__ import annotations

ANY = "any"  # «не важно» in a search

KINDS = ("finished_office", "building_office", "finished_retail", "building_retail")
KIND_NAMES = {
    "finished_office": "готовый офис",
    "building_office": "офис в строящемся здании",
    "finished_retail": "готовое торговое помещение",
    "building_retail": "торговое помещение в строящемся здании",
}

ESTATE_TYPES = {"office": "офис", "retail": "торговое помещение", ANY: "любое помещение"}
DEALS = {"sale": "покупка", "rent": "аренда"}
PURPOSES = {"investment": "для инвестиций", "business": "для своего бизнеса"}

# the limit of a search
ZONES = {"sadovoe": "внутри Садового кольца", "ttk": "внутри ТТК", "mkad": "внутри МКАД", ANY: "любая"}
# where an offer is (wewall.search: the zone of its address)
OFFER_ZONES = {"ttk": "внутри ТТК", "mkad": "между ТТК и МКАД", "outside": "за МКАД"}

FINISHES = {"ready": "с отделкой", "partial": "частичная отделка", "shell": "без отделки"}
SEARCH_FINISHES = {"ready": "только с отделкой", ANY: "любая"}
SEARCH_READINESS = {"ready": "только готовые", ANY: "можно строящиеся"}

REPAIRS = ("full", "partial", "none")
# What is still to be done, never the finish the unit has: «без отделки» read both ways.
REPAIRS_NAMES = {"full": "нужен полный ремонт", "partial": "нужен частичный ремонт", "none": "ремонт не нужен, помещение готово"}
# the fit-out line of the result («отделка (полная) — 7 млн ₽»): no fit-out, no line
FITOUT_NAMES = {"full": "полная", "partial": "частичная"}
REPAIRS_OF_FINISH = {"shell": "full", "partial": "partial", "ready": "none"}


def label(mapping: dict, value: object) -> str:
    """The label of a value, or the value itself when the map does not know it."""
    if isinstance(value, (list, tuple)):
        return ", ".join(label(mapping, v) for v in value)
    return mapping.get(str(value), str(value))
