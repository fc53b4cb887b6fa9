"""One thread pool for every blocking call the async servers make (MongoDB, the SQL stores).

pymongo and SQLAlchemy are blocking: code on an event loop calls them through `run_blocking`,
never directly. One pool per process instead of one per store: its size bounds the database
work of a process in one place.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional

# The Mongo pool had 8 threads, the outbox store and the lead book 4 each: the same capacity.
MAX_WORKERS = 16
THREAD_PREFIX = "wewall-db"

_executor: Optional[ThreadPoolExecutor] = None
_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix=THREAD_PREFIX)
    return _executor


async def run_blocking(fn: Callable, *args, **kwargs):
    """Run a blocking call in the shared thread pool, off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor(), functools.partial(fn, *args, **kwargs))
