"""The chart the bot sends: quarterly cash flows as bars, the running balance as a line.

Drawn with matplotlib's object API on an Agg canvas, never through pyplot: pyplot keeps
global state, and the action server renders charts from several threads at once.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

# Headless servers have no display; Agg is also what the canvas below draws with.
matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from wewall.text import percent
from wewall.vocabulary import KIND_NAMES

GREEN, RED, BLUE, ORANGE = "#2e9e5b", "#d0543f", "#1f4e8c", "#e08a1e"


def _mln(values):
    return [v / 1e6 for v in values]


def _ru(x, _pos=None) -> str:
    return f"{x:,.0f}".replace(",", "\u202f").replace("-", "−")


# Fixed margins instead of fig.tight_layout(): tight_layout draws the whole figure once more to
# measure it, a large share of a chart's time (docs/benchmarks.md). Everything but the y tick
# labels has a known size (two-line title, «1Q2026» labels turned 90°), so only the left margin
# follows the longest y label; tests/unit/test_calculator_outputs.py checks no text is clipped.
WIDTH_IN, HEIGHT_IN = 10, 5.2
_LEFT_PX_BASE, _LEFT_PX_PER_CHAR = 42, 8


def _left_margin(ax) -> float:
    chars = max((len(_ru(v)) for v in ax.yaxis.get_majorticklocs()), default=4)
    # Text is sized in points, so the margin is the same share of the width at any dpi;
    # the constants are pixels at 110 dpi.
    return (_LEFT_PX_BASE + _LEFT_PX_PER_CHAR * chars) / (WIDTH_IN * 110)


def chart_figure(result, dpi: int = 110) -> Figure:
    """The chart of `result` as a Figure on an Agg canvas, laid out and ready to save."""
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    draw_flows(ax, result)
    fig.subplots_adjust(left=_left_margin(ax), right=0.985, top=0.885, bottom=0.175)
    return fig


def draw_flows(ax, result) -> None:
    """Bars of the quarterly flows, the running balances, title and legend, on `ax` (the PDF
    report draws the same chart on its page)."""
    flows = result.rent
    x = list(range(len(flows.labels)))
    totals = _mln(flows.total)
    ax.bar(x, totals, color=[GREEN if v >= 0 else RED for v in totals], width=0.7)
    ax.plot(x, _mln(flows.cumulative), color=BLUE, marker="o", markersize=3, linewidth=2, label="Накопленный итог (аренда)")
    if result.sale is not None:
        sx = list(range(len(result.sale.labels)))
        ax.plot(sx, _mln(result.sale.cumulative), color=ORANGE, linestyle="--", linewidth=2,
                label="Накопленный итог (продажа после ввода)")
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels(flows.labels, rotation=90, fontsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(_ru))
    ax.set_ylabel("млн ₽")
    ax.set_xlabel("Квартал")
    ax.grid(axis="y", alpha=0.3)
    title = f"{KIND_NAMES[result.inputs.kind].capitalize()}: денежные потоки, млн ₽"
    irr = f"IRR аренды {percent(result.rent_irr)}"
    if result.sale is not None:
        irr += f", IRR продажи {percent(result.sale_irr)}"
    ax.set_title(f"{title}\n{irr}", fontsize=11)
    # Bars are coloured one by one, so the legend needs its own swatches for them.
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=GREEN, label="Поступления за квартал"), Patch(color=RED, label="Выплаты за квартал")]
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)


def render_png(result, path, dpi: int = 110) -> Path:
    """Write the chart of `result` to `path` (PNG) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    chart_figure(result, dpi).savefig(path, format="png")
    return path
