"""«Подбор недвижимости» end to end over REST: a search to the end of the list, then a viewing.

WEWALL_E2E_MODEL=/tmp/sx/search.tar.gz uses a model trained beforehand (tests/e2e/harness.py).
"""

import pytest

from tests.e2e.harness import demo_bot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def search_bot(model, tmp_path_factory):
    yield from demo_bot(model, tmp_path_factory.mktemp("search-bot"), offers=300)


def _texts(replies):
    return [r.get("text") or "" for r in replies]


def _titles(replies):
    return [b["title"] for r in replies for b in r.get("buttons") or []]


def test_search_to_the_end_of_the_list_and_a_viewing(search_bot):
    bot, me = search_bot, "e2e-search"
    assert "Какое помещение ищете?" in _texts(bot.send(me, "/request_search"))
    # several values in one message: type, deal and budget
    replies = bot.send(me, "офис в аренду до 3 миллионов в месяц")
    assert any("площадь" in t for t in _texts(replies)), replies
    assert any("метро" in t for t in _texts(bot.send(me, '/inform{"area_m2":"any"}')))
    assert any("В какой части" in t for t in _texts(bot.send(me, '/inform{"distance_m":"any"}')))
    assert any("класс" in t for t in _texts(bot.send(me, '/inform{"zone":"any"}')))
    assert any("отделка" in t for t in _texts(bot.send(me, '/inform{"estate_class":"any"}')))
    assert any("пожелания" in t for t in _texts(bot.send(me, '/inform{"finish":"any"}')))
    replies = bot.send(me, "/deny")
    summary = "\n".join(_texts(replies))
    assert "Проверьте" in summary and "аренда" in summary and "3\u202f000\u202f000 ₽ в месяц" in summary, summary
    replies = bot.send(me, "/affirm")
    texts = _texts(replies)
    assert texts[0].startswith("Нашёл"), texts
    card = texts[-1]
    total = int(card.split(" из ")[1].split(".")[0])
    assert card.startswith("1 из ") and 1 <= total <= 8 and "http" not in card
    assert _titles(replies)[-4:] == ["Записаться на просмотр", "Следующее предложение", "Изменить параметры", "Посчитать доходность"]
    for i in range(2, total + 1):
        texts = _texts(bot.send(me, "/next_offer"))
        assert texts[-1].startswith(f"{i} из {total}"), texts
    found = bot.tracker(me)["slots"]["search_record"]["found"]
    texts = _texts(bot.send(me, "/next_offer"))
    if found > total:  # more match: the next page, not «the last offer»
        assert texts[0].startswith("Показываю ещё"), texts
        total = int(texts[-1].split(" из ")[1].split(".")[0])
        for _ in range(2, total + 1):
            bot.send(me, "/next_offer")
    slots = bot.tracker(me)["slots"]
    assert slots["searches_count"] == 1 and slots["search_record"]["found"] >= total
    assert len(slots["search_ids"]) == total and slots["search_index"] == total - 1

    # the viewing of the last offer shown
    replies = bot.send(me, "/book_viewing")
    assert any(t.startswith("Запишу вас на просмотр") for t in _texts(replies)), replies
    assert "Как к вам обращаться?" in _texts(replies)
    assert any("телефон" in t for t in _texts(bot.send(me, "Анна")))
    assert any("Когда вам удобно" in t for t in _texts(bot.send(me, "8 (916) 123-45-67")))
    confirm = "\n".join(_texts(bot.send(me, "завтра после 15:00")))
    assert "+7 916 123-45-67" in confirm and "Отправляя данные, вы соглашаетесь на их обработку" in confirm
    replies = bot.send(me, "/affirm")
    assert any("менеджер" in t for t in _texts(replies)), replies
    slots = bot.tracker(me)["slots"]
    assert slots["person_name"] == "Анна" and slots["phone"] == "+79161234567"
    assert slots["chosen_offer"]["_id"] == slots["search_ids"][total - 1] and "link" in slots["chosen_offer"]
    assert slots["viewing_time"] is None  # cleared after the hand-over, the next viewing asks it again


def test_another_station_while_offers_are_shown_moves_the_search(search_bot):
    bot, me = search_bot, "e2e-search-station"
    bot.send(me, "/request_search")
    replies = bot.send(me, "офис купить у Белорусской")
    for _ in range(12):  # answer the rest of the form until the summary
        text = "\n".join(_texts(replies)).lower()
        if "проверьте" in text:
            break
        if "бюджет" in text:
            answer = "до 900 млн"
        elif "инвестиций" in text:
            answer = "/inform{\"purpose\":\"business\"}"
        elif "пожелания" in text:
            answer = "/deny"
        else:
            answer = "не важно"
        replies = bot.send(me, answer)
    assert "у метро: Белорусская" in "\n".join(_texts(replies)), replies
    texts = _texts(bot.send(me, "/affirm"))
    assert texts[0].startswith(("Нашёл", "К сожалению")), texts
    texts = _texts(bot.send(me, "а у Профсоюзной есть что-нибудь?"))
    assert texts[0].startswith(("Нашёл", "К сожалению")), texts
    slots = bot.tracker(me)["slots"]
    assert slots["search_stations"] == ["Профсоюзная"] and slots["search_deal"] == "sale"
    assert slots["search_record"]["stations"] == "Профсоюзная" and slots["searches_count"] == 2
