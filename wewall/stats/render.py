"""The report as a Russian table for the terminal, as JSON and as CSV (one long table)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any, Dict, List, Optional, Sequence

from wewall.text import agree


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "—"


def duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} с"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} мин"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"
    return f"{hours // 24} {agree(hours // 24, 'день')}"


def _date(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).strftime("%d.%m.%Y %H:%M")


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "  ", text_columns: int = 1) -> List[str]:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        # text columns first (left-aligned), the figures right-aligned
        parts = [c.ljust(w) if i < text_columns else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append(indent + "  ".join(parts).rstrip())
        if n == 0:
            lines.append(indent + "  ".join("-" * w for w in widths))
    return lines


def text(report: Dict[str, Any]) -> str:
    p, c, m, faq = report["period"], report["clients"], report["manager"], report["faq"]
    out = [f"Статистика бота с {_date(p['since'])} до {_date(p['until'])} (время UTC{p['since'][-6:]})", ""]
    out.append("Клиенты")
    out += _table(["", "число"], [
        ["клиентов (диалогов)", c["total"]],
        ["  новых", c["new"]],
        ["  вернувшихся", c["returning"]],
        ["сессий", c["sessions"]],
        ["сообщений клиентов", c["messages"]],
    ])
    out += ["", "Функции: начали → завершили"]
    rows = [[f["title"], f["started"], f["finished"], percent(f["finished"], f["started"])] for f in report["forms"]]
    rows.append(["Вопросы (FAQ), клиентов", faq["asked"], faq["answered"], percent(faq["answered"], faq["asked"])])
    rows.append(["Менеджер: запросы → переданы", m["requests"], m["handovers"], percent(m["handovers"], m["requests"])])
    out += _table(["", "начали", "завершили", "конверсия"], rows)
    for f in report["forms"]:
        if not f["started"]:
            continue
        out += ["", f"Где бросают: {f['title']} (начали {f['started']}, завершили {f['finished']}; "
                    f"бросили: отменой или другим действием {f['cancelled']}, ушли в другую форму "
                    f"{f['switched']}, замолчали {f['silent']})"]
        out += _table(["вопрос", "дошли", "бросили здесь", "из них отменой"],
                      [[q["slot"], q["reached"], q["dropped"], q["cancelled"]] for q in f["questions"]])
    out += ["", "Менеджер"]
    out += _table(["", "число"], [
        ["запросов менеджера", m["requests"]],
        ["передано в amoCRM", m["handovers"]],
        ["менеджер ответил", m["answered"]],
        ["время до первого ответа: медиана", duration(m["median_seconds"])],
        ["  среднее", duration(m["mean_seconds"])],
        ["  наибольшее", duration(m["max_seconds"])],
    ])
    if faq["topics"]:
        out += ["", f"Темы вопросов (ответов {faq['answers']})"]
        out += _table(["тема", "ответов"], list(faq["topics"].items()))
    out += ["", "Источники (метка /start и канал)"]
    out += _table(["метка", "канал", "клиентов", "новых", "передано менеджеру"],
                  [[s["source"], s["channel"], s["clients"], s["new"], s["handovers"]] for s in report["sources"]],
                  text_columns=2) if report["sources"] else ["  нет клиентов"]
    nu = report["not_understood"]
    out += ["", f"Бот не понял: {nu['total']} {agree(nu['total'], 'сообщение')}"
                " (похожие собраны вместе, телефоны и имена скрыты)"]
    out += _table(["текст", "раз"], [[g["text"], g["count"]] for g in nu["groups"]]) if nu["groups"] else []
    if report["days"]:
        out += ["", "По дням"]
        out += _table(["дата", "клиентов", "новых", "сообщений", "передано менеджеру", "форм завершено"],
                      [[dt.date.fromisoformat(d["date"]).strftime("%d.%m.%Y"), d["clients"], d["new"],
                        d["messages"], d["handovers"], d["finished_forms"]] for d in report["days"]])
    return "\n".join(out) + "\n"


def as_json(report: Dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def as_csv(report: Dict[str, Any]) -> str:
    """One table: section, name, detail, value — easy to filter in a spreadsheet."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["section", "name", "detail", "value"])
    w.writerow(["period", "since", "", report["period"]["since"]])
    w.writerow(["period", "until", "", report["period"]["until"]])
    for key, value in report["clients"].items():
        w.writerow(["clients", key, "", value])
    for f in report["forms"]:
        for key in ("started", "finished", "cancelled", "switched", "silent"):
            w.writerow(["form", f["form"], key, f[key]])
        for q in f["questions"]:
            for key in ("reached", "dropped", "cancelled"):
                w.writerow(["question", f"{f['form']}.{q['slot']}", key, q[key]])
    for key in ("asked", "answered", "answers"):
        w.writerow(["faq", key, "", report["faq"][key]])
    for topic, n in report["faq"]["topics"].items():
        w.writerow(["faq_topic", topic, "", n])
    for key, value in report["manager"].items():
        w.writerow(["manager", key, "", "" if value is None else value])
    for s in report["sources"]:
        for key in ("clients", "new", "handovers"):
            w.writerow(["source", s["source"], f"{s['channel']}.{key}", s[key]])
    w.writerow(["not_understood", "total", "", report["not_understood"]["total"]])
    for g in report["not_understood"]["groups"]:
        w.writerow(["not_understood", g["text"], "", g["count"]])
    for d in report["days"]:
        for key in ("clients", "new", "messages", "handovers", "finished_forms"):
            w.writerow(["day", d["date"], key, d[key]])
    return buf.getvalue()
