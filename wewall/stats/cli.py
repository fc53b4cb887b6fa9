"""`wewall stats [--since ДАТА] [--until ДАТА] [--json | --csv]`: the bot's figures for a period."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from typing import Optional, Tuple

DEFAULT_DAYS = 30


def add_parser(sub) -> None:
    p = sub.add_parser("stats", help="статистика бота за период: клиенты, воронки форм, заявки, непонятые сообщения")
    p.add_argument("--since", help="начало периода: ГГГГ-ММ-ДД или ГГГГ-ММ-ДДTЧЧ:ММ (время МСК); "
                                   f"по умолчанию {DEFAULT_DAYS} дней назад")
    p.add_argument("--until", help="конец периода: дата включительно или время; по умолчанию сейчас")
    p.add_argument("--days", type=int, default=None, help=f"длина периода в днях (по умолчанию {DEFAULT_DAYS})")
    p.add_argument("--url", default=None, help="SQLAlchemy URL хранилища диалогов (по умолчанию WEWALL_TRACKER_STORE_URL)")
    p.add_argument("--top", type=int, default=30, help="сколько групп непонятых сообщений показать (30)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON вместо таблицы")
    fmt.add_argument("--csv", action="store_true", help="CSV: раздел, показатель, деталь, значение")


def _moment(value: str, tz: dt.timezone, end: bool) -> float:
    """A date or a date and time in the managers' time; a date as `--until` includes that day."""
    value = value.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            start = dt.datetime.combine(day, dt.time(), tz)
            return (start + dt.timedelta(days=1) if end else start).timestamp()
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"не понимаю дату «{value}»: нужно ГГГГ-ММ-ДД или ГГГГ-ММ-ДДTЧЧ:ММ")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.timestamp()


def period(since: Optional[str], until: Optional[str], days: Optional[int], tz: dt.timezone,
           now: Optional[float] = None) -> Tuple[float, float]:
    if days is not None and days <= 0:
        raise ValueError("--days должно быть больше нуля")
    end = _moment(until, tz, end=True) if until else (time.time() if now is None else now)
    if since:
        start = _moment(since, tz, end=False)
        if days is not None and until is None:
            end = start + days * 86400
    else:
        start = end - (days or DEFAULT_DAYS) * 86400
    if start >= end:
        raise ValueError("начало периода должно быть раньше конца")
    return start, end


def run(args: argparse.Namespace) -> int:
    from wewall.stats import render
    from wewall.stats.collect import StatsError, compute, local_tz, tracker_store_url

    try:
        since, until = period(args.since, args.until, args.days, local_tz())
        report = compute(args.url or tracker_store_url(), since, until).as_dict(top=max(0, args.top))
    except (ValueError, StatsError) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    out = render.as_json(report) if args.json else render.as_csv(report) if args.csv else render.text(report)
    sys.stdout.write(out)
    return 0
