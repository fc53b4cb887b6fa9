"""Properties of the finance model over generated inputs (hypothesis)."""

import datetime as dt
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wewall.calculator import calculate
from wewall.calculator import quarters as Q
from wewall.calculator.inputs import KINDS, REPAIRS, is_building

settings.register_profile("calculator", max_examples=80, deadline=None)


@st.composite
def inputs(draw, kinds=KINDS):
    kind = draw(st.sampled_from(kinds))
    as_of = draw(st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)))
    d = dict(
        kind=kind,
        area_m2=draw(st.floats(10, 5_000)),
        price_per_m2=draw(st.floats(50_000, 1_500_000)),
        repairs=draw(st.sampled_from(REPAIRS)),
        nds_rate=draw(st.sampled_from([0, 5, 7])),
        rent_rate=draw(st.floats(5_000, 150_000)),
        cadastral=draw(st.floats(0, 500_000)),
        as_of=as_of.isoformat(),
    )
    if is_building(kind):
        deal = Q.quarter_of(as_of)
        r = draw(st.integers(0, 15))
        d["readiness"] = Q.label(Q.shift(deal, r))
        quarters = draw(st.lists(st.integers(0, r), min_size=1, max_size=min(5, r + 1), unique=True))
        cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=len(quarters) - 1,
                                    max_size=len(quarters) - 1, unique=True)))
        shares = [b - a for a, b in zip([0] + cuts, cuts + [100])]
        d["tranches"] = {Q.label(Q.shift(deal, q)): p for q, p in zip(quarters, shares)}
        d["price_ready"] = draw(st.floats(50_000, 2_000_000))
    return d


def at_least(higher, lower):
    """`higher` IRR is not below `lower`; a missing IRR counts as the lowest."""
    if lower is None:
        return True
    return higher is not None and higher >= lower - 1e-7 * max(1.0, abs(lower))


@settings(settings.get_profile("calculator"))
@given(inputs(), st.floats(1.0, 3.0))
def test_higher_rent_never_lowers_rent_irr(d, factor):
    low = calculate(d)
    high = calculate(dict(d, rent_rate=d["rent_rate"] * factor))
    assert at_least(high.rent_irr_exact, low.rent_irr_exact)


@settings(settings.get_profile("calculator"))
@given(inputs(), st.floats(1.0, 3.0))
def test_higher_price_never_raises_irr(d, factor):
    cheap = calculate(d)
    dear = calculate(dict(d, price_per_m2=d["price_per_m2"] * factor))
    assert at_least(cheap.rent_irr_exact, dear.rent_irr_exact)
    if cheap.sale:
        assert at_least(cheap.sale_irr_exact, dear.sale_irr_exact)


@settings(settings.get_profile("calculator"))
@given(inputs(kinds=("building_office", "building_retail")), st.randoms(use_true_random=False))
def test_tranche_order_does_not_change_anything(d, rnd):
    items = list(d["tranches"].items())
    rnd.shuffle(items)
    a, b = calculate(d).to_dict(), calculate(dict(d, tranches=dict(items))).to_dict()
    assert a["totals"] == b["totals"] and a["flows"] == b["flows"] and a["sale_flows"] == b["sale_flows"]
    assert (a["rent_irr"], a["sale_irr"]) == (b["rent_irr"], b["sale_irr"])


@settings(settings.get_profile("calculator"))
@given(inputs())
def test_totals_add_up_to_the_flows(d):
    r = calculate(d)
    t = r.totals
    parts = t["purchase"] + t["fitout"] + t["rent_income"] + t["terminal_value"] + t["taxes"]
    scale = abs(t["purchase"]) + t["terminal_value"]
    assert parts == pytest.approx(t["rent_net"], abs=1e-9 * scale)
    assert r.rent.cumulative[-1] == pytest.approx(t["rent_net"], abs=1e-9 * scale)
    assert t["purchase"] == pytest.approx(-d["area_m2"] * d["price_per_m2"])
    if r.sale:
        assert t["purchase"] + t["sale_income"] + t["sale_tax"] == pytest.approx(t["sale_net"], abs=1e-9 * scale)


@settings(settings.get_profile("calculator"))
@given(inputs(), st.floats(0.1, 10))
def test_area_does_not_change_irr_when_rates_are_given(d, factor):
    a = calculate(d)
    b = calculate(dict(d, area_m2=d["area_m2"] * factor))
    for x, y in ((a.rent_irr_exact, b.rent_irr_exact), (a.sale_irr_exact, b.sale_irr_exact)):
        assert (x is None) == (y is None)
        if x is not None:
            assert y == pytest.approx(x, abs=1e-6)


@settings(settings.get_profile("calculator"))
@given(inputs())
def test_labels_are_consecutive_quarters_from_the_deal(d):
    r = calculate(d)
    deal = Q.quarter_of(dt.date.fromisoformat(d["as_of"]))
    assert r.rent.labels[0] == Q.label(deal) and len(r.rent.labels) == 24
    assert [Q.index(Q.parse_quarter(x), deal) for x in r.rent.labels] == list(range(24))


@settings(settings.get_profile("calculator"))
@given(inputs())
def test_result_is_plain_json(d):
    out = calculate(d).to_dict()
    json.dumps(out, ensure_ascii=False, allow_nan=False)
    assert out["verdict"]["code"] in ("very_low", "below_market", "average", "high", "undefined")
    for key in ("rent_irr", "sale_irr"):
        assert out[key] is None or (math.isfinite(out[key]) and round(out[key], 1) == out[key])
