"""The background jobs of `wewall worker` (wewall/worker.py runs them): the base class, what
jobs share, and the registry of the modules that offer them.

Feature modules import `Job` from here, never from the worker, so that the worker may import
them without a cycle.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional

if TYPE_CHECKING:  # imported where used: the worker starts without the CRM packages loaded
    from wewall.crm.config import CrmSettings
    from wewall.crm.store import CrmStore

# Each names a `job_factory(ctx)` returning a Job, a list of them, or None (not configured).
FACTORIES = (
    "wewall.crm.jobs",
    "wewall.followups",
    "wewall.stats.digest",
    "wewall.leads.job",
)


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

    def stop(self) -> None:
        """Stop taking new work (SIGTERM): `run_once` finishes what it holds."""


@dataclass
class WorkerContext:
    """What jobs share: the CRM settings and store (when the CRM is on)."""

    crm_settings: Optional[CrmSettings] = None
    crm_store: Optional[CrmStore] = None
    extra: Dict[str, object] = field(default_factory=dict)


def build_jobs(ctx: WorkerContext) -> List[Job]:
    """The jobs that apply, in the registry's order."""
    jobs: List[Job] = []
    for module in FACTORIES:
        made = importlib.import_module(module).job_factory(ctx)
        if isinstance(made, Job):
            jobs.append(made)
        elif made:
            jobs.extend(made)
    return jobs
