"""`wewall stats` over a tracker store of N events (default 100 000 and 1 000 000), 30 days.

The store is Rasa's `events` table (created by WewallSQLTrackerStore) filled with the JSON
Rasa writes for realistic conversations: finished and abandoned calculations, searches with
a viewing request and a hand-over answered by a manager, FAQ, not-understood messages (with
phones and names), greetings; spread over 35 days, so some clients return. The command runs
in a child process, as an operator runs it: its wall time and peak RSS (the baseline is the
same interpreter importing the command and reading an empty period).

Sizes: WEWALL_BENCH_STATS_EVENTS=100000,1000000. PostgreSQL too when 127.0.0.1:5432 answers
and WEWALL_BENCH_STATS_PG=1 (a temporary database, dropped afterwards).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered

from bench.table import print_table, reference_ms
from wewall.devservers import postgres_database, postgres_reachable

ROOT = Path(__file__).resolve().parent.parent
SENTINEL = 1111111111.25  # the timestamp placeholder of template events
DAY = 86400.0
INTENTS = ["greet", "inform", "request_calculation", "request_search", "faq", "show_faq", "cancel",
           "request_manager", "affirm", "deny"]
CALC_QUESTIONS = ["calc_kind", "area_m2", "price_per_m2", "estate_class", "metro_station",
                  "distance_to_metro_m", "repairs", "nds_rate", "monthly_rent_rub"]
SEARCH_QUESTIONS = ["search_type", "search_deal", "search_budget", "search_purpose", "search_max_walk"]
CONTACT_QUESTIONS = ["person_name", "phone", "viewing_time"]
FALLBACKS = ["сколько стоит парковка", "Где ваш офис?", "можно ли в ипотеку", "а вы бот?",
             "позвоните мне 8 916 123-45-67", "я Ольга, перезвоните", "какая погода", "есть склады в Химках",
             "а сколько стоит парковка?", "привет как дела"]


class _Script:
    """Events of one conversation as Rasa's as_dict JSON, timestamps as offsets."""

    def __init__(self, rnd: random.Random, channel: str, source: str = ""):
        self.rnd, self.channel, self.t = rnd, channel, 0.0
        self.events: List[Tuple[float, str, str]] = []  # (offset, type_name, JSON with SENTINEL)
        self._add(ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"))
        if source:
            self.user(f'/start{{"lead_source": "{source}"}}', "start", {"lead_source": source})
            self.act("action_start", SlotSet("lead_source", source), says="Здравствуйте! Чем помочь?")

    def _add(self, *events: Any) -> None:
        for e in events:
            self.t += 0.05
            e.timestamp = SENTINEL
            self.events.append((self.t, e.type_name, json.dumps(e.as_dict())))

    def user(self, text: str, intent: str, meta: Optional[Dict[str, Any]] = None) -> None:
        self.t += self.rnd.uniform(5, 90)
        ranking = [{"name": i, "confidence": 0.01} for i in INTENTS]
        parse = {"text": text, "intent": {"name": intent, "confidence": 0.93}, "entities": [],
                 "intent_ranking": ranking, "message_id": uuid.uuid4().hex,
                 "response_selector": {"all_retrieval_intents": ["faq"], "faq": {"response": {
                     "responses": [{"text": "…"}], "confidence": 0.9, "intent_response_key": "faq/irr",
                     "utter_action": "utter_faq/irr"}, "ranking": []}}}
        metadata = {"telegram": {"update_id": 1, "chat_id": 1, "user_id": 1, "first_name": "Ольга"}, **(meta or {})}
        self._add(UserUttered(text, parse["intent"], [], parse_data=parse, input_channel=self.channel,
                              metadata=metadata, message_id=parse["message_id"]))

    def act(self, name: str, *events: Any, says: str = "", utter: str = "") -> None:
        self._add(ActionExecuted(name, policy="RulePolicy", confidence=1.0), *events)
        if says:
            self._add(BotUttered(says, {"buttons": [{"title": "Меню", "payload": "/greet"}]},
                                 metadata={"utter_action": utter or name}))
        self._add(ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0))

    def form(self, form: str, questions: List[str], answered: int, cancel: bool = False) -> None:
        self.user("начнём", "request_calculation")
        self.act(form, ActiveLoop(form), SlotSet("requested_slot", questions[0]), says="Вопрос?",
                 utter=f"utter_ask_{questions[0]}")
        for n in range(min(answered, len(questions))):
            self.user(str(self.rnd.randint(1, 900)), "inform")
            done = n + 1 == len(questions)
            events = [SlotSet(questions[n], self.rnd.randint(1, 900)),
                      SlotSet("requested_slot", None if done else questions[n + 1])]
            if done:
                events.append(ActiveLoop(None))
            self.act(form, *events, says="Готово" if done else "Вопрос?")
        if cancel and answered < len(questions):
            self.user("отмена", "cancel")
            self.act("action_calc_cancel", ActiveLoop(None), SlotSet("requested_slot", None), says="Отменил")


def _templates(rnd: random.Random, count: int = 60) -> List[List[Tuple[float, str, str]]]:
    out = []
    for n in range(count):
        s = _Script(rnd, rnd.choice(["telegram", "telegram", "telegram", "socketio"]),
                    rnd.choice(["", "", "promo42", "ads_ya", "cian"]))
        kind = n % 5
        if kind == 0:  # a finished calculation, then FAQ
            s.form("calculation_form", CALC_QUESTIONS, len(CALC_QUESTIONS))
            s.user("что такое IRR", "faq")
            s.act("utter_faq", says="IRR — …", utter="utter_faq/irr")
        elif kind == 1:  # an abandoned or cancelled calculation
            s.form("calculation_form", CALC_QUESTIONS, rnd.randint(0, len(CALC_QUESTIONS) - 1), cancel=rnd.random() < 0.3)
        elif kind == 2:  # search, viewing request, hand-over, the manager answers
            s.form("search_form", SEARCH_QUESTIONS, len(SEARCH_QUESTIONS))
            s.form("book_viewing_form", CONTACT_QUESTIONS, len(CONTACT_QUESTIONS))
            s.act("action_handover", SlotSet("crm_event", {"type": "handover", "summary": "…"}),
                  SlotSet("crm_event", None), says="Передаю менеджеру")
            s.t += rnd.uniform(60, 3600)
            s.act("action_relay_manager_message", SlotSet("manager_active", True), says="Менеджер WEWALL: …")
        elif kind == 3:  # not understood
            for _ in range(rnd.randint(1, 4)):
                s.user(rnd.choice(FALLBACKS), "nlu_fallback")
                s.act("utter_default", says="Не понял вас")
        else:  # a chat
            for _ in range(rnd.randint(2, 6)):
                s.user("привет", "greet")
                s.act("utter_greet", says="Здравствуйте!")
        out.append(s.events)
    return out


def rows(total: int, now: float, seed: int = 7) -> Iterator[Dict[str, Any]]:
    """`total` events of conversations started over the 35 days before `now`."""
    rnd = random.Random(seed)
    templates = _templates(rnd)
    made, n = 0, 0
    sentinel = repr(SENTINEL)
    while made < total:
        n += 1
        sender = str(100000 + rnd.randint(0, max(1, total // 60)))  # repeated ids return
        start = now - rnd.uniform(0, 35 * DAY)
        for offset, kind, data in templates[rnd.randrange(len(templates))]:
            if made >= total:
                return
            ts = start + offset
            payload = json.loads(data) if kind in ("user", "action") else None
            yield {"sender_id": sender, "type_name": kind, "timestamp": ts,
                   "intent_name": ((payload or {}).get("parse_data") or {}).get("intent", {}).get("name")
                   if kind == "user" else None,
                   "action_name": payload.get("name") if kind == "action" else None,
                   "data": data.replace(sentinel, repr(ts), 1)}
            made += 1


def fill(url: str, total: int, now: float) -> None:
    from wewall.tracker_store import WewallSQLTrackerStore

    store = WewallSQLTrackerStore(domain=None, host=url)  # creates Rasa's table and index
    table = store.SQLEvent.__table__
    batch: List[Dict[str, Any]] = []
    with store.engine.begin() as conn:
        for row in rows(total, now):
            batch.append(row)
            if len(batch) >= 20000:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
    store.engine.dispose()


def run_stats(url: str, days: int, since: str = "") -> Tuple[float, float]:
    """Wall seconds and peak RSS (MB) of `wewall stats --json` in a child process of its own."""
    cmd = [sys.executable, "-m", "wewall.cli", "stats", "--url", url, "--days", str(days), "--json"]
    if since:
        cmd += ["--since", since]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env, cwd=ROOT)
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (Linux: ru_maxrss in KB)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"wewall stats failed: {err.read().decode()[-500:]}")
    json.loads(out)
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    sizes = [int(s) for s in os.environ.get("WEWALL_BENCH_STATS_EVENTS", "100000,1000000").split(",") if s.strip()]
    now = time.time()
    print(f"reference loop: {reference_ms():.0f} ms")
    result = []
    # Baseline first (RUSAGE_CHILDREN keeps the maximum): an empty period of a tiny store.
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/t.db"
        fill(url, 10, now)
        wall, peak = run_stats(url, 1, since="2000-01-01")
        result.append(["sqlite", "0 (пустой период)", f"{wall:.1f}", f"{peak:.0f}", "-"])
    backends = ["sqlite"]
    if os.environ.get("WEWALL_BENCH_STATS_PG") == "1" and postgres_reachable():
        backends.append("postgresql")
    for backend in backends:
        for total in sizes:
            with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
                url = (f"sqlite:///{folder}/tracker.db" if backend == "sqlite"
                       else stack.enter_context(postgres_database("wewall_bench_stats")))
                started = time.perf_counter()
                fill(url, total, now)
                filled = time.perf_counter() - started
                wall, peak = run_stats(url, 30)
                result.append([backend, f"{total:,}".replace(",", " "), f"{wall:.1f}", f"{peak:.0f}", f"{filled:.0f}"])
    print_table(["store", "events", "wewall stats 30 days, s", "peak RSS MB", "fill s"], result)
