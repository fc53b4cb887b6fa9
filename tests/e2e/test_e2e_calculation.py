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


def test_vat_20_goes_to_a_manager(bot):
    s = "e2e-calc-vat"
    bot.send(s, "оценка доходности")
    bot.send(s, '/inform{"calc_kind":"finished_retail"}')
    for answer in ["100", "400000", "300 тысяч в месяц", "без отделки"]:
        bot.send(s, answer)
    reply = texts(bot.send(s, "20%"))
    assert "НДС 20 %" in reply and "менеджер" in reply


def test_files_channel_refuses_other_paths(bot):
    for name in ["../secrets.png", "calc-x.txt", "nope.png"]:
        assert requests.get(f"{bot.url}/webhooks/files/{name}", timeout=5).status_code == 404
