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

from bench.table import print_table

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


def _extractor_rate(n: int = 3000) -> float:
    from wewall.data.demo import DEMO_STATIONS
    from wewall.nlu.entities import EntityExtractor

    extractor = EntityExtractor([s[0] for s in DEMO_STATIONS])
    texts = [f"{SENTENCES[i % len(SENTENCES)]} {i}" for i in range(n)]  # distinct texts: no cache hits
    started = time.perf_counter()
    for text in texts:
        extractor.extract(text)
    return n / (time.perf_counter() - started)


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


def _parse_latency(model: Path, n: int = 200):
    from tests.e2e.harness import BotServers

    with tempfile.TemporaryDirectory() as folder:
        servers = BotServers(model, Path(folder))
        servers.load_demo()
        servers.start_rasa()
        servers.wait_ready()
        try:
            times = []
            for i in range(n):
                started = time.perf_counter()
                requests.post(f"{servers.url}/model/parse", json={"text": SENTENCES[i % len(SENTENCES)]}, timeout=30).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            rss = _rss_mb(servers.procs["rasa"].pid)
        finally:
            servers.stop()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], rss


def main() -> None:
    rows = [["entity extractor (one core)", f"{_extractor_rate():.0f} sentences/s", "goal ≥ 2 000"]]
    model = Path(__file__).resolve().parent.parent / "models" / "wewall.tar.gz"
    if model.exists():
        p50, p95, rss = _parse_latency(model)
        rows += [
            ["/model/parse p50", f"{p50:.1f} ms", ""],
            ["/model/parse p95", f"{p95:.1f} ms", ""],
            ["Rasa server resident memory", f"{rss:.0f} MB", ""],
        ]
    else:
        rows.append(["/model/parse", "нет модели: make train", ""])
    print_table(["what", "value", "note"], rows)
