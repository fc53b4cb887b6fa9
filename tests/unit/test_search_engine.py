"""The search engine on a small fixed dataset: filters at their edges, ranking, relaxation."""

import pytest

from tests.unit.search_data import M, edge_offers, offer
from wewall.search import ColumnarIndex, Criteria, SearchEngine
from wewall.search.relax import NOTHING_TEXT, candidates


def engine(docs):
    return SearchEngine(ColumnarIndex.build(docs))


def found(docs, **criteria):
    return set(engine(docs).search(Criteria(**criteria), limit=100, advise=False).ids)


# ---------------------------------------------------------------- filters


def test_budget_edge_is_exactly_budget_plus_ten_percent():
    ids = found(edge_offers(), deal="sale", type="office", budget_rub=100 * M)
    assert "budget-exact" in ids and "under" in ids
    assert "budget-over" not in ids


def test_price_on_request_never_matches_a_budget_but_shows_without_one():
    docs = edge_offers()
    assert "on-request" not in found(docs, deal="sale", budget_rub=10_000 * M)
    assert "rent-on-request" not in found(docs, deal="rent", budget_rub=10_000 * M)
    assert "on-request" in found(docs, deal="sale")
    assert "rent-on-request" in found(docs, deal="rent")


def test_area_edge_is_exactly_min_area_minus_ten_percent():
    ids = found(edge_offers(), deal="sale", type="office", min_area_m2=100)
    assert "area-exact" in ids and "area-short" not in ids


def test_other_filters_are_exact_and_any_means_no_filter():
    docs = edge_offers()
    base = dict(deal="sale", type="office", budget_rub=100 * M)
    everything = found(docs, **base)
    assert {"class-b", "mkad", "outside", "far-metro", "shell", "building"} <= everything
    assert "retail" not in everything and "rent" not in everything
    assert "class-b" not in found(docs, **base, estate_class="A")
    assert found(docs, **base, estate_class="B") == {"class-b"}
    ttk = found(docs, **base, zone="ttk")
    assert "mkad" not in ttk and "outside" not in ttk
    inside_mkad = found(docs, **base, zone="mkad")
    assert "mkad" in inside_mkad and "under" in inside_mkad and "outside" not in inside_mkad
    assert "far-metro" not in found(docs, **base, max_metro_minutes=15)
    assert "far-metro" in found(docs, **base, max_metro_minutes=25)
    assert "far-metro" not in found(docs, **base, max_metro_m=1999)  # 25 min = 2 000 m
    assert "shell" not in found(docs, **base, finish="ready")
    assert "building" not in found(docs, **base, readiness="ready")
    assert found(docs, deal="sale", type="retail") == {"retail"}
    assert "retail" in found(docs, deal="sale", type="any")


def test_min_irr_filters_only_an_investor_buying():
    docs = [offer("high", price=50 * M, irr=12.0), offer("low", price=50 * M, irr=7.9), offer("unknown", price=50 * M)]
    assert found(docs, deal="sale", purpose="investment", min_irr=8) == {"high"}
    assert found(docs, deal="sale", purpose="investment", min_irr=7.9) == {"high", "low"}
    assert found(docs, deal="sale", purpose="business", min_irr=8) == {"high", "low", "unknown"}


def test_criteria_validate_and_accept_dialogue_spellings():
    c = Criteria(deal="buy", type="офис", estate_class="А", zone="ttk", finish="с отделкой")
    assert (c.deal, c.type, c.estate_class, c.finish) == ("sale", "office", "A", "ready")
    with pytest.raises(ValueError, match="Класс"):
        Criteria(estate_class="C")
    with pytest.raises(ValueError, match="Бюджет"):
        Criteria(budget_rub=-5)
    with pytest.raises(ValueError, match="Неизвестный критерий"):
        Criteria.from_dict({"colour": "red"})


# ---------------------------------------------------------------- ranking


def test_ranking_puts_better_fits_first():
    docs = [
        offer("fit", price=95 * M, area=100, minutes=5),  # under budget, the area wished, near the metro
        offer("over", price=105 * M, area=100, minutes=5),  # 5 % over budget
        offer("big", price=95 * M, area=200, minutes=5),  # twice the area wished
        offer("far", price=95 * M, area=100, minutes=20),  # 20 minutes on foot
    ]
    result = engine(docs).search(Criteria(deal="sale", budget_rub=100 * M, min_area_m2=100))
    assert result.ids == ["fit", "far", "big", "over"]
    # The documented score: (0.30·1 + 0.25·1 + 0.20·e^(−5/15)) / 0.75
    assert result.scores[0] == pytest.approx((0.30 + 0.25 + 0.20 * 0.716531) / 0.75, abs=1e-5)


def test_investors_see_higher_irr_first_others_the_cheaper_per_m2():
    docs = [offer("irr8", price=50 * M, irr=8.0), offer("irr12", price=51 * M, irr=12.0)]
    assert engine(docs).search(Criteria(deal="sale", purpose="investment")).ids == ["irr12", "irr8"]
    assert engine(docs).search(Criteria(deal="sale", purpose="business")).ids == ["irr8", "irr12"]


def test_relaxed_search_still_prefers_the_class_wished():
    docs = [offer("b", price=50 * M, cls="B"), offer("a", price=60 * M, cls="A")]
    wished = Criteria(deal="sale", estate_class="A")
    result = engine(docs).search(wished.replace(estate_class="any"), prefer=wished)
    assert result.ids == ["a", "b"]


def test_results_are_at_most_eight_and_total_counts_all():
    docs = [offer(f"o{i:02d}", price=(50 + i) * M) for i in range(20)]
    result = engine(docs).search(Criteria(deal="sale", budget_rub=100 * M))
    assert result.total == 20 and len(result.ids) == 8 and result.relaxations == []


def test_ties_are_broken_by_price_per_m2_then_id_whatever_the_storage_order():
    docs = [offer(i, price=50 * M) for i in ("c", "a", "b")] + [offer("cheap", price=40 * M)]
    assert engine(docs).search(Criteria(deal="sale")).ids == ["cheap", "a", "b", "c"]
    assert engine(list(reversed(docs))).search(Criteria(deal="sale")).ids == ["cheap", "a", "b", "c"]


# ---------------------------------------------------------------- relaxation


def relax_offers():
    budget = 100 * M
    return [
        offer("p115", price=1.15 * budget * 1.0),  # needs the budget +10 % (limit 121 M)
        offer("p130", price=1.30 * budget),  # +20 % (132 M)
        offer("p140", price=1.40 * budget),  # +30 % (143 M)
        offer("p160", price=1.60 * budget),  # +50 % (165 M)
        offer("b1", price=90 * M, cls="B"),
        offer("b2", price=95 * M, cls="B"),
    ]


def test_relaxation_counts_and_the_advice_sentence():
    c = Criteria(deal="sale", type="office", budget_rub=100 * M, estate_class="A")
    result = engine(relax_offers()).search(c)
    assert result.total == 0
    counts = {(r.criterion, r.step): r.count for r in result.relaxations}
    # Budget: +10 % finds 1, +20 % 2, +30 % 3 = the target, so +30 % is the advice; class: 2.
    assert counts == {("budget", "+30 %"): 3, ("class", "any"): 2}
    assert [r.criterion for r in result.relaxations] == ["budget", "class"]
    assert result.advice == "Если поднять бюджет на 30 %, найдётся 3 варианта."
    assert result.relaxations[1].text == "Если рассмотреть здания любого класса, не только A, найдётся 2 варианта."
    assert result.to_dict()["relaxations"][0]["criteria"]["budget_rub"] == pytest.approx(130 * M)


def test_every_step_is_counted_on_the_data():
    e = engine(relax_offers())
    c = Criteria(deal="sale", type="office", budget_rub=100 * M, estate_class="A")
    by_step = {(r.criterion, r.step): e.count(r.criteria) for r in candidates(c)}
    assert by_step == {
        ("budget", "+10 %"): 1, ("budget", "+20 %"): 2, ("budget", "+30 %"): 3, ("budget", "+50 %"): 4,
        ("class", "any"): 2,
    }


def test_too_little_asks_for_more_than_found_and_nothing_says_so():
    docs = [offer("one", price=50 * M), offer("far", price=50 * M, zone="outside")]
    result = engine(docs).search(Criteria(deal="sale", zone="ttk"))
    assert result.total == 1
    assert [(r.criterion, r.step, r.count) for r in result.relaxations] == [("zone", "any", 2)]
    assert result.advice == "Если искать по всей Москве, найдётся 2 варианта."
    nothing = engine(docs).search(Criteria(deal="sale", budget_rub=1000))
    assert nothing.total == 0 and nothing.relaxations == [] and nothing.advice == NOTHING_TEXT


def test_a_deal_and_type_the_base_lacks_is_said_and_the_other_deal_offered():
    """No rent at all: no step of the rent search can help; say so and count the purchase."""
    docs = [offer("one", price=50 * M), offer("far", price=50 * M, zone="outside")]
    result = engine(docs).search(Criteria(deal="rent", type="office", budget_rub=1000))
    assert result.total == 0
    assert result.advice.startswith("Офисов в аренду в базе сейчас нет. Могу поискать покупку")
    assert [(r.criterion, r.step, r.count) for r in result.relaxations] == [("deal", "sale", 2)]
    assert result.relaxations[0].criteria.budget_rub is None  # a monthly rent is not a price


def test_metro_area_zone_finish_readiness_and_irr_steps():
    c = Criteria(deal="sale", min_area_m2=100, max_metro_minutes=10, zone="ttk", finish="ready",
                 readiness="ready", purpose="investment", min_irr=10)
    steps = [(r.criterion, r.step) for r in candidates(c)]
    assert steps == [
        ("area", "−10 %"), ("area", "−20 %"), ("area", "−30 %"), ("metro", "×1,5"), ("metro", "×2"),
        ("zone", "mkad"), ("zone", "any"), ("finish", "any"), ("readiness", "any"),
        ("irr", "−1 pp"), ("irr", "−2 pp"), ("irr", "−3 pp"),
    ]
    texts = {r.step: r.phrase for r in candidates(c)}
    assert texts["×1,5"] == "согласиться на дорогу от метро до 15 мин пешком"
    assert texts["−2 pp"] == "снизить минимальную доходность до 8 %"
    docs = [offer("walk14", price=10 * M, area=100, minutes=14, irr=12.0), offer("irr9", price=10 * M, area=100, irr=9.0)]
    result = engine(docs).search(c)
    assert {(r.criterion, r.count) for r in result.relaxations} == {("metro", 1), ("irr", 1)}

