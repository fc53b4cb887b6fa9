"""Analogs: who counts as comparable, their order, and the comparison with the median."""

import pytest

from tests.unit.search_data import LAT, LNG, offer
from wewall.data.nearest import StationLocator
from wewall.search import ColumnarIndex, SearchEngine

NB = "\u202f"  # the narrow no-break space between thousands
NORTH_500M = 500 / 111_320  # degrees of latitude


def dataset():
    return [
        offer("subject", price=50_000_000, area=100),  # 500 000 ₽/m²
        offer("same-spot", price=40_000_000, area=100),  # 400 000 ₽/m², same station
        offer("500m-other-station", price=49_500_000, area=110, station="Маяковская", lat=LAT + NORTH_500M),  # 450 000
        offer("2km-same-station", price=78_000_000, area=130, lat=LAT + 4 * NORTH_500M),  # 600 000, area +30 % edge
        offer("300m-area-70", price=35_000_000, area=70, lat=LAT + 0.6 * NORTH_500M),  # 500 000, area −30 % edge
        # Not analogs:
        offer("3km-other-station", price=50_000_000, area=100, station="Динамо", lat=LAT + 6 * NORTH_500M),
        offer("area-131", price=65_500_000, area=131),
        offer("area-69", price=34_500_000, area=69),
        offer("class-b", price=30_000_000, area=100, cls="B"),
        offer("retail", type_="retail", price=30_000_000, area=100, cls=None),
        offer("rent", deal="rent", price=500_000, area=100),
        offer("on-request", price=None, area=100),
    ]


@pytest.fixture
def engine():
    return SearchEngine(ColumnarIndex.build(dataset()))


def test_analogs_of_an_offer_filter_rank_and_compare_with_the_median(engine):
    subject = next(d for d in dataset() if d["_id"] == "subject")
    result = engine.find_analogs(subject)
    assert result.ids == ["same-spot", "300m-area-70", "500m-other-station", "2km-same-station"]
    assert result.count == 4
    # similarity = 0.45·closeness + 0.35·area match + 0.20·same station
    assert result.similarity[0] == pytest.approx(1.0)
    assert result.similarity[1] == pytest.approx(0.45 * 0.8 + 0.20, abs=1e-3)
    assert result.similarity[2] == pytest.approx(0.45 * (1 - 500 / 1500) + 0.35 * (1 - 0.1 / 0.3), abs=1e-3)
    assert result.median_price_per_m2 == 475_000  # of 400, 450, 500, 600 thousand
    assert result.diff_percent == pytest.approx(5.3)
    assert result.text == (
        f"Ваша цена 500{NB}000 ₽ за м² на 5 % выше медианы 4 похожих предложений (475{NB}000 ₽ за м²)."
    )


def test_analogs_after_a_calculation_use_the_station_position(engine):
    inputs = {"kind": "finished_office", "area_m2": 100, "price_per_m2": 420_000, "estate_class": "А",
              "metro_station": "белорусская", "repairs": "none", "nds_rate": 0}
    locator = StationLocator([{"name": "Белорусская", "lat": LAT, "lng": LNG, "lines": [{"name": "Кольцевая"}]}])
    result = engine.find_analogs(inputs, locator=locator)
    assert set(result.ids) == {"subject", "same-spot", "500m-other-station", "2km-same-station", "300m-area-70"}
    assert result.median_price_per_m2 == 500_000
    assert result.text == f"Ваша цена 420{NB}000 ₽ за м² на 16 % ниже медианы 5 похожих предложений (500{NB}000 ₽ за м²)."
    # Without the station's position only offers at the same station count.
    inputs["metro_station"] = "Белорусская"
    same_station = engine.find_analogs(inputs)
    assert set(same_station.ids) == {"subject", "same-spot", "2km-same-station", "300m-area-70"}


def test_level_few_and_none():
    docs = [offer("s", price=50_000_000, area=100), offer("twin", price=51_000_000, area=100)]
    engine = SearchEngine(ColumnarIndex.build(docs))
    result = engine.find_analogs(docs[0])
    assert result.count == 1 and result.diff_percent == pytest.approx(-2.0)
    assert result.text == (
        f"Ваша цена 500{NB}000 ₽ за м² — на уровне медианы 1 похожего предложения (510{NB}000 ₽ за м²). "
        "Аналогов мало, сравнение приблизительное."
    )
    lonely = engine.find_analogs(offer("x", price=10_000_000, area=1000))
    assert lonely.count == 0 and lonely.text == "Похожих предложений рядом не нашлось: сравнить цену не с чем."


def test_rent_analogs_speak_of_a_month():
    docs = [offer("r1", deal="rent", price=400_000, area=100), offer("r2", deal="rent", price=600_000, area=100)]
    result = SearchEngine(ColumnarIndex.build(docs)).find_analogs(docs[0])
    assert result.ids == ["r2"] and "₽ за м² в месяц" in result.text and "ниже" in result.text
