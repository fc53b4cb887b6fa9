"""`wewall worker` jobs of the amoCRM integration (registered in wewall/jobs.py)."""

from __future__ import annotations

import logging
import time
from typing import List

from wewall.jobs import Job, WorkerContext
from wewall.settings import get_settings

log = logging.getLogger(__name__)


class RelayJob(Job):
    """Drains the amoCRM outbox (wewall.crm.relay)."""

    name = "crm-relay"

    def __init__(self, relay):
        self.relay = relay
        self.interval = relay.config.poll_seconds

    async def run_once(self) -> bool:
        return bool(await self.relay.run_once())

    def stop(self) -> None:
        self.relay.stop()

    async def close(self) -> None:
        self.relay.stop()
        await self.relay.close()


class TokenRefreshJob(Job):
    """Refreshes the OAuth access token an hour before it expires."""

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
    """Deletes delivered outbox/inbox rows older than the retention."""

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


def job_factory(ctx: WorkerContext) -> List[Job]:
    settings, store = ctx.crm_settings, ctx.crm_store
    if store is None or settings is None:
        return []
    from wewall.crm.relay import Relay, shared_api

    api = shared_api(store, settings)  # one token holder per process: refreshes rotate tokens
    jobs: List[Job] = [RelayJob(Relay(store, settings, api=api))]
    if settings.oauth_configured:
        jobs.append(TokenRefreshJob(api))
    days = get_settings().outbox_retention_days
    if days > 0:
        jobs.append(CleanupJob(store, days))
    return jobs
