"""A one-page PDF of a calculation the client can forward: inputs, result, assumptions, chart.

Drawn by matplotlib's own PDF backend on one A4 figure (no extra dependency); the text uses
matplotlib's DejaVu Sans, which has Cyrillic, and the chart is `chart.draw_flows`.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import List, Optional

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.figure import Figure

from wewall.calculator.chart import draw_flows
from wewall.calculator.inputs import is_building
from wewall.calculator.text import assumptions_lines, market_line
from wewall.text import millions, num, percent
from wewall.vocabulary import KIND_NAMES, REPAIRS_NAMES

TITLE = "WEWALL · Оценка доходности"
A4_IN = (8.27, 11.69)
WRAP = 100  # characters a line at 8.5 pt across the page


def input_lines(result) -> List[str]:
    i = result.inputs
    out = [f"Объект: {KIND_NAMES[i.kind]}, {num(i.area_m2)} м², {num(i.price_per_m2, 0)} ₽ за м² "
           f"(покупка {millions(i.area_m2 * i.price_per_m2)})"]
    where = []
    if i.estate_class:
        where.append(f"класс {i.estate_class}")
    if i.metro_station:
        where.append(f"м. {i.metro_station}" + (f", {num(i.distance_to_metro_m, 0)} м до метро" if i.distance_to_metro_m is not None else ""))
    if where:
        out.append("Расположение: " + ", ".join(where))
    out.append(f"Ремонт: {REPAIRS_NAMES.get(i.repairs, i.repairs)}; НДС {num(i.nds_rate)} %")
    if i.monthly_rent_rub:
        out.append(f"Аренда по вашей оценке: {num(i.monthly_rent_rub, 0)} ₽ в месяц")
    if i.readiness:
        out.append(f"Ввод: {i.readiness}; график платежей: " + ", ".join(f"{num(p)} % — {q}" for q, p in (i.tranches or {}).items()))
    return out


def result_lines(result, market: Optional[dict]) -> List[str]:
    out = [f"IRR при сдаче в аренду: {percent(result.rent_irr)} годовых"]
    if is_building(result.inputs.kind):
        out.append(f"IRR при продаже после ввода ({result.sale.labels[-1]}): {percent(result.sale_irr)} годовых")
    out.append(result.verdict["text"])
    line = market_line(market)
    if line:
        out.append(line)
    return out


def _block(fig, y: float, heading: str, lines: List[str], size: float = 8.5) -> float:
    fig.text(0.07, y, heading, fontsize=10.5, fontweight="bold", va="top")
    y -= 0.022
    for line in lines:
        for piece in textwrap.wrap(line.lstrip("• "), WRAP) or [""]:
            fig.text(0.085, y, piece, fontsize=size, va="top")
            y -= 0.0155
        y -= 0.003
    return y - 0.01


def pdf_figure(result, market: Optional[dict] = None, today: Optional[dt.date] = None) -> Figure:
    fig = Figure(figsize=A4_IN)
    FigureCanvasPdf(fig)
    today = today or dt.date.today()
    fig.text(0.07, 0.965, TITLE, fontsize=16, fontweight="bold", va="top")
    fig.text(0.07, 0.938, f"Расчёт от {today.strftime('%d.%m.%Y')}. Оценка по модели, не инвестиционная рекомендация.",
             fontsize=8.5, color="#555555", va="top")
    y = _block(fig, 0.91, "Исходные данные", input_lines(result))
    y = _block(fig, y, "Результат", result_lines(result, market), size=9.5)
    y = _block(fig, y, "На чём основан расчёт", assumptions_lines(result))
    # The chart takes what the text leaves, its title and quarter labels included.
    bottom, top = 0.11, y - 0.06
    ax = fig.add_axes([0.11, bottom, 0.86, max(top - bottom, 0.2)])
    draw_flows(ax, result)
    ax.title.set_fontsize(9.5)
    for label in ax.get_xticklabels():
        label.set_fontsize(6.5)
    return fig


def write_pdf(result, path, market: Optional[dict] = None, today: Optional[dt.date] = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # TrueType (42) rather than Type 3 fonts: the text stays text, so it can be searched and copied.
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        pdf_figure(result, market, today).savefig(path, format="pdf")
    return path
