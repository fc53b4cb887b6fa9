"""The chart and the spreadsheet of a result, drawn in a separate process of the action server.

Drawing the chart is tens of milliseconds of pure Python in matplotlib (bench_calculator), and
a thread would hold the GIL all that time: every other request of the action server (form
validation of other clients) waited behind it, which made the slowest turns under load. A
worker process draws on the other core instead. If the worker dies, the pool is rebuilt and
that one result is drawn in a thread, so a calculation is never lost.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Optional

log = logging.getLogger(__name__)

_pool: Optional[ProcessPoolExecutor] = None
_pool_lock = threading.Lock()


def draw(result, png: Path, xlsx: Path, pdf: Optional[Path] = None, market: Optional[dict] = None) -> None:
    from wewall.calculator.chart import render_png
    from wewall.calculator.xlsx import write_xlsx

    render_png(result, png)
    write_xlsx(result, xlsx)
    if pdf is not None:
        from wewall.calculator.pdf import write_pdf

        write_pdf(result, pdf, market)


def _imports() -> None:
    import wewall.calculator.chart
    import wewall.calculator.pdf
    import wewall.calculator.xlsx  # noqa: F401


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # spawn: the action server runs threads, and a forked child would inherit their locks
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def warm_up() -> None:
    """Start the worker and its imports ahead of the first result (the form's first question)."""
    _get_pool().submit(_imports)


def _drop_pool(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False)


async def draw_files(result, png: Path, xlsx: Path, pdf: Optional[Path] = None, market: Optional[dict] = None) -> None:
    loop = asyncio.get_running_loop()
    pool = _get_pool()
    try:
        await loop.run_in_executor(pool, draw, result, png, xlsx, pdf, market)
    except BrokenProcessPool:
        log.warning("the chart worker process died; drawing this chart in a thread")
        _drop_pool(pool)
        await asyncio.to_thread(draw, result, png, xlsx, pdf, market)


def shutdown() -> None:
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)
