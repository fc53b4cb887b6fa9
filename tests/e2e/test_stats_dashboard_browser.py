"""The statistics page in Debian's headless Chromium at a phone's width (390 px): the page is
served by its real channel on a real HTTP server over a store of scripted conversations; the
test reads the screenshot and finds each chart's bars, in their colours, inside the chart's box.
The scenario is web/e2e/stats-dashboard.mjs (playwright-core, no browser download).

Screenshot: test-output/stats.png (and the report test-output/stats.json).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import threading

import pytest
from PIL import Image
from rasa.core.channels.channel import register

from tests.e2e.harness import PROJECT_ROOT, free_port
from tests.e2e.test_webchat_browser import CHROMIUM, browser_tools  # noqa: F401 (fixture)
from tests.unit.test_stats import UNTIL, _fill, scripted
from wewall.stats.dashboard import BLUE, ORANGE, RED, StatsDashboardInput

pytestmark = pytest.mark.e2e

SCENARIO = PROJECT_ROOT / "web" / "e2e" / "stats-dashboard.mjs"
OUTPUT = PROJECT_ROOT / "test-output"
SCREENSHOT = OUTPUT / "stats.png"
REPORT = OUTPUT / "stats.json"
TOKEN = "browser-test-token"
_names = itertools.count()


@pytest.fixture
def server(tmp_path):
    """The page's channel on a Sanic server in a thread, over a SQLite store."""
    from sanic import Sanic

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    asyncio.run(_fill(url, scripted()))
    app = Sanic(f"stats_browser_{next(_names)}")
    register([StatsDashboardInput(token=TOKEN, url=url, clock=lambda: UNTIL)], app, route="/webhooks/")
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder = {}

    async def start():
        srv = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await srv.startup()
        holder["srv"] = srv
        ready.set()
        await srv.serve_forever()

    thread = threading.Thread(target=lambda: loop.run_until_complete(start()), daemon=True)
    thread.start()
    assert ready.wait(30), "the page's server did not start"
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(holder["srv"].close)
    thread.join(10)


def _hex(color: str) -> tuple:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def _count(image: Image.Image, box: dict, color: str, tolerance: int = 24) -> int:
    target = _hex(color)
    crop = image.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"])))
    return sum(1 for px in crop.getdata() if all(abs(a - b) <= tolerance for a, b in zip(px[:3], target)))


def test_the_dashboard_draws_its_charts_on_a_phone(browser_tools, server):
    for stale in (SCREENSHOT, REPORT):
        stale.unlink(missing_ok=True)
    proc = subprocess.run(
        ["node", str(SCENARIO), "--url", f"{server}/webhooks/stats/?token={TOKEN}&days=2",
         "--screenshot", str(SCREENSHOT), "--report", str(REPORT), "--chromium", str(CHROMIUM)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert REPORT.exists(), f"сценарий не записал отчёт:\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(REPORT.read_text())
    assert report["error"] is None and proc.returncode == 0, report["error"]
    assert report["status"] == 200
    assert report["console"] == []
    assert report["hosts"] == [server.split("//")[1]]  # nothing from anywhere else
    assert report["scrollWidth"] <= report["viewport"]["width"], "the page is wider than the phone"
    kinds = [c["kind"] for c in report["charts"]]
    assert kinds == ["days", "funnel", "dropoff", "dropoff", "not-understood"]

    image = Image.open(SCREENSHOT).convert("RGB")
    # Colours each chart must show: the bars and their parts, drawn, in the chart's own box.
    expected = {"days": (BLUE, ORANGE), "funnel": (BLUE, ORANGE), "dropoff": (BLUE, RED), "not-understood": (BLUE,)}
    for chart in report["charts"]:
        box = chart["box"]
        assert 300 <= box["width"] <= report["viewport"]["width"], chart
        assert box["y"] + box["height"] <= image.height, chart
        for color in expected[chart["kind"]]:
            pixels = _count(image, box, color)
            assert pixels >= 150, f"{chart['title']}: {pixels} px of {color} in {box}"
