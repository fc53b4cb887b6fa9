"""`wewall data …` as a user runs it: a separate process per command, one data folder."""

import os
import subprocess
import sys


def wewall(data_dir, *args):
    env = dict(os.environ, WEWALL_DATA_DIR=str(data_dir))
    env.pop("WEWALL_MONGODB_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "wewall.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def stats(data_dir):
    out = wewall(data_dir, "data", "stats")
    assert out.returncode == 0, out.stderr
    return {line.split("\t")[0]: line.split("\t")[1:] for line in out.stdout.splitlines()}


def test_load_demo_persists_across_processes_and_is_idempotent(tmp_path):
    first = wewall(tmp_path, "data", "load-demo", "--estates", "40")
    assert first.returncode == 0, first.stderr
    table = stats(tmp_path)
    assert table["estates"] == ["40", "демо-данные"]
    assert table["square_coeffs"][1] == "демо-данные"
    assert int(table["subway_stations"][0]) > 40
    again = wewall(tmp_path, "data", "load-demo", "--estates", "40")
    assert "уже загружены" in again.stdout
    assert stats(tmp_path)["estates"][0] == "40"


def test_demo_is_reproducible(tmp_path):
    from wewall.data.demo import demo_estates, demo_stations

    assert demo_estates(demo_stations(), 25) == demo_estates(demo_stations(), 25)
    assert demo_estates(demo_stations(), 25, seed=1) != demo_estates(demo_stations(), 25)


def test_import_stations_real_file_reports_296_and_refusals(tmp_path, hh_metro_path):
    out = wewall(tmp_path, "data", "import-stations", "--hh-json", str(hh_metro_path))
    assert out.returncode == 0, out.stderr
    assert "сохранено 296 станций" in out.stdout
    assert "Народное Ополчение" in out.stdout and "Терехово" in out.stdout
    count, what = stats(tmp_path)["subway_stations"]
    assert count == "296"
    assert "импорт из" in what and "Народное Ополчение" in what and "Терехово" in what


def test_load_coeffs_refuses_gap_with_row_numbers(tmp_path):
    bad = tmp_path / "sq.csv"
    bad.write_text("min_square,max_square,coeff\n0,100,1.1\n120,500,1.0\n", encoding="utf-8")
    out = wewall(tmp_path, "data", "load-coeffs", str(bad))
    assert out.returncode == 2
    assert "пропуск между строкой 1 (до 100) и строкой 2 (от 120)" in out.stderr
    assert stats(tmp_path)["square_coeffs"][0] == "0"


def test_load_coeffs_replaces_demo_and_says_imported(tmp_path):
    wewall(tmp_path, "data", "load-demo", "--estates", "5")
    good = tmp_path / "sq.csv"
    good.write_text("min_square,max_square,coeff\n0,100,1.2\n100,100000,1.0\n", encoding="utf-8")
    out = wewall(tmp_path, "data", "load-coeffs", str(good))
    assert out.returncode == 0, out.stderr
    count, what = stats(tmp_path)["square_coeffs"]
    assert count == "2" and what == f"импорт из {good}"


def test_missing_file_is_a_readable_error(tmp_path):
    out = wewall(tmp_path, "data", "import-stations", "--hh-json", str(tmp_path / "nope.json"))
    assert out.returncode == 2 and "файл не найден" in out.stderr
