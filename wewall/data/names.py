"""How a station name is written for display and how it is compared."""

import re

_SPACES = re.compile(r"\s+")
# "Библиотека им.Ленина": a dot glued to the next word is a typing slip, not a name.
_GLUED_DOT = re.compile(r"\.(?=[А-ЯЁа-яёA-Za-z])")


def display_name(raw: str) -> str:
    """The name as people write it: stray spaces removed, «им.Ленина» → «им. Ленина»."""
    name = _GLUED_DOT.sub(". ", raw)
    return _SPACES.sub(" ", name).strip()


def name_key(raw: str) -> str:
    """The comparison key: display name, lowercase, ё → е."""
    return display_name(raw).lower().replace("ё", "е")
