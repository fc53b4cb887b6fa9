"""`wewall worker`: the bot's background process.

Each job is an async loop over `run_once()`; the worker starts the jobs that apply, restarts
a job whose loop fails (after a pause), and stops them all on SIGTERM/SIGINT, letting each
finish what it holds (the relay finishes the message in hand and releases its lease).

Jobs now:
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
import os
import signal
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional

if TYPE_CHECKING:  # imported where used: the worker starts without the CRM packages loaded
    from wewall.crm.config import CrmSettings
    from wewall.crm.store import CrmStore

log = logging.getLogger(__name__)


class Job:
    """A unit of background work. `run_once` returns True when it did something (then it
    is called again at once), False when idle (then after `interval` seconds)."""

    name = "job"
    interval = 1.0

    async def start(self) -> None:
        pass

    async def run_once(self) -> bool:
        raise NotImplementedError

    async def close(self) -> None:
        pass


@dataclass
class WorkerContext:
    """What jobs share: the CRM settings and store (when the CRM is on)."""

    crm_settings: Optional[CrmSettings] = None
    crm_store: Optional[CrmStore] = None
    extra: Dict[str, object] = field(default_factory=dict)


# ---------------------------------------------------------------- CRM jobs


class RelayJob(Job):
    name = "crm-relay"

    def __init__(self, relay):
        self.relay = relay
        self.interval = relay.config.poll_seconds

    async def run_once(self) -> bool:
        return bool(await self.relay.run_once())

    async def close(self) -> None:
        self.relay.stop()
        await self.relay.close()


class TokenRefreshJob(Job):
    name = "crm-token-refresh"
    interval = 600.0

    def __init__(self, api):
        self.api = api

    async def run_once(self) -> bool:
        if await self.api.refresh_if_expiring(3600.0):
            log.info("amoCRM: access token refreshed")
        return False

    async def close(self) -> None:
        await self.api.close()


class CleanupJob(Job):
    name = "crm-outbox-cleanup"
    interval = 3600.0

    def __init__(self, store, retention_days: float):
        self.store = store
        self.retention = retention_days * 86400

    async def run_once(self) -> bool:
        n = await self.store.run(self.store.delete_done, time.time() - self.retention)
        if n:
            log.info("outbox: deleted %d delivered row(s) older than %.0f days",
                     n, self.retention / 86400)
        return False


def _crm_jobs(ctx: WorkerContext) -> List[Job]:
    settings, store = ctx.crm_settings, ctx.crm_store
    if store is None or settings is None:
        return []
    from wewall.crm.relay import Relay, shared_api

    api = shared_api(store, settings)  # one token holder per process: refreshes rotate tokens
    jobs: List[Job] = [RelayJob(Relay(store, settings, api=api))]
    if settings.oauth_configured:
        jobs.append(TokenRefreshJob(api))
    days = float(os.environ.get("WEWALL_OUTBOX_RETENTION_DAYS", "").strip() or 30)
    if days > 0:
        jobs.append(CleanupJob(store, days))
    return jobs


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


def build_jobs(ctx: WorkerContext) -> List[Job]:
    from wewall import followups

    jobs = _crm_jobs(ctx)
    follow_up = followups.job_factory(ctx)
    if follow_up is not None:
        jobs.append(follow_up)
    from wewall.stats import digest

    digest_job = digest.job_factory(ctx)
    if digest_job is not None:
        jobs.append(digest_job)
    from wewall.leads.job import job_factory as lead_job

    leads = lead_job(ctx)
    if leads is not None:
        jobs.append(leads)
    return jobs


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
            stop_job = getattr(job, "relay", None)
            if stop_job is not None:
                stop_job.stop()
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
