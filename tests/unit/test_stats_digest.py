"""The managers' digest against the local Bot API server, with a clock the test moves:
once a day at the configured time, the monthly one on the 1st, nothing twice after a restart,
nothing lost when Telegram refuses. SQLite and PostgreSQL (the store and the sent-marks)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import List

import pytest

from tests.telegram_server import TelegramServer
from tests.unit.test_crm_outbox import pg_url, sql_url  # noqa: F401 (fixtures)
from tests.unit.test_stats import MSK, _fill, scripted
from wewall.stats.collect import Report
from wewall.stats.digest import DigestConfig, DigestJob, DigestState, daily_text

CHAT = "-1001234567890"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def set(self, *args: int) -> None:
        self.now = dt.datetime(*args, tzinfo=MSK).timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def url(sql_url):
    asyncio.run(_fill(sql_url, scripted()))
    return sql_url


@pytest.fixture
def tg():
    with TelegramServer() as server:
        yield server


def _job(url: str, tg: TelegramServer, clock: Clock, token: str = "") -> DigestJob:
    config = DigestConfig(chat_id=CHAT, token=token or tg.token, api_base_url=tg.base_url,
                          at=dt.time(9, 0), tracker_url=url, state_url=url, offset_hours=3)
    return DigestJob(config, DigestState(url), clock=clock)


def _tick(job: DigestJob) -> None:
    async def once() -> None:
        await job.start()
        try:
            await job.run_once()
        finally:
            await job.close()
    asyncio.run(once())


def _texts(tg: TelegramServer) -> List[str]:
    return [c.params["text"] for c in tg.calls_of("sendMessage", chat_id=CHAT)]


def test_once_a_day_at_the_hour_and_not_again_after_a_restart(url, tg):
    clock = Clock()
    job = _job(url, tg, clock)
    clock.set(2026, 11, 12, 8, 59)
    _tick(job)
    assert _texts(tg) == []  # not before the hour
    clock.set(2026, 11, 12, 9, 0)
    _tick(job)
    clock.set(2026, 11, 12, 18, 0)
    _tick(job)
    _tick(_job(url, tg, clock))  # the worker restarted the same day
    texts = _texts(tg)
    assert len(texts) == 1
    lines = texts[0].split("\n")
    assert lines[0] == "Сводка WEWALL AI за 11.11.2026 (ср)"
    assert lines[1] == "Клиентов: 3 (новых 1, вернулись 2), 11 сообщений"
    assert "Расчёт доходности: начали 1, завершили 1" in lines
    assert "Передано менеджеру: 2, менеджер ответил: 1 (медиана 5 мин)" in lines
    assert lines[-3:] == ["Неделя 05.11–11.11: клиентов 5, неделей раньше не было",
                          "Новых 5, передано менеджеру 2",
                          "Клиентов по дням: 1 · 0 · 0 · 0 · 0 · 3 · 3"]
    assert not any(name in texts[0] for name in ("Пётр", "Борис", "123-45"))

    clock.set(2026, 11, 13, 9, 30)  # the next day: the 12th's digest, one client
    _tick(_job(url, tg, clock))
    texts = _texts(tg)
    assert len(texts) == 2 and texts[1].startswith("Сводка WEWALL AI за 12.11.2026 (чт)\nКлиентов: 1 (новых 1, вернулись 0)")


def test_the_first_of_the_month_adds_the_months_digest_once(url, tg):
    clock = Clock()
    clock.set(2026, 12, 1, 10, 0)
    _tick(_job(url, tg, clock))
    _tick(_job(url, tg, clock))
    texts = _texts(tg)
    assert [t.split("\n")[0] for t in texts] == ["Сводка WEWALL AI за 30.11.2026 (пн)", "Сводка WEWALL AI за ноябрь 2026"]
    month = texts[1].split("\n")
    # November: tg-1..tg-5 and tg-7; tg-4's first visit (5 November) is in the month too.
    assert month[1] == "Клиентов: 6 (новых 6, вернулись 0), 26 сообщений"
    assert "Бот не понял: 5 сообщений; чаще всего: «как дела у вас» (2)" in month[-1]
    clock.set(2026, 12, 2, 9, 0)
    _tick(_job(url, tg, clock))
    assert [t.split("\n")[0] for t in _texts(tg)][2:] == ["Сводка WEWALL AI за 01.12.2026 (вт)"]


def test_a_refusal_sends_nothing_and_the_digest_goes_out_later(url, tg):
    clock = Clock()
    clock.set(2026, 11, 12, 9, 5)
    with pytest.raises(Exception, match="Telegram отказал: HTTP 401"):
        _tick(_job(url, tg, clock, token="999:wrong-token-wrong-token-wrong-token"))
    assert _texts(tg) == []
    assert DigestState(url).last("daily") is None  # the claim was given back
    clock.set(2026, 11, 12, 9, 6)
    _tick(_job(url, tg, clock))
    assert len(_texts(tg)) == 1
    assert DigestState(url).last("daily") == "2026-11-11"


def test_a_new_installation_gets_zeros_and_a_database_down_is_retried(tmp_path, tg):
    clock = Clock()
    clock.set(2026, 11, 12, 9, 0)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    down = DigestJob(DigestConfig(chat_id=CHAT, token=tg.token, api_base_url=tg.base_url,
                                  tracker_url="postgresql://postgres@127.0.0.1:1/none", offset_hours=3),
                     DigestState(state), clock=clock)
    with pytest.raises(Exception, match="хранилище диалогов недоступно"):
        _tick(down)
    assert _texts(tg) == [] and DigestState(state).last("daily") is None
    fresh = DigestJob(DigestConfig(chat_id=CHAT, token=tg.token, api_base_url=tg.base_url,
                                   tracker_url=f"sqlite:///{tmp_path / 'no-tracker.db'}", offset_hours=3),
                      DigestState(state), clock=clock)
    _tick(fresh)
    assert _texts(tg)[0].split("\n")[:2] == ["Сводка WEWALL AI за 11.11.2026 (ср)",
                                             "Клиентов: 0 (новых 0, вернулись 0), 0 сообщений"]


def test_two_claims_of_one_day_only_one_wins(url):
    state = DigestState(url)
    assert state.claim("daily", "2026-11-11", 1.0) == (True, None)
    assert state.claim("daily", "2026-11-11", 2.0) == (False, "2026-11-11")
    assert state.claim("daily", "2026-11-10", 2.0) == (False, "2026-11-11")  # never backwards
    assert state.claim("daily", "2026-11-12", 3.0) == (True, "2026-11-11")
    state.release("daily", "2026-11-12", "2026-11-11")
    assert state.last("daily") == "2026-11-11"


@pytest.mark.parametrize("now,before,trend", [
    (12, 10, "+20 % к прошлой неделе (10)"),
    (5, 10, "−50 % к прошлой неделе (10)"),
    (10, 10, "столько же, сколько неделей раньше (10)"),
    (0, 0, "как и неделей раньше"),
])
def test_week_trend_wording(now, before, trend):
    def report(clients: int) -> Report:
        r = Report(since=0, until=1, offset_hours=3)
        r.clients = clients
        return r

    text = daily_text(dt.date(2026, 11, 11), report(1), report(now), report(before))
    assert f"клиентов {now}, {trend}" in text


def test_digest_is_off_without_a_chat(monkeypatch):
    from wewall.stats.digest import job_factory

    monkeypatch.delenv("WEWALL_DIGEST_CHAT_ID", raising=False)
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:abc")
    assert job_factory(None) is None
