"""`wewall data import-estates` and `precompute-irr` as a user runs them: a process per command."""

import json

from tests.conftest import shared_file
from tests.unit.test_data_cli import stats, wewall
from tests.unit.test_search_import import BUILDINGS, CIAN_HEADER, CIAN_ROWS, sale_lots


def write_files(folder):
    b, s, c = folder / "b.json", folder / "s.json", folder / "c.csv"
    b.write_text(json.dumps(BUILDINGS, ensure_ascii=False), encoding="utf-8")
    s.write_text(json.dumps(sale_lots(), ensure_ascii=False), encoding="utf-8")
    c.write_text(CIAN_HEADER + "\n".join(CIAN_ROWS) + "\n", encoding="utf-8")
    return b, s, c


def test_import_estates_and_precompute_irr_in_separate_processes(tmp_path):
    b, s, c = write_files(tmp_path)
    assert wewall(tmp_path, "data", "load-demo", "--estates", "20").returncode == 0
    out = wewall(tmp_path, "data", "import-estates", str(s), str(c), str(b))
    assert out.returncode == 0, out.stderr
    assert "s.json — карта БЦ: лоты продажи офисов" in out.stdout
    assert "прочитано строк: 12, импортировано: 5, дубликатов: 1, пропущено: 6" in out.stdout
    assert "пропущено — цена не указана или не больше нуля: 1" in out.stdout
    assert "пропущено — цена ниже 10 000 ₽ в месяц (мусор или цена за м²): 1" in out.stdout
    assert "Демо-предложения удалены: 20" in out.stdout
    count, what = stats(tmp_path)["estates"]
    assert count == "7" and what == "импорт из b.json, s.json, c.csv"
    again = wewall(tmp_path, "data", "import-estates", str(b), str(c), str(s))
    assert "nfmap_sale: в базе 5 (новых 0, изменённых 0, без изменений 5, удалено устаревших 0)" in again.stdout
    assert stats(tmp_path)["estates"][0] == "7"
    irr = wewall(tmp_path, "data", "precompute-irr")
    assert irr.returncode == 0, irr.stderr
    assert "Предложений на продажу: 5, IRR рассчитан: 4, не рассчитан: 1" in irr.stdout


def test_lots_without_buildings_is_an_error_and_changes_nothing(tmp_path):
    _, s, _ = write_files(tmp_path)
    wewall(tmp_path, "data", "load-demo", "--estates", "10")
    out = wewall(tmp_path, "data", "import-estates", str(s))
    assert out.returncode == 2
    assert "Ошибка: файл лотов без файла бизнес-центров: s.json" in out.stderr
    assert stats(tmp_path)["estates"] == ["10", "демо-данные"]


def test_import_estates_real_files(tmp_path):
    paths = [str(shared_file(f"commercial/{f}")) for f in (
        "gp2team34_cian_psn_rent_geo.csv", "nfmap_rent_lots_202606.json", "nfmap_lots_202606.json", "nfmap_buildings_202606.json")]
    metro = shared_file("metro/hh_metro_all_cities_2023-10-16.json")
    assert wewall(tmp_path, "data", "import-stations", "--hh-json", str(metro)).returncode == 0
    out = wewall(tmp_path, "data", "import-estates", *paths)
    assert out.returncode == 0, out.stderr
    assert "прочитано строк: 3599, импортировано: 3326, дубликатов: 273, пропущено: 0" in out.stdout
    assert "прочитано строк: 239, импортировано: 239, дубликатов: 0, пропущено: 0" in out.stdout
    assert "цена по запросу: 88" in out.stdout
    assert "прочитано строк: 1500, импортировано: 1196, дубликатов: 99, пропущено: 205" in out.stdout
    assert stats(tmp_path)["estates"][0] == str(3326 + 239 + 1196)
