"""`wewall worker`: the bot's background process.

Each job is an async loop over `run_once()`; the worker starts the jobs that apply, restarts
a job whose loop fails (after a pause), and stops them all on SIGTERM/SIGINT, letting each
finish what it holds (the relay finishes the message in hand and releases its lease).

Jobs now (the registry: wewall/jobs.py):
- `crm-relay`: drains the amoCRM outbox (wewall.crm.relay), when the CRM is configured;
- `crm-token-refresh`: refreshes the OAuth access token an hour before it expires;
- `crm-outbox-cleanup`: deletes delivered outbox/inbox rows older than the retention.

- `follow-ups`: one reminder to a client silent in the middle of a form (wewall.followups).
- `stats-digest`: the managers' daily/monthly figures in Telegram, when WEWALL_DIGEST_CHAT_ID
  is set (wewall.stats.digest).
- `lead-delivery`: new leads to the managers' Telegram chat and by e-mail (wewall.leads.job),
  when either is configured.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import List, Optional

from wewall.jobs import Job, WorkerContext, build_jobs

log = logging.getLogger(__name__)


def build_context() -> WorkerContext:
    from wewall.crm.config import get_crm_settings

    settings = get_crm_settings()
    ctx = WorkerContext(crm_settings=settings)
    if settings.enabled:
        from wewall.crm.store import get_store

        ctx.crm_store = get_store()
    else:
        log.warning("amoCRM выключен (не заданы: %s): переписка в CRM не передаётся",
                    "; ".join(settings.missing()) or "—")
    return ctx


# ---------------------------------------------------------------- the loop


async def _job_loop(job: Job, stop: asyncio.Event) -> None:
    failures = 0
    await job.start()
    while not stop.is_set():
        try:
            busy = await job.run_once()
            failures = 0
        except Exception:
            failures += 1
            delay = min(60.0, 2.0 ** failures)
            log.exception("worker: job %s failed, again in %.0fs", job.name, delay)
            busy, wait = False, delay
        else:
            wait = job.interval
        if busy:
            await asyncio.sleep(0)
            continue
        try:
            await asyncio.wait_for(stop.wait(), wait)
        except asyncio.TimeoutError:
            pass


async def run_worker(jobs: List[Job], stop: Optional[asyncio.Event] = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    names = ", ".join(j.name for j in jobs) or "нет"
    log.info("worker: задачи: %s", names)
    print(f"wewall worker: задачи: {names}", flush=True)
    tasks = [asyncio.create_task(_job_loop(j, stop), name=j.name) for j in jobs]
    try:
        await stop.wait()
    finally:
        for job in jobs:
            job.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for job in jobs:
            try:
                await job.close()
            except Exception:
                log.exception("worker: closing %s", job.name)
        print("wewall worker: остановлен", flush=True)


def main(once: bool = False) -> int:
    ctx = build_context()
    jobs = build_jobs(ctx)
    if once:
        async def drain() -> None:
            for job in jobs:
                await job.start()
                while await job.run_once():
                    pass
                await job.close()
        asyncio.run(drain())
        return 0
    asyncio.run(run_worker(jobs))
    return 0
