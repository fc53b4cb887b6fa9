"""The figures of `wewall stats` as a page for managers: `GET /webhooks/stats/?token=…&days=30`.

Named in credentials.yml (`wewall.stats.dashboard.StatsDashboardInput:`), so the Rasa server
serves it. Behind WEWALL_STATS_TOKEN (compared in constant time; without it the page is off,
404); the token travels in the URL so a manager can bookmark it on a phone (log lines mask
`token=`; the page sends no Referer). Charts are inline SVG drawn here: no script, no CDN,
readable on a narrow screen (they scale to its width).

Charts: clients per day (and the new ones), the funnel of every feature (started → finished),
the drop-off at each question of each form, the most frequent messages the bot did not
understand. A period is computed once per WEWALL_STATS_CACHE_SECONDS (default 300) and in a
worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import html
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from wewall.blocking import run_blocking
from wewall.channels.base import NamedChannel, page_headers
from wewall.settings import get_settings
from wewall.stats.collect import StatsError, compute, tracker_store_url
from wewall.stats.render import duration, percent
from wewall.text import agree

BLUE, ORANGE, RED, GREY = "#2563c9", "#f08a24", "#d64545", "#e3e8ef"
DAY_CHOICES = (7, 30, 90)
MAX_DAYS = 366
CSS = """
body{margin:0;font:15px/1.4 -apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#1d2733;background:#f5f7fa}
main{max-width:880px;margin:0 auto;padding:12px}
h1{font-size:20px;margin:8px 0 4px}h2{font-size:17px;margin:0 0 8px}
.period{color:#5b6675;margin:0 0 12px}.period a{margin-right:10px;color:#2563c9}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:12px}
.card{flex:1 1 120px;background:#fff;border-radius:8px;padding:10px;box-shadow:0 1px 2px #0002}
.card b{display:block;font-size:22px}.card span{color:#5b6675;font-size:13px}
.chart{background:#fff;border-radius:8px;padding:10px;margin:0 0 12px;box-shadow:0 1px 2px #0002}
.chart svg{width:100%;height:auto;display:block}
.legend{font-size:13px;color:#5b6675;margin:4px 0 0}
.sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 8px;border-radius:2px}
.sw.blue{background:#2563c9}.sw.orange{background:#f08a24}.sw.red{background:#d64545}
.empty{color:#5b6675}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _svg(width: int, height: int, body: List[str], label: str) -> str:
    return (f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(label)}" '
            f'xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>")


def days_chart(days: Sequence[Dict[str, Any]]) -> str:
    """Bars per day: all clients (blue) with the new ones (orange) inside them."""
    width, height, top, bottom, left = 360, 170, 10, 24, 28
    if not days:
        return '<p class="empty">Нет клиентов за период.</p>'
    peak = max(1, max(d["clients"] for d in days))
    plot_w, plot_h = width - left - 4, height - top - bottom
    step = plot_w / len(days)
    bar = max(1.0, step * 0.8)
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 2}" y2="{top + plot_h}" stroke="#9aa5b1" stroke-width="0.5"/>',
            f'<text x="{left - 4}" y="{top + 8}" font-size="9" text-anchor="end" fill="#5b6675">{peak}</text>',
            f'<text x="{left - 4}" y="{top + plot_h}" font-size="9" text-anchor="end" fill="#5b6675">0</text>']
    every = max(1, len(days) // 6)
    for n, d in enumerate(days):
        x = left + n * step + (step - bar) / 2
        for value, color in ((d["clients"], BLUE), (d["new"], ORANGE)):
            h = plot_h * value / peak
            if h > 0:
                body.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}">'
                            f'<title>{_esc(d["date"])}: {value}</title></rect>')
        if n % every == 0:
            label = dt.date.fromisoformat(d["date"]).strftime("%d.%m")
            body.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" font-size="9" text-anchor="middle" fill="#5b6675">{label}</text>')
    return _svg(width, height, body, "Клиенты по дням")


def bars_chart(rows: Sequence[Tuple[str, int, int, str]], label: str, second: str = ORANGE) -> str:
    """Horizontal bars: the label (left) and the figures (right) above each bar, the whole in
    blue and its part in the `second` colour."""
    if not rows:
        return '<p class="empty">Нет данных за период.</p>'
    width, row_h = 360, 36
    peak = max(1, max(r[1] for r in rows))
    body = []
    for n, (name, whole, part, note) in enumerate(rows):
        y = n * row_h
        room = max(12, 56 - len(note))  # characters of the label left beside the figures
        text = name if len(name) <= room else name[:room - 1] + "…"
        body.append(f'<text x="0" y="{y + 11}" font-size="11" fill="#1d2733">{_esc(text)}<title>{_esc(name)}</title></text>')
        body.append(f'<text x="{width}" y="{y + 11}" font-size="11" text-anchor="end" fill="#1d2733">{_esc(note)}</text>')
        body.append(f'<rect x="0" y="{y + 15}" width="{width}" height="14" fill="{GREY}"/>')
        for value, color in ((whole, BLUE), (part, second)):
            if value > 0:
                body.append(f'<rect x="0" y="{y + 15}" width="{width * value / peak:.1f}" height="14" fill="{color}"/>')
    return _svg(width, row_h * len(rows), body, label)


def _legend(*items: Tuple[str, str]) -> str:
    return '<p class="legend">' + "".join(f'<span class="sw {c}"></span>{_esc(t)}' for c, t in items) + "</p>"


def _figure(kind: str, title: str, chart: str, legend: str = "") -> str:
    return f'<figure class="chart" data-chart="{kind}"><h2>{_esc(title)}</h2>{chart}{legend}</figure>'


def render_page(report: Dict[str, Any], token: str, days: int) -> str:
    c, m, faq, nu = report["clients"], report["manager"], report["faq"], report["not_understood"]
    since = dt.datetime.fromisoformat(report["period"]["since"])
    until = dt.datetime.fromisoformat(report["period"]["until"])
    links = " ".join(
        f'<a href="?token={_esc(token)}&amp;days={n}">{n} {agree(n, "день")}</a>' for n in DAY_CHOICES)
    cards = [("клиентов", c["total"]), ("новых", c["new"]), ("вернулись", c["returning"]),
             ("передано менеджеру", m["handovers"]), ("ответ менеджера, медиана", duration(m["median_seconds"])),
             ("бот не понял", nu["total"])]
    parts = [
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>WEWALL AI — статистика бота</title>",
        # no favicon request (it would be a 404 in every log)
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="dashboard.css"></head><body><main>',
        "<h1>Статистика бота WEWALL AI</h1>",
        f'<p class="period">{since:%d.%m.%Y %H:%M} — {until:%d.%m.%Y %H:%M} · {links}</p>',
        '<section class="cards">' + "".join(f"<div class=\"card\"><b>{_esc(v)}</b><span>{_esc(k)}</span></div>"
                                            for k, v in cards) + "</section>",
        _figure("days", "Клиенты по дням", days_chart(report["days"]),
                _legend(("blue", "все клиенты"), ("orange", "новые"))),
    ]
    funnel = [(f["title"], f["started"], f["finished"], f"{f['started']} → {f['finished']} ({percent(f['finished'], f['started'])})")
              for f in report["forms"]]
    funnel.append(("Вопросы (FAQ), клиентов", faq["asked"], faq["answered"],
                   f"{faq['asked']} → {faq['answered']}"))
    funnel.append(("Менеджер: запросы → переданы", m["requests"], m["handovers"],
                   f"{m['requests']} → {m['handovers']}"))
    parts.append(_figure("funnel", "Воронка: начали → завершили", bars_chart(funnel, "Воронка"),
                         _legend(("blue", "начали"), ("orange", "завершили"))))
    for f in report["forms"]:
        if not f["started"]:
            continue
        rows = [(q["slot"], q["reached"], q["dropped"], f"дошли {q['reached']}, бросили {q['dropped']}")
                for q in f["questions"]]
        parts.append(_figure("dropoff", f"Где бросают: {f['title']}", bars_chart(rows, f["title"], second=RED),
                             _legend(("blue", "дошли до вопроса"), ("red", "бросили на нём"))))
    rows = [(g["text"], g["count"], 0, str(g["count"])) for g in nu["groups"][:15]]
    parts.append(_figure("not-understood", f"Бот не понял: {nu['total']} "
                         f"{agree(nu['total'], 'сообщение')}",
                         bars_chart(rows, "Непонятые сообщения")))
    parts.append("</main></body></html>")
    return "".join(parts)


def _headers() -> Dict[str, str]:
    return page_headers("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class StatsDashboardInput(NamedChannel):
    channel_name = "stats"

    def __init__(self, token: Optional[str] = None, url: Optional[str] = None,
                 cache_seconds: Optional[float] = None, clock: Callable[[], float] = time.time) -> None:
        settings = get_settings()
        self.token = token if token is not None else settings.stats_token
        self.url = url
        self.cache_seconds = float(cache_seconds if cache_seconds is not None else settings.stats_cache_seconds)
        self.clock = clock
        self._cache: Dict[int, Tuple[float, Dict[str, Any]]] = {}
        self._locks: Dict[int, asyncio.Lock] = {}

    def allowed(self, given: Optional[str]) -> bool:
        return bool(self.token) and hmac.compare_digest((given or "").encode(), self.token.encode())

    async def report(self, days: int) -> Dict[str, Any]:
        lock = self._locks.setdefault(days, asyncio.Lock())
        async with lock:  # one computation per period at a time, however many managers look
            cached = self._cache.get(days)
            now = self.clock()
            if cached and now - cached[0] < self.cache_seconds:
                return cached[1]
            report = await run_blocking(lambda: compute(self.url or tracker_store_url(), now - days * 86400, now).as_dict())
            self._cache[days] = (now, report)
            return report

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("wewall_stats", __name__)

        def page(text: str, status: int) -> response.HTTPResponse:
            body = (f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" '
                    f'content="width=device-width, initial-scale=1"><title>Статистика бота</title></head>'
                    f"<body><p>{_esc(text)}</p></body></html>")
            return response.html(body, status=status, headers=_headers())

        async def dashboard(request: Request) -> response.HTTPResponse:
            if not self.token:
                return page("Страница статистики выключена: задайте WEWALL_STATS_TOKEN.", 404)
            token = request.args.get("token")
            if not self.allowed(token):
                return page("Нужна ссылка с действующим токеном (WEWALL_STATS_TOKEN).", 401)
            raw = request.args.get("days") or "30"
            if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
                return page(f"Период — число дней от 1 до {MAX_DAYS}.", 400)
            try:
                report = await self.report(int(raw))
            except StatsError as exc:
                return page(f"Статистика недоступна: {exc}", 503)
            return response.html(render_page(report, token, int(raw)), headers=_headers())

        @bp.route("/", methods=["GET"])
        async def root(request: Request):
            if not request.path.endswith("/"):
                # the stylesheet's URL is relative: it needs the trailing slash
                query = f"?{request.query_string}" if request.query_string else ""
                return response.redirect(request.path + "/" + query)
            return await dashboard(request)

        # `/webhooks/stats/` itself arrives here with an empty name
        @bp.route("/<name>", methods=["GET"])
        async def named(request: Request, name: str):
            if name == "":
                return await dashboard(request)
            if name == "dashboard.css":
                return response.text(CSS, content_type="text/css; charset=utf-8",
                                     headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=3600"})
            return page("Нет такой страницы.", 404)

        return bp
