"""The one-page PDF report, opened as a reader would: its text (pdftotext) and its picture
(pdftoppm), with the title, the IRR and the chart's bars on the page."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from wewall.calculator import calculate
from wewall.calculator.pdf import TITLE, write_pdf
from wewall.text import percent

BUILDING = dict(
    kind="building_office", area_m2=200, price_per_m2=380_000, repairs="full", nds_rate=0, estate_class="B",
    metro_station="Белорусская", distance_to_metro_m=560, rent_rate=30_000, price_ready=420_000, cadastral=180_000,
    readiness="4Q2027", tranches={"4Q2026": 30, "4Q2027": 70}, as_of="2026-12-05",
)
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftoppm, pdftotext) not installed: apt-get install poppler-utils")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    result = calculate(BUILDING)
    path = write_pdf(result, tmp_path_factory.mktemp("pdf") / "report.pdf", {"median_irr": 11.2, "count": 9})
    return result, path


def test_pdf_is_one_page(report):
    data = report[1].read_bytes()
    assert data[:5] == b"%PDF-" and data.count(b"/Count 1") == 1 and b"/Count 2" not in data


@needs_poppler
def test_pdf_text_has_title_irr_inputs_and_assumptions(report):
    result, path = report
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.replace("\u202f", " ").split())
    assert TITLE in flat
    assert f"IRR при сдаче в аренду: {percent(result.rent_irr)} годовых" in flat
    assert f"IRR при продаже после ввода (1Q2028): {percent(result.sale_irr)} годовых" in flat
    assert "200 м², 380 000 ₽ за м²" in flat and "м. Белорусская" in flat
    assert "ставке капитализации 8,5 %" in flat and "медиана IRR 9 похожих предложений" in flat


@needs_poppler
def test_pdf_renders_to_a_picture_with_the_chart(report, tmp_path):
    from PIL import Image

    _, path = report
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", str(path), str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png").convert("RGB")
    width, height = page.size
    assert 0.65 < width / height < 0.75  # A4 portrait
    # The chart is in the lower half: its green (income) and red (payment) bars are there, and
    # nowhere in the text above.
    def count(color, box):
        r0, g0, b0 = color
        return sum(1 for r, g, b in page.crop(box).getdata() if abs(r - r0) < 40 and abs(g - g0) < 40 and abs(b - b0) < 40)

    lower, upper = (0, height // 2, width, height), (0, 0, width, height // 3)
    green, red = (0x2E, 0x9E, 0x5B), (0xD0, 0x54, 0x3F)
    assert count(green, lower) > 20 and count(red, lower) > 20
    assert count(green, upper) == 0 and count(red, upper) == 0
