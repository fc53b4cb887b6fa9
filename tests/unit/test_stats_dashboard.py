"""The statistics page: behind its token, the figures of the scripted store, charts as SVG,
nothing personal, a period computed once per cache interval. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import re
from pathlib import Path

import pytest
from rasa.core.channels.channel import register
from sanic import Sanic
from sanic_testing.testing import SanicTestClient

from tests.unit.test_crm_outbox import pg_url, sql_url  # noqa: F401 (fixtures)
from tests.unit.test_stats import UNTIL, Talk, _fill, scripted
from wewall.stats.dashboard import StatsDashboardInput, bars_chart, days_chart

TOKEN = "s3cret-token-for-managers"
_names = itertools.count()


class Clock:
    now = UNTIL

    def __call__(self) -> float:
        return self.now


def make_client(channel: StatsDashboardInput) -> SanicTestClient:
    app = Sanic(f"stats_test_{next(_names)}")
    register([channel], app, route="/webhooks/")
    return SanicTestClient(app, port=None)


@pytest.fixture
def store(sql_url):
    asyncio.run(_fill(sql_url, scripted()))
    return sql_url


def test_the_page_shows_the_periods_figures_and_charts(store):
    client = make_client(StatsDashboardInput(token=TOKEN, url=store, clock=Clock()))
    _, res = client.get(f"/webhooks/stats/?token={TOKEN}&days=2")
    assert res.status == 200
    page = res.text
    cards = {k: v for v, k in re.findall(r'<div class="card"><b>([^<]*)</b><span>([^<]*)</span>', page)}
    assert cards == {"клиентов": "5", "новых": "4", "вернулись": "1", "передано менеджеру": "2",
                     "ответ менеджера, медиана": "5 мин", "бот не понял": "5"}
    assert re.findall(r'data-chart="([a-z-]+)"', page) == ["days", "funnel", "dropoff", "dropoff", "not-understood"]
    assert page.count("<svg") == 5
    assert "Где бросают: Расчёт доходности" in page and "дошли 3, бросили 1" in page
    assert "<title>2026-11-10: 3</title>" in page  # the first day's bar: three clients
    assert not any(s in page for s in ("Борис", "Пётр", "123-45", "anna_k"))
    assert "script" not in page.lower()  # no script at all: nothing to inject into
    assert "default-src 'none'" in res.headers["content-security-policy"]
    assert res.headers["referrer-policy"] == "no-referrer"
    _, css = client.get("/webhooks/stats/dashboard.css")
    assert css.status == 200 and css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("query,status", [
    ("", 401), ("?token=wrong", 401), (f"?token={TOKEN}x", 401), (f"?token={TOKEN[:-1]}", 401),
    (f"?token={TOKEN}&days=0", 400), (f"?token={TOKEN}&days=abc", 400), (f"?token={TOKEN}&days=400", 400),
])
def test_no_figures_without_the_token_or_with_a_bad_period(store, query, status):
    client = make_client(StatsDashboardInput(token=TOKEN, url=store, clock=Clock()))
    _, res = client.get(f"/webhooks/stats/{query}")
    assert res.status == status
    assert "card" not in res.text and "<svg" not in res.text


def test_without_a_configured_token_the_page_is_off(store):
    client = make_client(StatsDashboardInput(token="", url=store, clock=Clock()))
    _, res = client.get("/webhooks/stats/?token=")
    assert res.status == 404 and "WEWALL_STATS_TOKEN" in res.text


def test_without_the_trailing_slash_it_redirects_keeping_the_token(store):
    client = make_client(StatsDashboardInput(token=TOKEN, url=store, clock=Clock()))
    _, res = client.get(f"/webhooks/stats?token={TOKEN}&days=2", allow_redirects=False)
    assert res.status in (301, 302) and res.headers["location"] == f"/webhooks/stats/?token={TOKEN}&days=2"


def test_a_broken_store_is_a_clear_503(tmp_path):
    client = make_client(StatsDashboardInput(token=TOKEN, url=f"sqlite:///{tmp_path / 'none.db'}", clock=Clock()))
    _, res = client.get(f"/webhooks/stats/?token={TOKEN}")
    assert res.status == 503 and "нет файла" in res.text


def test_a_period_is_computed_once_per_cache_interval(store):
    clock = Clock()
    client = make_client(StatsDashboardInput(token=TOKEN, url=store, cache_seconds=300, clock=clock))

    def clients() -> str:
        _, res = client.get(f"/webhooks/stats/?token={TOKEN}&days=2")
        return re.search(r'<b>([^<]*)</b><span>клиентов</span>', res.text).group(1)

    assert clients() == "5"
    late = Talk("late", UNTIL - 60)
    late.user("привет", "greet")
    asyncio.run(_fill(store, [late]))
    clock.now = UNTIL + 100  # within the cache: the same figures (computed anew, 7 would show)
    assert clients() == "5"
    clock.now = UNTIL + 301  # recomputed: the newcomer and tg-7 (now inside the period) count
    assert clients() == "7"


def test_charts_scale_to_the_largest_value():
    svg = days_chart([{"date": "2026-11-10", "clients": 4, "new": 1}, {"date": "2026-11-11", "clients": 2, "new": 2}])
    heights = [float(h) for h in re.findall(r'height="([\d.]+)" fill', svg)]
    assert heights == pytest.approx([heights[0], heights[0] / 4, heights[0] / 2, heights[0] / 2])  # 4, 1; 2, 2
    bars = bars_chart([("a", 10, 5, ""), ("b", 5, 0, "")], "t")
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height="14" fill="#(?!e3e8ef)', bars)]
    assert widths == [360.0, 180.0, 180.0]
    assert "Нет" in bars_chart([], "t") and "Нет" in days_chart([])


def test_credentials_yml_registers_the_page():
    text = (Path(__file__).resolve().parents[2] / "credentials.yml").read_text()
    assert re.search(r"^wewall\.stats\.dashboard\.StatsDashboardInput:", text, re.M)
