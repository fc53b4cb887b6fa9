"""The web chat in a real browser: Debian's headless Chromium opens /webhooks/webchat/ on the real
Rasa and action servers, greets, taps «Оценка доходности», answers the calculation with buttons and
typed answers, and sees the chart load. The browser is driven by playwright-core from the npm
registry (web/package.json), which uses /usr/bin/chromium and downloads no browser of its own;
`make test` installs both. The scenario itself is web/e2e/webchat-scenario.mjs; it reports every
step, and this test fails naming the first step that did not pass.

Screenshot: test-output/webchat.png (and the step report test-output/webchat.json).
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import PROJECT_ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = Path(os.environ.get("WEWALL_CHROMIUM", "/usr/bin/chromium"))
SCENARIO = PROJECT_ROOT / "web" / "e2e" / "webchat-scenario.mjs"
OUTPUT = PROJECT_ROOT / "test-output"
SCREENSHOT = OUTPUT / "webchat.png"
REPORT = OUTPUT / "webchat.json"


def _missing_tools() -> list:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not shutil.which("node"):
        missing.append("node")
    if not (PROJECT_ROOT / "web" / "node_modules" / "playwright-core").is_dir():
        missing.append("web/node_modules (cd web && npm ci)")
    if not (PROJECT_ROOT / "web" / "node_modules" / "socket.io-client").is_dir():
        missing.append("socket.io-client (cd web && npm ci)")
    return missing


@pytest.fixture(scope="module")
def browser_tools():
    missing = _missing_tools()
    if missing:
        message = "нет инструментов для браузерного теста: " + ", ".join(missing) + " — их ставит `make test`"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI runs `make test`, which installs them: missing means broken
        pytest.skip(message)


def _run_scenario(url: str) -> tuple:
    for stale in (SCREENSHOT, REPORT):
        stale.unlink(missing_ok=True)
    proc = subprocess.run(
        ["node", str(SCENARIO), "--url", url, "--screenshot", str(SCREENSHOT), "--report", str(REPORT),
         "--chromium", str(CHROMIUM)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )
    report = json.loads(REPORT.read_text()) if REPORT.exists() else None
    return proc, report


def test_a_calculation_in_the_web_chat(browser_tools, bot):
    proc, report = _run_scenario(f"{bot.url}/webhooks/webchat/")
    assert report is not None, f"сценарий не записал отчёт:\n{proc.stdout}\n{proc.stderr}"

    # the screenshot is taken whatever happened, so a failure can be looked at
    assert SCREENSHOT.is_file() and SCREENSHOT.stat().st_size > 0, "нет снимка экрана"

    failed = [s for s in report["steps"] if not s["ok"]]
    if failed:
        transcript = "\n".join(report["transcript"][-12:])
        errors = [
            line for name in ("rasa", "actions") for line in bot.log(name).splitlines()
            if re.search(r"\b(ERROR|Traceback|Exception)\b", line)
        ]
        pytest.fail(
            f"шаг «{failed[0]['name']}» не прошёл: {failed[0]['detail']}\n"
            f"снимок: {SCREENSHOT}, отчёт: {REPORT}\nпоследние сообщения:\n{transcript}\n"
            f"ошибки в журналах серверов ({len(errors)}):\n" + "\n".join(e[:300] for e in errors[-10:]),
            pytrace=False,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    names = [s["name"] for s in report["steps"]]
    assert "первый вопрос расчёта" in names and "график загрузился" in names
    assert report["image"]["naturalWidth"] > 0
    assert report["image"]["src"].startswith(f"{bot.url}/webhooks/files/")
    # nothing from a CDN or anywhere else: the page talks only to the bot's own server
    assert report["hosts"] == [bot.url.split("://", 1)[1]], report["hosts"]
    assert not [c for c in report["console"] if "favicon" not in c], report["console"]
