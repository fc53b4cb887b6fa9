"""The client's wishes: those the offers can answer become criteria, the rest go to the manager.

What the data holds: the floor (CIAN rows and most office lots) and the finish (office rent).
So «первый этаж», «вход с улицы», «витрина» rank first-floor premises first and drop known
basements; «этаж не выше 5» filters; «с отделкой» ranks finished premises first. A separate
entrance, parking, a sitting tenant, the ceiling height… are not in the files: they are passed to
the manager, and the client is told so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

I = re.IGNORECASE  # noqa: E741 (re.I's own name)

# key → (pattern, what the client is told)
APPLIED = (
    ("first_floor", re.compile(r"перв\w*\s+этаж|1[\s-]*(?:й|ом|ый)?\s*этаж", I), "первый этаж"),
    ("street", re.compile(r"(?:вход\w*|выход\w*)\s+(?:с|на)\s+улиц|витрин|трафик|проходн\w+\s+мест|красн\w+\s+лини", I),
     "вход с улицы / витрина (первый этаж, без подвалов)"),
    ("finish", re.compile(r"с\s+(?:отделк|ремонт)|готов\w*\s+(?:к\s+въезду|отделк)", I), "с отделкой"),
)
PASSED = (
    (re.compile(r"отдельн\w*\s+вход", I), "отдельный вход"),
    (re.compile(r"парков|паркинг|машиномест", I), "парковка"),
    (re.compile(r"арендатор|арендным\s+потоком|сданн|готов\w*\s+бизнес", I), "с действующим арендатором"),
    (re.compile(r"потол", I), "высота потолков"),
    (re.compile(r"охран", I), "охрана"),
    (re.compile(r"вентиляц|вытяжк", I), "вентиляция"),
    (re.compile(r"электрич|мощност|квт", I), "электрическая мощность"),
)
_MAX_FLOOR = re.compile(r"этаж\w*\s+(?:не\s+выше|до|не\s+больше|максимум)\s+(\d{1,3})|(?:не\s+выше|до)\s+(\d{1,3})[\s-]*(?:го|ого)?\s*этаж", I)
_NO_BASEMENT = re.compile(r"не\s+(?:в\s+)?подвал|без\s+подвал|не\s+цокол", I)


@dataclass
class Wishes:
    keys: Tuple[str, ...] = ()  # criteria keys: first_floor, street, finish, no_basement
    max_floor: Optional[float] = None
    applied: List[str] = field(default_factory=list)  # what the search takes into account
    passed: List[str] = field(default_factory=list)  # what only the manager can check


def parse(text: str) -> Wishes:
    w = Wishes()
    keys: List[str] = []
    text = text or ""
    for key, rx, label in APPLIED:
        if rx.search(text):
            keys.append(key)
            w.applied.append(label)
    if _NO_BASEMENT.search(text) and "street" not in keys and "first_floor" not in keys:
        keys.append("no_basement")
        w.applied.append("не подвал")
    m = _MAX_FLOOR.search(text)
    if m:
        w.max_floor = float(m.group(1) or m.group(2))
        w.applied.append(f"этаж не выше {int(w.max_floor)}-го")
    for rx, label in PASSED:
        if rx.search(text):
            w.passed.append(label)
    w.keys = tuple(keys)
    return w


def no_basement(keys) -> bool:
    """Known basements and semi-basements (floor < 1) are out for these wishes."""
    return bool({"first_floor", "street", "no_basement"} & set(keys))
