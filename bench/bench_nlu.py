"""NLU speed: our entity extractor on one core, and `/model/parse` of a running Rasa server.

Needs a trained model (models/wewall.tar.gz, `make train`); the parse part is skipped without.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import requests

from bench.table import print_table, reference_ms

ROOT = Path(__file__).resolve().parent.parent

SENTENCES = [
    "офис метров на семьсот у белорусской бюджет полтора ляма в месяц",
    "ищу помещение 120 кв м рядом с метро парк культуры",
    "хочу купить офис класса а для инвестиций до 300 млн",
    "5 минут пешком от цска, без отделки",
    "срок сдачи третий квартал 2027 года, платим 60% сразу",
    "спасибо, до свидания",
    "меня зовут анна, телефон 8 916 123-45-67",
    "торговое помещение в пределах ттк в аренду",
    "что такое irr",
    "площадь не 700 а 800",
]


def _texts(path: Path) -> list:
    import logging

    from rasa.shared.nlu.training_data.loading import load_data

    logging.getLogger("rasa").setLevel(logging.ERROR)
    return [m.get("text") for m in load_data(str(path)).nlu_examples]


def _one_run(warm: bool) -> tuple:
    """In a fresh process: sentences/s of the whole extractor over the held-out test set
    (tests/nlu/test_nlu.yml, never in training), each sentence once.

    Its word caches (lemmas, stations, number shapes) start empty, as after a restart; with
    `warm` they first see the training sentences, as a server that has served some traffic:
    the held-out sentences are still new, most of their words are not.
    """
    from wewall.data.demo import DEMO_STATIONS
    from wewall.nlu.entities import EntityExtractor

    held_out = _texts(ROOT / "tests" / "nlu" / "test_nlu.yml")
    extractor = EntityExtractor([s[0] for s in DEMO_STATIONS])
    extractor.warm_up()  # what the Rasa component does when it loads the model
    if warm:
        for text in _texts(ROOT / "data" / "nlu"):
            extractor.extract(text)
    started = time.perf_counter()
    for text in held_out:
        extractor.extract(text)
    return len(held_out), len(held_out) / (time.perf_counter() - started)


def _extractor_rate(warm: bool, runs: int = 3) -> tuple:
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        results = [pool.apply(_one_run, (warm,)) for _ in range(runs)]
    return results[0][0], statistics.median(rate for _, rate in results)


def _rss_mb(pid: int) -> float:
    total = 0
    for child in [pid] + [int(p) for p in os.popen(f"pgrep -P {pid}").read().split()]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def _parse_latency(model: Path):
    from wewall.devservers import BotServers

    with tempfile.TemporaryDirectory() as folder:
        servers = BotServers(model, Path(folder))
        servers.load_demo()
        servers.start_rasa(cpus={0})  # the goal is per core: the server may use one
        servers.wait_ready()
        try:
            for text in SENTENCES:  # warm-up: TensorFlow builds its functions on the first calls
                requests.post(f"{servers.url}/model/parse", json={"text": text}, timeout=30).raise_for_status()
            times = []
            # sentences the model never saw, each once: word caches do not flatter the figure
            for text in _texts(ROOT / "tests" / "nlu" / "test_nlu.yml"):
                started = time.perf_counter()
                requests.post(f"{servers.url}/model/parse", json={"text": text}, timeout=30).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            rss = _rss_mb(servers.procs["rasa"].pid)
        finally:
            servers.stop()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], rss


def main() -> None:
    n, warm = _extractor_rate(warm=True)
    _, cold = _extractor_rate(warm=False)
    rows = [
        ["entity extractor (one core)", f"{warm:.0f} sentences/s",
         f"goal ≥ 2 000; {n} held-out sentences, word caches warmed by the training data"],
        ["entity extractor, after a restart", f"{cold:.0f} sentences/s", "the same, word caches empty"],
        ["reference loop (machine speed)", f"{reference_ms():.0f} ms", "10⁶ additions, best of 5; lower is faster"],
    ]
    model = ROOT / "models" / "wewall.tar.gz"
    if model.exists():
        p50, p95, rss = _parse_latency(model)
        rows += [
            ["/model/parse p50", f"{p50:.1f} ms", "held-out sentences, each once; the Rasa server pinned to one core"],
            ["/model/parse p95", f"{p95:.1f} ms", "goal ≤ 50 ms"],
            ["Rasa server resident memory", f"{rss:.0f} MB", ""],
        ]
    else:
        rows.append(["/model/parse", "нет модели: make train", ""])
    print_table(["what", "value", "note"], rows)
