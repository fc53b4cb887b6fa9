"""The demo offers the search is benchmarked and shown on: reproducible, of a realistic shape."""

import itertools
import statistics

from wewall.data.demo import demo_estates, demo_stations, iter_demo_estates
from wewall.geo import haversine_m


def test_streamed_and_listed_demo_are_the_same_and_reproducible():
    listed = demo_estates(demo_stations(), 300)
    assert list(iter_demo_estates(demo_stations(), 300)) == listed
    assert list(itertools.islice(iter_demo_estates(demo_stations(), 10_000), 300)) == listed
    assert demo_estates(demo_stations(), 300, seed=2) != listed


def test_demo_prices_have_the_real_orders_of_magnitude():
    docs = demo_estates(demo_stations(), 6000)

    def med(deal, type_, value):
        return statistics.median(value(d) for d in docs if d["deal"] == deal and d["type"] == type_ and d.get("price_per_m2"))

    # Q2 2026 medians of the real data: sale ≈ 450 000 ₽/m², rent ≈ 40 000 ₽/m²/year, retail ≈ 145 000 ₽/month.
    assert 380_000 < med("sale", "office", lambda d: d["price_per_m2"]) < 560_000
    assert 33_000 < med("rent", "office", lambda d: d["price_per_m2"] * 12) < 55_000
    assert 110_000 < med("rent", "retail", lambda d: d["rent_rub_month"]) < 190_000
    on_request = [d for d in docs if d.get("price_on_request")]
    assert on_request and all(d["deal"] == "rent" and d["rent_rub_month"] is None for d in on_request)
    a = [d["price_per_m2"] for d in docs if d["deal"] == "sale" and d["type"] == "office" and d.get("estate_class") == "A" and d["zone"] == "ttk"]
    b = [d["price_per_m2"] for d in docs if d["deal"] == "sale" and d["type"] == "office" and d.get("estate_class") == "B" and d["zone"] == "mkad"]
    assert statistics.median(a) > 1.3 * statistics.median(b)  # class A inside ТТК dearer than B further out


def test_demo_metro_is_the_true_nearest_three():
    stations = demo_stations()
    for d in demo_estates(stations, 50):
        lng, lat = d["location"]["coordinates"]
        brute = sorted(stations, key=lambda s: haversine_m(lat, lng, s["lat"], s["lng"]))[:3]
        assert [m["station"] for m in d["metro"]] == [s["name"] for s in brute]
        assert d["metro"][0]["distance_m"] == round(haversine_m(lat, lng, brute[0]["lat"], brute[0]["lng"]))
