"""Every way clients give the calculation's answers, read as the bot reads them: the real entity
extractor, then `interpret` with the question being asked (tests/unit/calc_phrases_cases.tsv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.calc_phrases import read
from wewall.dialogue import calculation as calc

CASES = Path(__file__).with_name("calc_phrases_cases.tsv")
SHORT = {
    "area": calc.AREA, "price": calc.PRICE, "rent": calc.RENT, "ready_price": calc.READY_PRICE,
    "class": calc.CLASS, "station": calc.STATION, "dist": calc.DISTANCE, "repairs": calc.REPAIRS,
    "vat": calc.VAT, "ready": calc.READINESS, "pay": calc.TRANCHES,
}


def _value(slot: str, text: str):
    if slot == "calc_tranches":
        return {q: float(p) for q, p in (pair.split(":") for pair in text.split(","))}
    try:
        return float(text)
    except ValueError:
        return text


def _slots(kind: str, known: str) -> dict:
    slots = {calc.KIND: kind}
    if known != "-":
        for pair in known.split():
            key, value = pair.split("=", 1)
            slots[SHORT[key]] = _value(SHORT[key], value)
    return slots


def _cases():
    for n, line in enumerate(CASES.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        kind, asked, known, text, expected = line.split("\t")
        yield pytest.param(kind, None if asked == "-" else asked, known, text, expected, id=f"{n}:{text}")


CASE_LIST = list(_cases())


def test_enough_cases():
    assert len(CASE_LIST) >= 120


@pytest.mark.parametrize("kind,asked,known,text,expected", CASE_LIST)
def test_phrase(kind, asked, known, text, expected):
    slots = _slots(kind, known)
    out = read(text, slots, asked)
    assert out.understood, text
    if expected == "?basis":
        assert out.doubt and out.doubt.get("ask") == "basis", (out.slots, out.messages)
        assert "за всё помещение" in out.messages[-1] and len(out.buttons) == 2
        assert not any(s in out.slots for s in ("calc_price_per_m2", "calc_monthly_rent_rub", "calc_sale_price_per_m2_ready"))
        return
    if expected == "keep":
        assert out.doubt and out.doubt.get("pending"), (out.slots, out.messages)
        assert "Пересчитаю, когда узнаю площадь" in out.messages[-1]
        return
    if expected == "!":
        assert out.messages, out.slots
        assert not ({"calc_nds_rate", "calc_tranches", "calc_readiness_quarter"} & set(out.slots)), out.slots
        return
    for pair in expected.split():
        key, value = pair.split("=", 1)
        slot = SHORT[key]
        want = _value(slot, value)
        got = out.slots.get(slot)
        if isinstance(want, float):
            assert got == pytest.approx(want), (slot, out.slots, out.messages)
        else:
            assert got == want, (slot, out.slots, out.messages)
    assert out.doubt is None or out.doubt.get("slot") not in {SHORT[p.split("=")[0]] for p in expected.split()}


@pytest.mark.parametrize("intent", ["nlu_fallback", "request_search", "faq"])
def test_the_asked_question_reads_its_answer_whatever_the_intent(intent):
    """The NLU may take «не нужна, там арендатор уже всё сделал» for a search, «за всё помещение»
    for nothing: when a question is asked and the words are clear, the intent does not matter."""
    differ = []
    for case in CASE_LIST:
        kind, asked, known, text, expected = case.values
        if asked is None or text.startswith("/"):
            continue
        slots = _slots(kind, known)
        a, b = read(text, slots, asked), read(text, slots, asked, intent=intent)
        if (a.slots, a.messages, a.doubt) != (b.slots, b.messages, b.doubt):
            differ.append(text)
    assert not differ
