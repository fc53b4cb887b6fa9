"""Benchmarks print their results as plain aligned tables, with the machine's speed beside them."""

import time
from typing import Sequence


def reference_ms(rounds: int = 5) -> float:
    """A fixed pure-Python loop: this VM's speed drifts by 3× over a day, so benchmarks print it
    next to their results (a slow hour shows as a slow loop; 34 ms in a fast hour)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i % 7
        best = min(best, time.perf_counter() - started)
    return best * 1000


def print_table(headers: Sequence[str], rows: Sequence[Sequence]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
