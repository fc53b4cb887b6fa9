"""Issue #22: a button payload with NaN, 1e309 or a 400-digit number crashed number formatting
(the client got no answer at all). Such values are refused where numbers are read and shown as
«—» where they are formatted."""

from __future__ import annotations

import json
import math

import pytest

from wewall import text as fmt
from wewall.calculator.errors import CalculationError
from wewall.calculator.inputs import _number as calc_input_number
from wewall.crm.summary import _number as summary_number
from wewall.dialogue.calculation import _number as calc_number
from wewall.dialogue.search import _number as search_number

# what json.loads (Rasa's payload parser) makes of such payloads
ABSURD = [json.loads("NaN"), json.loads("Infinity"), json.loads("-Infinity"), json.loads("1e309"),
          int("9" * 400), 1e16, "NaN", "1e309", "9" * 400]


@pytest.mark.parametrize("value", ABSURD, ids=repr)
def test_readers_refuse_absurd_numbers(value):
    assert calc_number(value) is None
    assert search_number(value) is None
    assert summary_number(value) is None


@pytest.mark.parametrize("value", ABSURD[:5], ids=repr)
def test_the_calculator_inputs_refuse_them_with_a_clear_message(value):
    with pytest.raises(CalculationError, match="обычное число"):
        calc_input_number(value, "area", "Площадь")


@pytest.mark.parametrize("value", ABSURD, ids=repr)
def test_formatting_never_fails(value):
    assert fmt.num(value) == "—"
    if not isinstance(value, str):
        assert fmt.millions(value) == "—"


@pytest.mark.parametrize("value, shown", [(90, "90"), (33.33, "33,3"), (350000, "350\u202f000"), ("12", "12"),
                                          (-0.04, "0"), (999_999_999_999_999, "999\u202f999\u202f999\u202f999\u202f999")])
def test_ordinary_numbers_are_formatted_as_before(value, shown):
    assert fmt.num(value) == shown


@pytest.mark.parametrize("value", [0, 700, "1 500,5", 2.5e9])
def test_ordinary_numbers_are_read_as_before(value):
    expected = float(str(value).replace(" ", "").replace(",", "."))
    assert calc_number(value) == expected == search_number(value)
    assert math.isfinite(summary_number(value))
