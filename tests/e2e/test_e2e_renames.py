"""A conversation stored before the renames of issue #21 (the calculation's slots without `calc_`)
goes on after them through the real Rasa server: the half-filled form resumes at its question,
keeps the answers given before, and finishes."""

import pytest
from rasa.shared.core.domain import Domain

from tests.e2e.harness import PROJECT_ROOT, conversation_key
from tests.renamed_conversation import AREA, half_filled_calculation
from wewall.tracker_store import WewallSQLTrackerStore

pytestmark = pytest.mark.e2e


def texts(replies):
    return " | ".join(r.get("text", "") for r in replies)


def test_a_calculation_stored_before_the_renames_resumes_and_finishes(bot):
    sender = "e2e-renamed"
    store = WewallSQLTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain")),
                                  host=bot.env["WEWALL_TRACKER_STORE_URL"])
    try:
        store._insert(conversation_key(sender), half_filled_calculation())  # rows as the old bot wrote them
    finally:
        store.engine.dispose()
    before = bot.tracker(sender)
    assert before["active_loop"]["name"] == "calculation_form" and before["slots"]["calc_area_m2"] == AREA

    assert "класс" in texts(bot.send(sender, "500 тысяч за метр")).lower()  # the price it was asking
    assert "станция" in texts(bot.send(sender, "класс а")).lower()
    assert "до метро" in texts(bot.send(sender, "Белорусская")).lower()
    bot.send(sender, "5 минут пешком")
    bot.send(sender, '/inform{"finish":"shell"}')
    summary = texts(bot.send(sender, "5%"))
    assert "Проверьте" in summary and "700 м²" in summary  # the area answered before the rename
    result = bot.send(sender, "да")
    assert "IRR при сдаче в аренду" in texts(result)
    record = bot.tracker(sender)["slots"]["calc_result"]
    assert record["inputs"]["area_m2"] == AREA and record["inputs"]["price_per_m2"] == 500_000
