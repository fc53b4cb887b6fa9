"""A turn's time against the length of the session (issue #22): a conversation of ~30 events and
one of 5 000 (added through Rasa's HTTP API), each then answering the same messages over REST.
Without a bound the second cost ~35× more per turn; with WEWALL_SESSION_MAX_EVENTS (500 by
default, wewall/tracker_store.py) its next message starts a new session and the turns after it
cost what a short conversation's do. Prints median milliseconds per turn for both, with and
without the bound (`WEWALL_BENCH_SESSION_EVENTS`, `WEWALL_BENCH_SESSION_TURNS` change the size).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.table import print_table, reference_ms
from wewall.devservers import BotServers, conversation_key, trained_model

EVENTS = int(os.environ.get("WEWALL_BENCH_SESSION_EVENTS", "5000"))
TURNS = int(os.environ.get("WEWALL_BENCH_SESSION_TURNS", "12"))
MESSAGES = ["привет", "спасибо", "что такое irr", "кто ты такой?", "что такое ттк", "помощь"]


def _turns(bot: BotServers, sender: str, n: int) -> List[float]:
    times = []
    for i in range(n):
        started = time.perf_counter()
        bot.send(sender, MESSAGES[i % len(MESSAGES)], timeout=300)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _grow(bot: BotServers, sender: str, events: int) -> None:
    """The session gets `events` more events at once, as a client hammering it would leave it."""
    turn = [{"event": "user", "text": "привет",
             "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": []}},
            {"event": "action", "name": "action_listen"}]
    body = turn * (events // 2)
    reply = requests.post(f"{bot.url}/conversations/{conversation_key(sender)}/tracker/events", json=body, timeout=600)
    reply.raise_for_status()


def measure(model: Path, limit: str) -> Dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        bot = BotServers(model, Path(folder), env={"WEWALL_SESSION_MAX_EVENTS": limit})
        bot.load_demo()
        with bot:
            _turns(bot, "warm", 4)
            short = _turns(bot, "short", 6)  # ~30 events
            short_events = len(bot.tracker("short")["events"])
            short += _turns(bot, "short", TURNS - 6)
            _turns(bot, "long", 2)
            _grow(bot, "long", EVENTS)
            first = _turns(bot, "long", 1)[0]  # loads the long session (and ends it when bounded)
            long = _turns(bot, "long", TURNS)
    return {"short_events": short_events, "short": statistics.median(short), "first": first,
            "long": statistics.median(long)}


def main() -> None:
    model = Path(os.environ["WEWALL_BENCH_MODEL"]) if os.environ.get("WEWALL_BENCH_MODEL") else \
        trained_model(Path(tempfile.mkdtemp()) / "model")
    rows = []
    for limit, what in (("500", "bounded (500)"), ("0", "unbounded")):
        m = measure(model, limit)
        rows.append([what, f"{m['short_events']}", f"{m['short']:.0f}", f"{EVENTS}+", f"{m['first']:.0f}",
                     f"{m['long']:.0f}", f"{m['long'] / m['short']:.2f}×"])
    print_table(["session", "short: events", "ms/turn", "long: events", "first turn ms", "ms/turn after",
                 "long / short"], rows)
    print(f"reference loop: {reference_ms():.0f} ms")


if __name__ == "__main__":
    main()
