"""What the client receives: the chart, the spreadsheet and the chat summary."""

import threading

import openpyxl
import pytest

from wewall.calculator import Assumptions, calculate, summary_text
from wewall.calculator.chart import chart_figure, render_png
from wewall.calculator.examples import BUILDING, FINISHED
from wewall.calculator.xlsx import write_xlsx

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("inputs", [FINISHED, BUILDING])
def test_chart_png(tmp_path, inputs):
    path = render_png(calculate(inputs), tmp_path / "sub" / "chart.png")
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 10_000


def _texts_of(fig):
    ax = fig.axes[0]
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label] + ax.get_legend().get_texts()
    texts += [t for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_visible() and t.get_text()]
    return ax, texts


@pytest.mark.parametrize("inputs", [
    FINISHED,
    BUILDING,
    dict(FINISHED, area_m2=12, price_per_m2=90_000, rent_rate=900, cadastral=50_000),  # tiny: «−1»
    dict(BUILDING, area_m2=60_000, price_per_m2=1_500_000, price_ready=2_000_000),     # «−80 000»
    dict(FINISHED, area_m2=2_000_000, price_per_m2=9_000_000, rent_rate=900_000, cadastral=5_000_000),
])
def test_chart_text_fits_in_the_picture(inputs):
    # The margins are fixed (no tight_layout), so a long y label must still fit: nothing of the
    # title, labels, ticks or legend may fall outside the picture or under another label.
    fig = chart_figure(calculate(inputs))
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    ax, texts = _texts_of(fig)
    fig.draw(renderer)
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, text.get_text()
    ylabel = ax.yaxis.label.get_window_extent(renderer)
    xlabel = ax.xaxis.label.get_window_extent(renderer)
    for tick in ax.get_yticklabels():
        if tick.get_visible() and tick.get_text():
            assert not ylabel.overlaps(tick.get_window_extent(renderer)), tick.get_text()
    for tick in ax.get_xticklabels():
        assert not xlabel.overlaps(tick.get_window_extent(renderer)), tick.get_text()
    title = ax.title.get_window_extent(renderer)
    assert title.y0 >= ax.get_window_extent(renderer).y1


def test_chart_renders_from_threads(tmp_path):
    # The action server renders from a thread pool: no pyplot global state may get in the way.
    result = calculate(BUILDING)
    errors = []

    def work(n):
        try:
            render_png(result, tmp_path / f"c{n}.png")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all((tmp_path / f"c{n}.png").read_bytes()[:8] == PNG_MAGIC for n in range(3))


def test_chart_without_irr(tmp_path):
    r = calculate(dict(FINISHED, rent_rate=1, cadastral=1_000_000), assumptions=Assumptions(property_tax_lag_quarters=0))
    assert render_png(r, tmp_path / "c.png").read_bytes()[:8] == PNG_MAGIC


def test_xlsx_reads_back(tmp_path):
    result = calculate(BUILDING)
    path = write_xlsx(result, tmp_path / "model.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Итоги", "Исходные данные", "Допущения", "Потоки по кварталам"]
    summary = {row[0]: row[1] for row in wb["Итоги"].iter_rows(values_only=True)}
    assert summary["IRR аренды, % годовых"] == 18.5 and summary["IRR продажи после ввода, % годовых"] == 17.3
    assert summary["Покупка"] == -280_000_000
    inputs = {row[0]: row[1] for row in wb["Исходные данные"].iter_rows(values_only=True)}
    assert inputs["Площадь, м²"] == 700 and inputs["Квартал сделки"] == "1Q2026"
    keys = {row[2]: row[1] for row in wb["Допущения"].iter_rows(min_row=2, values_only=True)}
    assert keys["cap_rate"] == 0.085 and keys["horizon_quarters"] == 24
    flows = list(wb["Потоки по кварталам"].iter_rows(values_only=True))
    header, rows = flows[0], flows[1:]
    assert len(rows) == 24 and rows[0][0] == "1Q2026" and rows[-1][0] == "4Q2031"
    total = header.index("Итого (аренда)")
    assert [row[total] for row in rows] == pytest.approx(result.rent.total, abs=0.01)
    sale_total = header.index("Итого (продажа)")
    assert rows[7][sale_total] == pytest.approx(result.sale.total[7], abs=0.01) and rows[8][sale_total] is None


def test_xlsx_finished_unit_without_irr(tmp_path):
    r = calculate(dict(FINISHED, rent_rate=1, cadastral=1_000_000), assumptions=Assumptions(property_tax_lag_quarters=0))
    wb = openpyxl.load_workbook(write_xlsx(r, tmp_path / "m.xlsx"))
    summary = {row[0]: row[1] for row in wb["Итоги"].iter_rows(values_only=True)}
    assert summary["IRR аренды, % годовых"] is None and "IRR не существует" in summary["Примечание (аренда)"]


def test_summary_text_finished():
    text = summary_text(calculate(FINISHED))
    assert "15,9 % годовых" in text and "Доходность высокая." in text
    assert "350,0 млн ₽" in text and "49,0 млн ₽" in text
    assert "вашего" in text and len(text) < 1500


def test_summary_text_names_its_assumptions():
    text = summary_text(calculate(FINISHED))
    why = text[text.index("На чём основан расчёт:"):]
    assert "аренда 60 000 ₽ за м² в год (5 000 ₽ в месяц): задана в расчёте" in why.replace("\u202f", " ")
    # rent starts after the fit-out quarter and two quarters of holidays: 1Q2026 + 3 = 4Q2026
    assert "аренда поступает с 4Q2026" in why and "2 квартала арендных каникул" in why
    assert "ставке капитализации 8,5 %" in why and "(4Q2031)" in why
    assert "11 % с доходов (УСН 6 % + НДС 5 %)" in why and "250 000 ₽ за м²" in why.replace("\u202f", " ")
    # rent income is named by its real quarters, not «за 6 лет»
    assert "аренда с 4Q2026 по 4Q2031" in text and "за 6 лет" not in text
    assert "медиана IRR" not in text
    market = summary_text(calculate(FINISHED), {"median_irr": 11.26, "count": 12})
    assert "медиана IRR 12 похожих предложений рядом в нашей базе — 11,3 %" in market


def test_summary_text_building_rent_starts_after_readiness():
    text = summary_text(calculate(BUILDING))
    # readiness 3Q2027 → fit-out 4Q2027 → holidays → rent from 2Q2028
    assert "аренда с 2Q2028 по 4Q2031" in text and "аренда поступает с 2Q2028" in text
    assert "готовый м² сейчас 520 000 ₽" in text.replace("\u202f", " ")


def test_summary_text_building():
    text = summary_text(calculate(BUILDING))
    assert "18,5 %" in text and "17,3 %" in text and "4Q2027" in text and "ввод 3Q2027" in text
    assert "280,0 млн ₽" in text


def test_summary_text_without_irr():
    r = calculate(dict(FINISHED, rent_rate=1, cadastral=1_000_000), assumptions=Assumptions(property_tax_lag_quarters=0))
    text = summary_text(r)
    assert "не определяется" in text and "очень низкая" in text


@pytest.mark.parametrize(
    "repairs, before_rent",
    [
        ("full", "отделка и 2 квартала"),
        ("partial", "отделка и 2 квартала"),
        ("none", "квартал на поиск арендатора и 2 квартала"),
    ],
)
def test_the_quarter_before_rent_is_named_by_the_repairs(repairs, before_rent):
    why = summary_text(calculate(dict(FINISHED, repairs=repairs)))
    assert f"аренда поступает с 4Q2026: {before_rent} арендных каникул" in why
