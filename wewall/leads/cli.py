"""`wewall leads list|show|handled|export-csv`: the lead book for an operator or a manager."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any, Dict, List

from wewall.leads.book import HANDLED, KINDS, MSK, OPEN_STATUSES, STATUSES, format_time, get_book
from wewall.leads.intake import contact_line, plain_text

DELIVERY_STATES = {"pending": "ждёт", "done": "доставлена", "failed": "не принята"}
DESTINATION_NAMES = {"amocrm": "amoCRM", "telegram": "Telegram", "email": "почта"}


def add_parsers(sub) -> None:
    leads = sub.add_parser("leads", help="заявки клиентов менеджерам: список, карточка, отметка, CSV")
    lsub = leads.add_subparsers(dest="leads_cmd", required=True)
    ls = lsub.add_parser("list", help="заявки, новые сверху (по умолчанию только необработанные)")
    ls.add_argument("--all", action="store_true", help="и обработанные")
    ls.add_argument("--status", choices=sorted(STATUSES), action="append",
                    help="только с этим статусом (можно несколько раз)")
    ls.add_argument("--since", help="с даты ГГГГ-ММ-ДД (МСК)")
    ls.add_argument("--limit", type=int, default=50, help="сколько показать (по умолчанию 50)")
    show = lsub.add_parser("show", help="карточка заявки: клиент, сводка, доставка, история")
    show.add_argument("id", type=int)
    done = lsub.add_parser("handled", help="отметить заявку обработанной")
    done.add_argument("id", type=int)
    done.add_argument("--by", default=None, help="кто обработал")
    done.add_argument("--note", default=None, help="заметка (чем кончилось)")
    ex = lsub.add_parser("export-csv", help="все заявки в CSV (Excel открывает как есть)")
    ex.add_argument("--output", "-o", default="-", help="файл (по умолчанию — на экран)")
    ex.add_argument("--since", help="с даты ГГГГ-ММ-ДД (МСК)")
    ex.add_argument("--status", choices=sorted(STATUSES), action="append")


def _since(text: str) -> float:
    try:
        day = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=MSK)
    except ValueError:
        raise ValueError(f"дата «{text}» не в формате ГГГГ-ММ-ДД, например 2026-12-01") from None
    return day.timestamp()


def _deliveries(lead: Dict[str, Any]) -> str:
    if not lead["deliveries"]:
        return "только здесь"
    return ", ".join(f"{DESTINATION_NAMES.get(d['destination'], d['destination'])} "
                     f"{DELIVERY_STATES.get(d['status'], d['status'])}" for d in lead["deliveries"])


def cmd_list(args) -> int:
    status: List[str] = args.status or ([] if args.all else list(OPEN_STATUSES))
    rows = get_book().list(status=status or None, limit=args.limit,
                           since=_since(args.since) if args.since else None)
    if not rows:
        print("Заявок нет." if args.all or args.status else "Необработанных заявок нет.")
        return 0
    for r in rows:
        print(f"№{r['id']}  {format_time(r['created_at'])}  {KINDS.get(r['kind'], r['kind'])}  "
              f"[{STATUSES.get(r['status'], r['status'])}]  {contact_line(r)}  "
              f"({_deliveries(r)})")
    return 0


def cmd_show(args) -> int:
    lead = get_book().get(args.id)
    if lead is None:
        print(f"Заявки №{args.id} нет.", file=sys.stderr)
        return 1
    print(plain_text(lead))
    print()
    print(f"Статус: {STATUSES.get(lead['status'], lead['status'])}"
          + (f", {lead['handled_by']}" if lead.get("handled_by") else "")
          + (f", {format_time(lead['handled_at'])}" if lead.get("handled_at") else ""))
    if lead.get("note"):
        print(f"Заметка: {lead['note']}")
    for d in lead["deliveries"]:
        line = (f"Доставка в {DESTINATION_NAMES.get(d['destination'], d['destination'])}: "
                f"{DELIVERY_STATES.get(d['status'], d['status'])}")
        if d["status"] == "done":
            line += f" {format_time(d['done_at'])}"
            ids = {k: v for k, v in (d.get("external") or {}).items() if v not in (None, "", [])}
            if ids:
                line += " (" + ", ".join(f"{k} {v}" for k, v in ids.items()) + ")"
        elif d.get("attempts"):
            line += f", попыток {d['attempts']}, последняя ошибка: {d.get('last_error')}"
        print(line)
    for h in lead["history"]:
        print(f"{format_time(h.get('at'))}: {STATUSES.get(h.get('status'), h.get('status'))}"
              + (f" — {h['by']}" if h.get("by") else "") + (f" ({h['note']})" if h.get("note") else ""))
    return 0


def cmd_handled(args) -> int:
    lead = get_book().mark(args.id, HANDLED, by=args.by, note=args.note)
    if lead is None:
        print(f"Заявки №{args.id} нет.", file=sys.stderr)
        return 1
    print(f"Заявка №{lead['id']} отмечена обработанной.")
    return 0


def cmd_export(args) -> int:
    filters: Dict[str, Any] = {}
    if args.since:
        filters["since"] = _since(args.since)
    if args.status:
        filters["status"] = args.status
    book = get_book()
    if args.output == "-":
        n = book.export_csv(sys.stdout, **filters)
    else:
        # A BOM so that Excel reads the Cyrillic as UTF-8.
        with open(args.output, "w", encoding="utf-8-sig", newline="") as fh:
            n = book.export_csv(fh, **filters)
        print(f"Заявок в {args.output}: {n}", file=sys.stderr)
    return 0


def run(args) -> int:
    commands = {"list": cmd_list, "show": cmd_show, "handled": cmd_handled,
                "export-csv": cmd_export}
    try:
        return commands[args.leads_cmd](args)
    except ValueError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
