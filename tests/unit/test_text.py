"""One Russian number-agreement helper for every count the bot shows (wewall.text)."""

import pytest

from wewall.text import agree, count

NB = "\u202f"


@pytest.mark.parametrize("n,word", [
    (1, "вариант"), (2, "варианта"), (5, "вариантов"), (11, "вариантов"), (12, "вариантов"), (14, "вариантов"),
    (21, "вариант"), (22, "варианта"), (104, "варианта"), (111, "вариантов"), (0, "вариантов"),
])
def test_noun_agrees_with_the_number(n, word):
    assert agree(n, "вариант") == word


@pytest.mark.parametrize("n,args,text", [
    (4884, ("предложение",), f"4{NB}884 предложения"),
    (1, ("вариант",), "1 вариант"),
    (1, ("предложение", "похожий", "gent"), "1 похожего предложения"),
    (72, ("предложение", "похожий", "gent"), "72 похожих предложений"),
    (3, ("лот", "похожий"), "3 похожих лота"),
    (1, ("станция",), "1 станция"),
    (5, ("станция",), "5 станций"),
    (1_000_000, ("предложение",), f"1{NB}000{NB}000 предложений"),
    (15, ("человек",), "15 человек"),
    (2, ("человек",), "2 человека"),
])
def test_count_phrases(n, args, text):
    assert count(n, *args) == text
