"""A retail calculation followed by «Показать аналоги», over REST, on the real offers of
../shared/data (issue #17): retail asks the station, so analogs are found near it. Skipped with
a reason where the real data is absent."""

import subprocess

import pytest

from tests.conftest import shared_file
from tests.e2e.harness import BIN, PROJECT_ROOT, BotServers

pytestmark = [pytest.mark.e2e, pytest.mark.shared_data]

FILES = ("nfmap_buildings_202606.json", "nfmap_lots_202606.json", "nfmap_rent_lots_202606.json",
         "gp2team34_cian_psn_rent_geo.csv")


def texts(replies):
    return " | ".join(r.get("text", "") for r in replies)


@pytest.fixture(scope="module")
def real_bot(model, tmp_path_factory):
    metro = shared_file("metro/hh_metro_all_cities_2023-10-16.json")
    offers = [str(shared_file(f"commercial/{name}")) for name in FILES]
    servers = BotServers(model, tmp_path_factory.mktemp("real-bot"))
    servers.load_demo(1)  # the coefficient tables; the import replaces the demo offers
    for args in (["import-stations", "--hh-json", str(metro)], ["import-estates", *offers]):
        subprocess.run([str(BIN / "wewall"), "data", *args], cwd=PROJECT_ROOT, env=servers.env, check=True,
                       capture_output=True, timeout=900)
    with servers:
        yield servers


def test_a_retail_calculation_then_analogs_found_near_its_station(real_bot):
    s = "e2e-calc-real-retail"
    bot = real_bot
    assert "Что за объект?" in texts(bot.send(s, "оценка доходности"))
    bot.send(s, '/inform{"calc_kind":"finished_retail"}')
    bot.send(s, "60 м2")
    assert "станция" in texts(bot.send(s, "300 тысяч за метр")).lower()  # retail asks the station
    bot.send(s, "Павелецкая")
    bot.send(s, "180 тысяч в месяц")
    bot.send(s, "ничего, помещение готово")
    summary = texts(bot.send(s, "усн"))
    assert "Проверьте" in summary and "Павелецкая" in summary, summary
    result = texts(bot.send(s, "да"))
    assert "IRR при сдаче в аренду" in result, result
    analogs = texts(bot.send(s, "Показать аналоги"))
    assert "не нашлось" not in analogs and "медиан" in analogs.lower() and "₽ за м² в месяц" in analogs, analogs
