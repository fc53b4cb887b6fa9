"""The lead book as a web page behind a token: `GET /webhooks/leads/`.

Named in credentials.yml (`wewall.leads.web.LeadsPageInput`), so the Rasa server mounts it;
it never talks to the dialogue. Off (404) until WEWALL_LEADS_WEB_TOKEN is set. The token comes
as `Authorization: Bearer …`, or once as `?token=…`: then it is kept in an HttpOnly cookie
and the browser is sent to the same URL without it (no token in the history or in logs).

The page is rendered on the server (no script): the same list as `wewall leads list` with
filters (status, kind, a date, a phone or a name), each lead's contacts, summary and delivery
state, and a CSV export (`leads.csv`, same filters).
"""

from __future__ import annotations

import csv
import datetime as dt
import hmac
import html
import io
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional
from urllib.parse import urlencode

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from wewall.channels.base import NamedChannel, page_headers
from wewall.leads.book import KINDS, MSK, OPEN_STATUSES, STATUSES, format_time, get_book
from wewall.leads.intake import normalize_phone

COOKIE = "wewall_leads"
TOKEN_ENV = "WEWALL_LEADS_WEB_TOKEN"
HEADERS = page_headers("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                       "base-uri 'none'; frame-ancestors 'none'")
DELIVERY = {"pending": "ждёт", "done": "доставлена", "failed": "не принята"}
DESTINATIONS = {"amocrm": "amoCRM", "telegram": "Telegram", "email": "почта"}
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px;
vertical-align:top;text-align:left}th{background:#f4f4f4}.summary{white-space:pre-wrap;
font-size:12px;color:#555;max-width:520px}form.filters{margin:0 0 12px}form.filters>*{margin-right:8px}
.status-new{color:#b00;font-weight:600}
"""


def _token() -> str:
    return (os.environ.get(TOKEN_ENV) or "").strip()


def _authorised(request: Request, token: str) -> bool:
    given = ""
    auth = request.headers.get("authorization", "")
    if auth.startswith("Bearer "):
        given = auth[len("Bearer "):].strip()
    given = given or request.cookies.get(COOKIE, "")
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


def filters_from(args: Dict[str, str]) -> Dict[str, Any]:
    """The book's filters from the query string; ValueError with a reason for bad ones."""
    out: Dict[str, Any] = {}
    status = args.get("status") or "open"
    if status == "open":
        out["status"] = list(OPEN_STATUSES)
    elif status in STATUSES:
        out["status"] = [status]
    elif status != "all":
        raise ValueError(f"неизвестный статус «{status}»")
    if args.get("since"):
        try:
            day = dt.datetime.strptime(args["since"], "%Y-%m-%d").replace(tzinfo=MSK)
        except ValueError:
            raise ValueError("дата — в формате ГГГГ-ММ-ДД") from None
        out["since"] = day.timestamp()
    return out


def _matches(lead: Dict[str, Any], kind: str, query: str) -> bool:
    if kind and lead["kind"] != kind:
        return False
    if not query:
        return True
    phone = normalize_phone(query) if sum(c.isdigit() for c in query) >= 10 else None
    if phone and lead.get("phone") == phone:
        return True
    hay = " ".join(str(lead.get(k) or "") for k in ("name", "phone", "telegram_username", "sender_id"))
    return query.lower().lstrip("@") in hay.lower()


def _select(name: str, current: str, options: List[tuple]) -> str:
    items = "".join(f'<option value="{html.escape(v)}"{" selected" if v == current else ""}>'
                    f"{html.escape(t)}</option>" for v, t in options)
    return f'<select name="{name}">{items}</select>'


def render(leads: List[Dict[str, Any]], args: Dict[str, str], error: Optional[str] = None) -> str:
    e = html.escape
    status = args.get("status") or "open"
    kind = args.get("kind") or ""
    form = (
        '<form class="filters" method="get">'
        + _select("status", status, [("open", "необработанные"), ("all", "все")]
                  + [(k, v) for k, v in STATUSES.items()])
        + _select("kind", kind, [("", "любые")] + list(KINDS.items()))
        + f'<input type="date" name="since" value="{e(args.get("since", ""))}">'
        + f'<input type="search" name="q" placeholder="телефон или имя" value="{e(args.get("q", ""))}">'
        + '<button type="submit">Показать</button>'
        + f'<a href="leads.csv?{e(urlencode({k: v for k, v in args.items() if k != "token"}))}">CSV</a>'
        + "</form>")
    rows = []
    for lead in leads:
        contacts = [e(lead["name"])] if lead.get("name") else []
        if lead.get("phone"):
            contacts.append(f'<a href="tel:{e(lead["phone"])}">{e(lead["phone"])}</a>')
        if lead.get("telegram_username"):
            contacts.append(f'<a href="https://t.me/{e(lead["telegram_username"])}">@{e(lead["telegram_username"])}</a>')
        deliveries = ", ".join(f"{DESTINATIONS.get(d['destination'], d['destination'])}: "
                               f"{DELIVERY.get(d['status'], d['status'])}" for d in lead["deliveries"])
        who = f"<br>{e(lead['handled_by'])}" if lead.get("handled_by") else ""
        rows.append(
            f'<tr class="lead" data-id="{lead["id"]}"><td>№{lead["id"]}</td>'
            f"<td>{e(format_time(lead['created_at']))}</td><td>{e(KINDS.get(lead['kind'], lead['kind']))}</td>"
            f'<td class="status-{e(lead["status"])}">{e(STATUSES.get(lead["status"], lead["status"]))}{who}</td>'
            f"<td>{'<br>'.join(contacts) or 'только чат бота'}</td>"
            f"<td>{e(lead.get('viewing_time') or '')}</td>"
            f"<td>{e(lead.get('channel') or '')}{'<br>' + e(lead['lead_source']) if lead.get('lead_source') else ''}</td>"
            f"<td>{e(deliveries) or 'только здесь'}</td>"
            f'<td class="summary">{e(lead["summary"])}</td></tr>')
    body = ("<table><thead><tr><th>№</th><th>Создана (МСК)</th><th>Что</th><th>Статус</th>"
            "<th>Клиент</th><th>Удобное время</th><th>Откуда</th><th>Доставка</th><th>Сводка</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>") if rows else \
        '<p class="empty">Заявок нет.</p>'
    err = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    return ("<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">"
            f"<title>Заявки WEWALL</title><style>{STYLE}</style></head><body>"
            f"<h1>Заявки <span class=\"count\">{len(leads)}</span></h1>{form}{err}{body}</body></html>")


class LeadsPageInput(NamedChannel):
    channel_name = "leads"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("wewall_leads_page", __name__)

        def refuse(status: int, text: str) -> response.HTTPResponse:
            return response.text(text, status=status, headers=HEADERS)

        async def _leads(request: Request) -> tuple:
            args = {k: v[0] for k, v in request.args.items() if v}
            try:
                filters = filters_from(args)
            except ValueError as exc:
                return args, [], str(exc)
            book = get_book()
            found = await book.run(book.list, limit=1000, **filters)
            kind, query = args.get("kind") or "", (args.get("q") or "").strip()
            return args, [lead for lead in found if _matches(lead, kind, query)], None

        def gate(request: Request) -> Optional[response.HTTPResponse]:
            token = _token()
            if not token:
                return refuse(404, "Страница заявок выключена: задайте WEWALL_LEADS_WEB_TOKEN.")
            given = request.args.get("token")
            if given:
                if not hmac.compare_digest(given.encode(), token.encode()):
                    return refuse(403, "Неверный токен.")
                rest = {k: v[0] for k, v in request.args.items() if k != "token"}
                target = request.path + (f"?{urlencode(rest)}" if rest else "")
                reply = response.redirect(target, headers=HEADERS)
                reply.cookies[COOKIE] = token
                reply.cookies[COOKIE]["httponly"] = True
                reply.cookies[COOKIE]["samesite"] = "Strict"
                reply.cookies[COOKIE]["path"] = "/webhooks/leads"
                return reply
            if not _authorised(request, token):
                return refuse(401, "Нужен токен: откройте ссылку с ?token=… или передайте "
                                   "заголовок Authorization: Bearer ….")
            return None

        @bp.route("/", methods=["GET"])
        async def page(request: Request) -> response.HTTPResponse:
            refused = gate(request)
            if refused is not None:
                return refused
            args, leads, error = await _leads(request)
            return response.html(render(leads, args, error), status=400 if error else 200,
                                 headers=HEADERS)

        @bp.route("/leads.csv", methods=["GET"])
        async def csv_export(request: Request) -> response.HTTPResponse:
            refused = gate(request)
            if refused is not None:
                return refused
            args, leads, error = await _leads(request)
            if error:
                return refuse(400, error)
            out = io.StringIO()
            book = get_book()
            ids = {lead["id"] for lead in leads}
            filters = filters_from(args)
            await book.run(_export, book, out, ids, filters)
            return response.raw(("\ufeff" + out.getvalue()).encode("utf-8"),
                                content_type="text/csv; charset=utf-8",
                                headers={**HEADERS, "Content-Disposition": 'attachment; filename="leads.csv"'})

        return bp


def _export(book, out: io.StringIO, ids: set, filters: Dict[str, Any]) -> None:
    """The book's CSV, only the rows the page shows (the kind and text filters are the page's)."""
    full = io.StringIO()
    book.export_csv(full, **filters)
    rows = list(csv.reader(io.StringIO(full.getvalue())))
    writer = csv.writer(out)
    writer.writerow(rows[0])
    for row in rows[1:]:
        if int(row[0]) in ids:
            writer.writerow(row)
