"""Charts and spreadsheets are drawn in a worker process, and a dead worker loses no result."""

import asyncio
import os

import pytest

from bench.bench_calculator import BUILDING
from wewall.calculator import calculate, render


@pytest.fixture(autouse=True)
def _fresh_pool():
    render.shutdown()
    yield
    render.shutdown()


def test_the_files_are_drawn_in_another_process_while_the_loop_keeps_running(tmp_path):
    result = calculate(BUILDING)
    render.warm_up()

    async def scenario():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        beat = asyncio.create_task(ticker())
        await render.draw_files(result, tmp_path / "c.png", tmp_path / "m.xlsx")
        beat.cancel()
        return ticks

    ticks = asyncio.run(scenario())
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "m.xlsx").read_bytes()[:2] == b"PK"
    assert ticks > 5  # the event loop ran while the chart was drawn
    worker_pids = [p.pid for p in render._pool._processes.values()]
    assert worker_pids and os.getpid() not in worker_pids


def test_a_dead_worker_is_replaced_and_the_chart_still_drawn(tmp_path):
    result = calculate(BUILDING)
    pool = render._get_pool()
    pool.submit(os._exit, 1)  # the worker dies as if killed
    asyncio.run(render.draw_files(result, tmp_path / "c.png", tmp_path / "m.xlsx"))
    assert (tmp_path / "c.png").exists() and (tmp_path / "m.xlsx").exists()
    assert render._pool is not pool
    asyncio.run(render.draw_files(result, tmp_path / "d.png", tmp_path / "n.xlsx"))  # a new worker draws again
    assert (tmp_path / "d.png").exists()
