"""Market prices from the base: which messages ask for them, the medians by zone, the answer."""

import pytest

from wewall.dialogue import market
from wewall.search.columnar import ColumnarIndex
from wewall.search.market import MIN_OFFERS, ZonePrice, zone_prices


@pytest.mark.parametrize("text, asks", [
    ("сколько стоит аренда офиса в среднем", True),
    ("почем аренда офиса у курской", True),
    ("средняя цена офиса класса а", True),
    ("какие ставки аренды офисов в москве", True),
    ("сколько стоит квадратный метр офиса в центре", True),
    ("цены на торговые помещения какие", True),
    ("сколько примерно стоит снять помещение под кафе", True),
    # another price: repairs, our work, a calculation, one unit with its figures
    ("сколько стоит ремонт офиса", False),
    ("сколько стоят ваши услуги", False),
    ("сколько стоит консультация", False),
    ("посчитайте доходность офиса за 40 млн", False),
    ("офис 120 м за 45 млн у таганской, стоит брать?", False),
    # no price asked, or no property
    ("ищу офис в аренду у курской", False),
    ("сколько стоит айфон", False),
    ("", False),
])
def test_asks_prices(text, asks):
    assert market.asks_prices(text) is asks


def _offer(i, deal, type_, zone, ppm, cls="A"):
    return {"_id": f"o{i}", "deal": deal, "type": type_, "zone": zone, "estate_class": cls, "price_per_m2": ppm,
            "price_rub": ppm * 100, "rent_rub_month": ppm * 100, "area_m2": 100}


@pytest.fixture(scope="module")
def index():
    docs = [_offer(i, "rent", "office", "ttk", 3000 + 100 * i, "A" if i % 2 else "B") for i in range(9)]
    docs += [_offer(100 + i, "rent", "office", "mkad", 2000 + 10 * i) for i in range(MIN_OFFERS)]
    docs += [_offer(200 + i, "rent", "office", "outside", 900) for i in range(MIN_OFFERS - 1)]  # too few
    docs += [{**_offer(300, "rent", "office", "ttk", 99_999), "price_on_request": True}]  # not a price
    docs += [_offer(400 + i, "sale", "office", "ttk", 500_000 + 1000 * i) for i in range(MIN_OFFERS)]
    return ColumnarIndex.build(docs)


def test_zone_prices(index):
    rows = zone_prices(index, "rent", "office")
    assert [(r.zone, r.median_ppm, r.offers) for r in rows] == [("ttk", 3400.0, 9), ("mkad", 2020.0, MIN_OFFERS)]
    # a class named: only its offers (4 of class A in ТТК are too few)
    assert [(r.zone, r.offers) for r in zone_prices(index, "rent", "office", "B")] == [("ttk", 5)]
    assert [(r.zone, r.offers) for r in zone_prices(index, "rent", "office", "A")] == [("mkad", MIN_OFFERS)]
    assert zone_prices(index, "sale", "retail") == []


def _prices(table):
    return lambda deal, type_, cls: table.get((deal, type_, cls), [])


def test_the_answer_gives_each_deal_when_none_is_named():
    table = {("rent", "office", None): [ZonePrice("ttk", 3412.0, 21)],
             ("sale", "office", None): [ZonePrice("ttk", 552094.0, 537), ZonePrice("mkad", 434000.0, 2485)]}
    text = market.answer(_prices(table), None, None, None)
    assert text.startswith("По нашей базе — медиана предложений аренды офисов, ₽ за м² в месяц:")
    assert "• внутри ТТК — 3\u202f410 (21 предложение)" in text
    assert "продажи офисов, ₽ за м²:" in text and "• между ТТК и МКАД — 434\u202f000 (2\u202f485 предложений)" in text
    assert "цены предложений, а не сделок" in text


def test_the_answer_for_the_deal_type_and_class_named():
    table = {("rent", "retail", None): [ZonePrice("outside", 2122.0, 362)],
             ("rent", "office", "A"): [ZonePrice("mkad", 4167.0, 127)]}
    retail = market.answer(_prices(table), "rent", "retail", "A")  # a class is an office's
    assert "аренды торговых помещений" in retail and "продажи" not in retail and "за МКАД — 2\u202f120" in retail
    office_a = market.answer(_prices(table), "rent", "office", "A")
    assert "аренды офисов класса A" in office_a


def test_the_answer_when_the_base_has_too_few_offers():
    text = market.answer(_prices({}), "sale", "retail", None)
    assert "слишком мало предложений продажи торговых помещений" in text


def test_station_price():
    from wewall.data.names import name_key
    from wewall.search.market import station_price

    kursk = (55.7586, 37.6611)

    def at(i, dlat, ppm):
        return {**_offer(i, "rent", "office", "ttk", ppm), "location": {"coordinates": [kursk[1], kursk[0] + dlat]}}

    # five offers within 1.5 km of the station (0.01° of latitude ≈ 1.1 km), two beyond it
    docs = [at(i, 0.002 * i, 3000 + 100 * i) for i in range(MIN_OFFERS)] + [at(10 + i, 0.03, 9000) for i in range(2)]
    index = ColumnarIndex.build(docs, positions={name_key("Курская"): kursk})
    row = station_price(index, "rent", "office", None, "курская")
    assert (row.zone, row.median_ppm, row.offers) == ("курская", 3200.0, MIN_OFFERS)
    assert station_price(index, "sale", "office", None, "Курская") is None  # no offers of that deal
    assert station_price(index, "rent", "office", None, "Тверская") is None  # a station without coordinates
    text = market.answer(lambda d, t, c: [], "rent", "office", None, ["Курская"],
                         lambda d, t, c, s: station_price(index, d, t, c, s))
    assert "• у метро Курская (до 1,5 км) — 3\u202f200 (5 предложений)" in text


def test_the_answer_inside_a_search_does_not_offer_one():
    table = {("rent", "office", None): [ZonePrice("ttk", 3412.0, 21)]}
    text = market.answer(_prices(table), "rent", "office", None, offer_search=False)
    assert text.endswith("площади и торга.") and "Подобрать" not in text
    assert "подобрать" not in market.answer(_prices({}), "rent", "office", None, offer_search=False)
