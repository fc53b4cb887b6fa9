"""«Оценка доходности» over REST with the real servers: the answers as a client types them,
then the chart and the spreadsheet fetched from the URLs the bot gave."""

import re

import pytest
import requests

pytestmark = pytest.mark.e2e


def texts(replies):
    return " | ".join(r.get("text", "") for r in replies)


def test_full_calculation_with_words_step_back_and_correction(bot):
    s = "e2e-calc-1"
    first = bot.send(s, "хочу посчитать доходность офиса")
    assert "Что за объект?" in texts(first)
    assert "площадь" in texts(bot.send(s, '/inform{"calc_kind":"finished_office"}')).lower()
    assert "м²" in texts(bot.send(s, "семьсот квадратов"))  # asks the price next
    back = bot.send(s, "назад")
    assert "предыдущему" in texts(back) and "площадь" in texts(back).lower()
    bot.send(s, "700")
    assert "класс" in texts(bot.send(s, "500 тысяч за метр")).lower()
    assert "станция" in texts(bot.send(s, "класс а")).lower()
    typo = bot.send(s, "сокольнеки")  # a typo the NLU repairs: accepted as Сокольники
    assert "до метро" in texts(typo).lower()
    assert "станция" in texts(bot.send(s, "назад")).lower()
    unknown = bot.send(s, "белорусский вокзал")  # not a station name: the closest are suggested as buttons
    assert "Не нашёл станцию" in texts(unknown) and "Белорусская" in texts(unknown)
    assert any(b["payload"] == '/inform{"metro_station":"Белорусская"}' for r in unknown for b in r.get("buttons", []))
    assert "до метро" in texts(bot.send(s, "Белорусская")).lower()
    bot.send(s, "5 минут пешком")
    bot.send(s, '/inform{"finish":"shell"}')
    summary = texts(bot.send(s, "5%"))
    assert "Проверьте" in summary and "700 м²" in summary
    corrected = texts(bot.send(s, "площадь не 700, а 800"))
    assert "800 м²" in corrected and "Проверьте" in corrected
    result = bot.send(s, "да")
    assert "IRR при сдаче в аренду" in texts(result)
    chart = next(r["image"] for r in result if r.get("image"))
    xlsx = re.search(r"https?://\S+\.xlsx", texts(result)).group(0)
    png = requests.get(chart, timeout=10)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    sheet = requests.get(xlsx, timeout=10)
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    slots = bot.tracker(s)["slots"]
    assert slots["calc_result"]["inputs"]["area_m2"] == 800 and slots["calc_kind"] is None


def test_cancel_leaves_politely(bot):
    s = "e2e-calc-cancel"
    bot.send(s, "рассчитай доходность готового торгового помещения")
    bot.send(s, "120 м2")
    reply = texts(bot.send(s, "отмена"))
    assert "расчёт отменён" in reply.lower()
    assert bot.tracker(s)["active_loop"] in ({}, None) or not bot.tracker(s)["active_loop"].get("name")


def test_vat_20_keeps_the_answers_and_offers_a_calculation_without_vat(bot):
    s = "e2e-calc-vat"
    bot.send(s, "оценка доходности")
    bot.send(s, '/inform{"calc_kind":"finished_retail"}')
    # retail asks the station too
    for answer in ["100", "400000", "Павелецкая", "300 тысяч в месяц", "без отделки"]:
        bot.send(s, answer)
    vat = bot.send(s, "20%")
    reply = texts(vat)
    assert reply.count("НДС 20 %") == 1 and "менеджер" in reply and "сохранены" in reply
    titles = [b["title"] for r in vat for b in r.get("buttons", [])]
    assert titles == ["Передать менеджеру", "Посчитать без НДС для ориентира"]
    slots = bot.tracker(s)["slots"]
    assert slots["calc_area_m2"] == 100 and slots["calc_monthly_rent_rub"] == 300000 and slots["calc_metro_station"] == "Павелецкая"
    summary = texts(bot.send(s, '/inform{"percent":0}'))
    assert "Проверьте" in summary and "100 м²" in summary and "НДС: 0 %" in summary
    result = bot.send(s, "да")
    assert "IRR при сдаче в аренду" in texts(result) and "На чём основан расчёт" in texts(result)
    pdf = re.search(r"https?://\S+\.pdf", texts(result)).group(0)
    got = requests.get(pdf, timeout=10)
    assert got.status_code == 200 and got.content[:5] == b"%PDF-"


def test_a_total_price_is_divided_by_the_area(bot):
    s = "e2e-calc-total"
    bot.send(s, "оценка доходности")
    bot.send(s, '/inform{"calc_kind":"finished_office"}')
    bot.send(s, "100 м2")
    reply = texts(bot.send(s, "за всё просят 38 млн"))
    assert "380\u202f000 ₽ за м²" in reply and "класс" in reply.lower()
    assert bot.tracker(s)["slots"]["calc_price_per_m2"] == 380000
    # magnitude and words disagree: one question with two buttons
    s2 = "e2e-calc-total-2"
    bot.send(s2, "оценка доходности")
    bot.send(s2, '/inform{"calc_kind":"finished_office"}')
    bot.send(s2, "100 м2")
    asked = bot.send(s2, "38 млн за метр")
    assert "38 млн ₽ — это за всё помещение или за м²?" in texts(asked)
    assert [b["title"] for r in asked for b in r.get("buttons", [])] == ["За всё помещение", "За 1 м²"]
    assert "класс" in texts(bot.send(s2, "за всё помещение")).lower()
    assert bot.tracker(s2)["slots"]["calc_price_per_m2"] == 380000


def test_a_retail_rent_per_m2_is_multiplied_by_the_area(bot):
    s = "e2e-calc-rent"
    bot.send(s, "оценка доходности")
    bot.send(s, '/inform{"calc_kind":"finished_retail"}')
    bot.send(s, "120 м2")
    bot.send(s, "300 тысяч за метр")
    bot.send(s, "Павелецкая")
    reply = texts(bot.send(s, "2500 за метр в месяц"))
    assert "300\u202f000 ₽ в месяц" in reply and "ремонт" in reply.lower()
    assert bot.tracker(s)["slots"]["calc_monthly_rent_rub"] == 300000
    # the NLU takes these for a search and a FAQ question; the asked question reads them first
    assert "НДС" in texts(bot.send(s, "не нужна, там арендатор уже всё сделал"))
    assert "Проверьте" in texts(bot.send(s, "а можно посчитать как будто ндс 0?"))
    slots = bot.tracker(s)["slots"]
    assert slots["calc_repairs"] == "none" and slots["calc_nds_rate"] == 0


def test_files_channel_refuses_other_paths(bot):
    for name in ["../secrets.png", "calc-x.txt", "nope.png"]:
        assert requests.get(f"{bot.url}/webhooks/files/{name}", timeout=5).status_code == 404


def test_a_calculation_from_a_shown_offer_asks_only_what_is_missing(bot):
    s = "e2e-calc-offer"
    bot.send(s, "/request_search")
    bot.send(s, "офис в аренду до 3 миллионов в месяц")
    for payload in ['/inform{"area_m2":"any"}', '/inform{"distance_m":"any"}', '/inform{"zone":"any"}',
                    '/inform{"estate_class":"any"}', '/inform{"finish":"any"}', "/deny"]:
        bot.send(s, payload)
    shown = bot.send(s, "/affirm")
    card = next(r for r in shown if r.get("text", "").startswith("1 из "))
    button = next(b for b in card["buttons"] if b["title"] == "Посчитать доходность")
    started = texts(bot.send(s, button["payload"]))
    assert "Спрошу только недостающее" in started and "цену покупки спрошу" in started
    slots = bot.tracker(s)["slots"]
    offer_id = slots["search_ids"][0]
    assert slots["calc_kind"] == "finished_office" and slots["calc_area_m2"] and slots["calc_metro_station"]
    assert slots["calc_price_per_m2"] is None and "Какая цена покупки" in started  # a rent offer: the price is asked
    after_price = texts(bot.send(s, "450 тысяч за метр"))
    assert "НДС" in after_price  # class, station, distance and repairs came from the offer
    assert "Проверьте" in texts(bot.send(s, "усн"))
    result = texts(bot.send(s, "да"))
    assert "IRR при сдаче в аренду" in result
    record = bot.tracker(s)["slots"]["calc_result"]
    assert record["inputs"]["area_m2"] == slots["calc_area_m2"] and offer_id
