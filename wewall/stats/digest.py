"""The managers' digest: yesterday's figures and the week's trend, to a Telegram chat, once a day;
on the 1st of a month also the past month's.

Sent by the worker (`stats-digest` job) at WEWALL_DIGEST_TIME (Moscow time, default 09:00) to
WEWALL_DIGEST_CHAT_ID, through the bot's own Telegram token (TELEGRAM_TOKEN, TELEGRAM_API_BASE_URL;
WEWALL_DIGEST_BOT_TOKEN if another bot writes to the managers). Without a chat id or a token
the job does not start.

"Once": the last period sent is kept per kind in the table `stats_digests` of the worker's SQL
database (WEWALL_OUTBOX_URL). A digest is claimed there (a conditional update: two workers
cannot both claim it) before it is sent, and the claim is given back when computing or sending
fails, so a failure retries and a restart never repeats one. A worker killed in the middle of
sending loses that digest rather than sending it twice. A worker that was down at the hour
sends it when it comes back, the same day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from wewall.blocking import run_blocking
from wewall.jobs import Job
from wewall.sql import SqlStore, outbox_url
from wewall.stats.collect import NoEvents, Report, compute, local_tz, tracker_store_url, utc_offset
from wewall.stats.render import duration
from wewall.text import agree

if TYPE_CHECKING:  # imported when the job starts
    import aiohttp

log = logging.getLogger(__name__)

DAILY, MONTHLY = "daily", "monthly"
TELEGRAM_LIMIT = 4096
MONTHS = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
          "октябрь", "ноябрь", "декабрь"]
WEEKDAYS = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]

metadata = sa.MetaData()
digests = sa.Table(
    "stats_digests", metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("period", sa.String(16), nullable=False),  # ISO day or month: compares as text
    sa.Column("sent_at", sa.Float, nullable=False),
)


@dataclass
class DigestConfig:
    chat_id: str = ""
    token: str = ""
    api_base_url: str = "https://api.telegram.org"
    at: dt.time = dt.time(9, 0)
    tracker_url: str = ""
    state_url: str = ""
    offset_hours: float = 3.0
    top: int = 3

    @property
    def enabled(self) -> bool:
        return bool(self.chat_id and self.token)

    @classmethod
    def from_env(cls) -> DigestConfig:
        env = os.environ.get
        raw_at = (env("WEWALL_DIGEST_TIME") or "09:00").strip()
        try:
            at = dt.time.fromisoformat(raw_at)
        except ValueError:
            log.warning("WEWALL_DIGEST_TIME=%r: нужно ЧЧ:ММ, беру 09:00", raw_at)
            at = dt.time(9, 0)
        return cls(
            chat_id=(env("WEWALL_DIGEST_CHAT_ID") or "").strip(),
            token=(env("WEWALL_DIGEST_BOT_TOKEN") or env("TELEGRAM_TOKEN") or "").strip(),
            api_base_url=(env("TELEGRAM_API_BASE_URL") or cls.api_base_url).strip().rstrip("/"),
            at=at, tracker_url=tracker_store_url(), state_url=outbox_url(), offset_hours=utc_offset(),
        )


# ---------------------------------------------------------------- what was sent


class DigestState(SqlStore):
    metadata = metadata

    def last(self, kind: str) -> Optional[str]:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(digests.c.period).where(digests.c.kind == kind)).scalar()

    def claim(self, kind: str, period: str, now: float) -> Tuple[bool, Optional[str]]:
        """Mark `period` as sent unless it (or a later one) already is: (claimed, previous)."""
        previous = self.last(kind)
        if previous is not None and previous >= period:
            return False, previous
        with self.engine.begin() as conn:
            if previous is None:
                try:
                    conn.execute(digests.insert().values(kind=kind, period=period, sent_at=now))
                except IntegrityError:
                    return False, None  # another worker claimed it a moment ago
                return True, None
            n = conn.execute(digests.update().where(digests.c.kind == kind, digests.c.period == previous)
                             .values(period=period, sent_at=now)).rowcount
        return n == 1, previous

    def release(self, kind: str, period: str, previous: Optional[str]) -> None:
        """Give a claim back (the digest was not sent)."""
        with self.engine.begin() as conn:
            mine = sa.and_(digests.c.kind == kind, digests.c.period == period)
            if previous is None:
                conn.execute(digests.delete().where(mine))
            else:
                conn.execute(digests.update().where(mine).values(period=previous))


# ---------------------------------------------------------------- texts


def _trend(now: int, before: int) -> str:
    if before == 0:
        return "неделей раньше не было" if now else "как и неделей раньше"
    change = round(100 * (now - before) / before)
    if change == 0:
        return f"столько же, сколько неделей раньше ({before})"
    return f"{'+' if change > 0 else '−'}{abs(change)} % к прошлой неделе ({before})"


def _figures(r: Report, top: int) -> list:
    d = r.as_dict(top=top)
    c, m = d["clients"], d["manager"]
    lines = [f"Клиентов: {c['total']} (новых {c['new']}, вернулись {c['returning']}), "
             f"{c['messages']} {agree(c['messages'], 'сообщение')}"]
    for f in d["forms"]:
        lines.append(f"{f['title']}: начали {f['started']}, завершили {f['finished']}")
    reply = f" (медиана {duration(m['median_seconds'])})" if m["answered"] else ""
    lines.append(f"Передано менеджеру: {m['handovers']}, менеджер ответил: {m['answered']}{reply}")
    nu = d["not_understood"]
    if nu["total"]:
        common = "; ".join(f"«{g['text']}» ({g['count']})" for g in nu["groups"])
        lines.append(f"Бот не понял: {nu['total']} {agree(nu['total'], 'сообщение')}"
                     + (f"; чаще всего: {common}" if common else ""))
    return lines


def daily_text(day: dt.date, yesterday: Report, week: Report, previous_week: Report, top: int = 3) -> str:
    lines = [f"Сводка WEWALL AI за {day:%d.%m.%Y} ({WEEKDAYS[day.weekday()]})"] + _figures(yesterday, top)
    start = day - dt.timedelta(days=6)
    per_day = {dt.date.fromisoformat(x["date"]): x["clients"] for x in week.as_dict(top=0)["days"]}
    series = " · ".join(str(per_day.get(start + dt.timedelta(days=n), 0)) for n in range(7))
    lines += ["",
              f"Неделя {start:%d.%m}–{day:%d.%m}: клиентов {week.clients}, "
              f"{_trend(week.clients, previous_week.clients)}",
              f"Новых {week.new_clients}, передано менеджеру {week.handovers}",
              f"Клиентов по дням: {series}"]
    return "\n".join(lines)


def monthly_text(first: dt.date, month: Report, previous: Report, top: int = 5) -> str:
    lines = [f"Сводка WEWALL AI за {MONTHS[first.month - 1]} {first.year}"] + _figures(month, top)
    if previous.clients:
        change = round(100 * (month.clients - previous.clients) / previous.clients)
        lines.append(f"Клиентов к прошлому месяцу: {'+' if change >= 0 else '−'}{abs(change)} % ({previous.clients})")
    return "\n".join(lines)


# ---------------------------------------------------------------- the job


def _midnight(day: dt.date, tz: dt.timezone) -> float:
    return dt.datetime.combine(day, dt.time(), tz).timestamp()


def _month_before(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


class TelegramError(Exception):
    pass


class DigestJob(Job):
    name = "stats-digest"
    interval = 60.0

    def __init__(self, config: DigestConfig, state: Optional[DigestState] = None,
                 clock: Callable[[], float] = time.time):
        self.config = config
        self.state = state or DigestState(config.state_url)
        self.clock = clock
        self.tz = local_tz(config.offset_hours)
        self._session: Optional[aiohttp.ClientSession] = None

    async def start(self) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _report(self, since: float, until: float) -> Report:
        try:
            return compute(self.config.tracker_url, since, until, self.config.offset_hours)
        except NoEvents:  # a new installation: zeros are the truth (a database down is retried)
            return Report(since=since, until=until, offset_hours=self.config.offset_hours)

    def daily(self, day: dt.date) -> str:
        tz = self.tz
        end = _midnight(day + dt.timedelta(days=1), tz)
        week_start = _midnight(day - dt.timedelta(days=6), tz)
        return daily_text(day, self._report(_midnight(day, tz), end), self._report(week_start, end),
                          self._report(week_start - 7 * 86400, week_start), self.config.top)

    def monthly(self, first: dt.date) -> str:
        tz = self.tz
        end = _midnight((first + dt.timedelta(days=32)).replace(day=1), tz)
        before = _month_before(first)
        return monthly_text(first, self._report(_midnight(first, tz), end),
                            self._report(_midnight(before, tz), _midnight(first, tz)), max(5, self.config.top))

    async def send(self, text: str) -> None:
        import aiohttp

        if self._session is None:
            await self.start()
        assert self._session is not None
        if len(text) > TELEGRAM_LIMIT:
            text = text[:TELEGRAM_LIMIT - 1] + "…"
        url = f"{self.config.api_base_url}/bot{self.config.token}/sendMessage"
        try:
            async with self._session.post(url, json={"chat_id": self.config.chat_id, "text": text,
                                                     "disable_web_page_preview": True}) as resp:
                body: Dict[str, Any] = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise TelegramError(f"Telegram недоступен: {exc.__class__.__name__}") from exc
        if not isinstance(body, dict) or not body.get("ok"):
            raise TelegramError(f"Telegram отказал: HTTP {resp.status} {str((body or {}).get('description'))[:200]}")

    async def _once(self, kind: str, period: str, build: Callable[[], str]) -> bool:
        now = self.clock()
        claimed, _previous = await run_blocking(self.state.claim, kind, period, now)
        if not claimed:
            return False
        try:
            text = await run_blocking(build)
            await self.send(text)
        except BaseException:
            await run_blocking(self.state.release, kind, period, _previous)
            raise
        log.info("сводка %s за %s отправлена в чат менеджеров", kind, period)
        return True

    async def run_once(self) -> bool:
        local = dt.datetime.fromtimestamp(self.clock(), self.tz)
        if local.time() < self.config.at:
            return False
        today = local.date()
        yesterday = today - dt.timedelta(days=1)
        await self._once(DAILY, yesterday.isoformat(), lambda: self.daily(yesterday))
        if today.day == 1:
            month = _month_before(today)
            await self._once(MONTHLY, month.strftime("%Y-%m"), lambda: self.monthly(month))
        return False


def job_factory(ctx) -> Optional[DigestJob]:
    config = DigestConfig.from_env()
    if not config.enabled:
        log.info("сводка для менеджеров выключена (нет WEWALL_DIGEST_CHAT_ID или TELEGRAM_TOKEN)")
        return None
    return DigestJob(config)
