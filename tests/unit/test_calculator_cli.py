"""`wewall calc` (wewall.calculator.cli.main, argv without the leading «calc»)."""

import json
import os
import subprocess
import sys
import uuid

import pytest

from wewall import PROJECT_ROOT, storage
from wewall.calculator.cli import main
from wewall.calculator.examples import BUILDING, FINISHED
from wewall.data.coeffs import DEMO_COEFFS


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_worked_check_json(capsys):
    code, out, err = run(capsys, "--json", json.dumps(FINISHED))
    assert code == 0 and err == ""
    d = json.loads(out)
    assert {"inputs", "rent_irr", "sale_irr", "rent_rate", "price_ready", "cadastral", "totals", "flows", "verdict"} <= set(d)
    assert d["rent_irr"] == 15.9 and d["sale_irr"] is None
    assert d["totals"]["purchase"] == -350_000_000 and d["totals"]["fitout"] == -49_000_000
    assert d["flows"][0]["label"] == "1Q2026" and len(d["flows"]) == 24
    assert "Доходность" in out  # ensure_ascii=False: Cyrillic as is


def test_building_from_file_and_outputs(capsys, tmp_path):
    path = tmp_path / "in.json"
    path.write_text(json.dumps(BUILDING, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(capsys, "--file", str(path), "--chart", str(tmp_path / "c.png"), "--xlsx", str(tmp_path / "m.xlsx"))
    d = json.loads(out)
    assert code == 0 and (d["rent_irr"], d["sale_irr"]) == (18.5, 17.3)
    assert (tmp_path / "c.png").stat().st_size > 0 and (tmp_path / "m.xlsx").stat().st_size > 0


def test_assumptions_override(capsys):
    code, out, _ = run(capsys, "--json", json.dumps(FINISHED), "--assumptions", '{"cap_rate": 0.1}')
    d = json.loads(out)
    assert code == 0 and d["assumptions"]["cap_rate"] == 0.1 and d["rent_irr"] < 15.9
    code, _, err = run(capsys, "--json", json.dumps(FINISHED), "--assumptions", '{"cap": 0.1}')
    assert code == 2 and "допущения" in err


def test_text_output(capsys):
    code, out, _ = run(capsys, "--json", json.dumps(FINISHED), "--text")
    assert code == 0 and "15,9 %" in out and "350,0 млн ₽" in out


@pytest.mark.parametrize("argv,code,words", [
    (["--json", json.dumps(dict(BUILDING, tranches={"1Q2026": 90}))], 2, "Сумма траншей 90 %, а должна быть 100 %"),
    (["--json", "{not json"], 2, "не JSON"),
    (["--json", "[1, 2]"], 2, "JSON-объектом"),
    (["--file", "/nonexistent/in.json"], 2, "Не удалось прочитать файл"),
    ([], 2, "укажите параметры"),
    (["--json", "{}", "--bogus"], 2, "неизвестные аргументы"),
    (["--json", json.dumps(dict(FINISHED, nds_rate=20))], 3, "менеджер"),
])
def test_errors_go_to_stderr(capsys, argv, code, words):
    got, out, err = run(capsys, *argv)
    assert got == code and out == "" and words in err


def test_tables_from_mongodb_uri(capsys, monkeypatch):
    from wewall.settings import reset_settings

    name = f"calc_cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("WEWALL_MONGODB_DB", name)  # main() opens the configured database name
    reset_settings()
    try:
        db = storage.get_db("mongomock://")
        storage.replace_stations(db, [{"_id": "цска", "name": "ЦСКА", "name_key": "цска", "price_A": 400_000,
                                       "price_B": 300_000, "rent_A": 40_000, "rent_B": 30_000,
                                       "average_cadastral_value": 200_000}])
        for table, rows in DEMO_COEFFS.items():
            storage.replace_coeffs(db, table, rows)
        inputs = dict(kind="finished_office", area_m2=700, price_per_m2=500_000, repairs="full", nds_rate=5,
                      metro_station="ЦСКА", estate_class="A", distance_to_metro_min=5, as_of="2026-01-15")
        code, out, err = run(capsys, "--json", json.dumps(inputs, ensure_ascii=False), "--mongodb-uri", "mongomock://")
        assert code == 0, err
        d = json.loads(out)
        assert d["rent_rate"] == 40_000.0 and d["cadastral"] == 200_000.0  # 400 m → 1.00, 700 m² → 1.00
        assert d["inputs"]["distance_to_metro_m"] == 400.0
        code, out, err = run(capsys, "--json", json.dumps(dict(inputs, metro_station="Нигде")), "--mongodb-uri", "mongomock://")
        assert code == 2 and "Не нашёл станцию" in err
        db.client.drop_database(name)
        code, out, err = run(capsys, "--json", json.dumps(inputs), "--mongodb-uri", "mongomock://")
        assert code == 4 and "не загружена" in err
    finally:
        monkeypatch.undo()
        reset_settings()


def test_subprocess_stdin():
    proc = subprocess.run(
        [sys.executable, "-m", "wewall.calculator.cli", "--json", "-"],
        input=json.dumps(BUILDING), capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert (d["rent_irr"], d["sale_irr"]) == (18.5, 17.3)
    assert d["totals"]["purchase"] == -280_000_000


def test_subprocess_bad_input_exit_code():
    proc = subprocess.run(
        [sys.executable, "-m", "wewall.calculator.cli", "--json", json.dumps(dict(BUILDING, readiness="1Q2025"))],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Срок готовности 1Q2025 раньше квартала сделки 1Q2026" in proc.stderr
