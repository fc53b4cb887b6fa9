"""`wewall leads list|show|handled|export-csv` on the lead book the bot writes."""

from __future__ import annotations

import csv
import io

import pytest

from wewall.cli import main
from wewall.leads.book import EMAIL, get_book


def keep(destinations=(), now=None, **kw):
    lead = {"kind": "viewing", "sender_id": "u1", "channel": "telegram", "name": "Анна",
            "phone": "+79161234567", "viewing_time": "в четверг после 15:00",
            "summary": "WEWALL AI: передача клиента менеджеру.\nКлиент хочет записаться на просмотр."}
    lead.update(kw)
    return get_book().add(lead, destinations, now=now)


def wewall(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_open_leads_newest_first(capsys):
    assert wewall(capsys, "leads", "list")[1] == "Необработанных заявок нет.\n"
    a = keep(now=1_764_000_000)
    b = keep(kind="callback", name=None, phone=None, telegram_username="ivan", sender_id="u2",
             now=1_764_000_060)
    code, out, _ = wewall(capsys, "leads", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines == [
        f"№{b['id']}  24.11.2025 19:01  Обратный звонок  [новая]  @ivan  (только здесь)",
        f"№{a['id']}  24.11.2025 19:00  Просмотр объекта  [новая]  Анна, +79161234567  (только здесь)",
    ]
    wewall(capsys, "leads", "handled", str(a["id"]))
    assert len(wewall(capsys, "leads", "list")[1].splitlines()) == 1
    assert len(wewall(capsys, "leads", "list", "--all")[1].splitlines()) == 2
    assert wewall(capsys, "leads", "list", "--status", "handled")[1].startswith(f"№{a['id']} ")
    assert wewall(capsys, "leads", "list", "--since", "2025-11-25")[1] == "Необработанных заявок нет.\n"


def test_show_tells_everything_a_manager_needs(capsys):
    lead = keep(destinations=[EMAIL], lead_source="promo42")
    get_book().delivery_failed(lead["deliveries"][0]["id"], "SMTP: ConnectionRefusedError", 0)
    code, out, _ = wewall(capsys, "leads", "show", str(lead["id"]))
    assert code == 0
    assert f"Заявка №{lead['id']} — Просмотр объекта" in out
    assert "Клиент: Анна, +79161234567" in out and "Удобное время: в четверг после 15:00" in out
    assert "источник promo42" in out and "Клиент хочет записаться на просмотр." in out
    assert "Доставка в почта: ждёт, попыток 1, последняя ошибка: SMTP: ConnectionRefusedError" in out
    assert "Статус: новая" in out


def test_handled_marks_with_who_and_a_note(capsys):
    lead = keep()
    code, out, _ = wewall(capsys, "leads", "handled", str(lead["id"]), "--by", "Ольга",
                          "--note", "встреча в четверг")
    assert code == 0 and out == f"Заявка №{lead['id']} отмечена обработанной.\n"
    marked = get_book().get(lead["id"])
    assert (marked["status"], marked["handled_by"], marked["note"]) == (
        "handled", "Ольга", "встреча в четверг")
    out = wewall(capsys, "leads", "show", str(lead["id"]))[1]
    assert "Статус: обработана, Ольга" in out and "обработана — Ольга (встреча в четверг)" in out


@pytest.mark.parametrize("argv, message", [
    (["leads", "show", "404"], "Заявки №404 нет."),
    (["leads", "handled", "404"], "Заявки №404 нет."),
    (["leads", "list", "--since", "вчера"], "не в формате ГГГГ-ММ-ДД"),
])
def test_bad_input_gets_a_clear_answer(capsys, argv, message):
    code, _, err = wewall(capsys, *argv)
    assert code in (1, 2) and message in err


def test_export_csv_to_a_file_excel_reads(capsys, tmp_path):
    keep(name="Анна")
    keep(name="Иван", phone="+79031112233", sender_id="u2")
    path = tmp_path / "leads.csv"
    code, _, err = wewall(capsys, "leads", "export-csv", "-o", str(path))
    assert code == 0 and "Заявок в" in err and err.strip().endswith(": 2")
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())  # Excel's hint that this is UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r[4] for r in rows[1:]] == ["Анна", "Иван"] and rows[2][5] == "+79031112233"
    code, out, _ = wewall(capsys, "leads", "export-csv")
    assert len(list(csv.reader(io.StringIO(out)))) == 3
