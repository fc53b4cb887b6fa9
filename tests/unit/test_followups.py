"""Follow-ups to clients silent in the middle of a form: the decision, the table, the action,
the validators that feed it, and the worker's job when Rasa cannot be reached."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.unit.test_crm_outbox import pg_url, sql_url  # noqa: F401 (fixtures)
from wewall import followups
from wewall.followups import FollowUpConfig, FollowUpJob, FollowUpStore, decide

HOUR = 3600.0
NOW = 1_800_000_000.0
CHANNELS = ("telegram", "socketio")


def user(ts, text="700 метров", intent="inform"):
    return {"event": "user", "timestamp": ts, "text": text, "parse_data": {"intent": {"name": intent}}}


def external(ts):
    return {"event": "user", "timestamp": ts, "text": "EXTERNAL: EXTERNAL_follow_up",
            "parse_data": {"intent": {"name": "EXTERNAL_follow_up"}}}


def loop(name, ts=0.0):
    return {"event": "active_loop", "name": name, "timestamp": ts}


def reminder(form="calculation_form"):
    return {"event": "bot", "text": "Вы не закончили…", "metadata": {"utter_action": f"utter_follow_up_{form}"}}


def state(events, form="calculation_form", channel="telegram", slots=None):
    return {"sender_id": "c1", "events": events, "slots": slots or {},
            "active_loop": {"name": form} if form else {}, "latest_input_channel": channel}


START = [user(NOW - 2 * HOUR, "хочу оценить доходность", "request_calculation"), loop("calculation_form")]


@pytest.mark.parametrize("case, st, expected", [
    ("silent long enough", state(START + [user(NOW - HOUR)]), (True, "пора напомнить")),
    ("wrote recently", state(START + [user(NOW - 60)]), (False, "клиент писал недавно")),
    ("no form", state(START + [user(NOW - HOUR), loop(None)], form=None), (False, "форма не активна")),
    ("another loop", state(START + [user(NOW - HOUR)], form="some_other_form"), (False, "форма не активна")),
    ("a manager talks", state(START + [user(NOW - HOUR)], slots={"manager_active": True}),
     (False, "с клиентом говорит менеджер")),
    ("REST cannot write first", state(START + [user(NOW - HOUR)], channel="rest"),
     (False, "канал 'rest' не умеет писать первым")),
    ("already reminded in this form", state(START + [user(NOW - HOUR), external(NOW - 10), reminder()]),
     (False, "напоминание уже было")),
    ("reminded, answered, silent again", state(START + [reminder(), user(NOW - HOUR)]),
     (False, "напоминание уже было")),
    # the external turn of a reminder is not the client writing
    ("only the trigger is recent", state(START + [user(NOW - HOUR), external(NOW - 1)]), (True, "пора напомнить")),
    # a run of action_follow_up that found the client had just written sent nothing
    ("a silent earlier run", state(START + [user(NOW - HOUR), {"event": "action", "name": "action_follow_up"}]),
     (True, "пора напомнить")),
    ("a reminder in an earlier run of the form", state(
        START + [reminder(), loop(None), user(NOW - 2 * HOUR), loop("calculation_form"), user(NOW - HOUR)]),
     (True, "пора напомнить")),
    ("a reminder in another form", state(
        [loop("search_form"), reminder("search_form"), loop("calculation_form"), user(NOW - HOUR)]),
     (True, "пора напомнить")),
    ("a reminder before a restart", state([loop("calculation_form"), reminder(), {"event": "restart"},
                                           loop("calculation_form"), user(NOW - HOUR)]), (True, "пора напомнить")),
    ("nothing from the client", state([loop("calculation_form")]), (False, "клиент ещё ничего не написал")),
])
def test_decide(case, st, expected):
    assert decide(st, NOW, 30 * 60, CHANNELS) == expected


def test_the_threshold_is_inclusive():
    st = state(START + [user(NOW - 1800)])
    assert decide(st, NOW, 1800, CHANNELS)[0] is True
    assert decide(st, NOW - 0.001, 1800, CHANNELS)[0] is False


# ---------------------------------------------------------------- the table


@pytest.fixture
def store(sql_url):
    s = FollowUpStore(sql_url)
    yield s
    s.engine.dispose()


def test_an_answer_moves_the_due_time_on(store):
    store.record("c1", "calculation_form", "telegram", 100.0, 60.0)
    store.record("c1", "search_form", "telegram", 130.0, 60.0)
    [row] = store.rows()
    assert (row["form"], row["last_user_at"], row["due_at"]) == ("search_form", 130.0, 190.0)
    assert store.claim_due("w", 189.0, 120.0) == []
    [due] = store.claim_due("w", 190.0, 120.0)
    assert due.sender_id == "c1" and due.form == "search_form"


def test_a_row_is_leased_by_one_worker_until_the_lease_ends(store):
    store.record("c1", "calculation_form", "telegram", 0.0, 10.0)
    assert len(store.claim_due("a", 20.0, 100.0)) == 1
    assert store.claim_due("b", 50.0, 100.0) == []  # a holds it
    [again] = store.claim_due("b", 121.0, 100.0)  # a died: its lease ran out
    assert again.sender_id == "c1"


def test_concurrent_workers_never_take_the_same_row(store):
    for i in range(40):
        store.record(f"c{i}", "calculation_form", "telegram", 0.0, 10.0)
    taken = {}
    barrier = threading.Barrier(4)

    def work(owner):
        barrier.wait()
        taken[owner] = [d.sender_id for d in store.claim_due(owner, 20.0, 100.0, limit=40)]

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [s for ids in taken.values() for s in ids]
    assert sorted(everything) == sorted(f"c{i}" for i in range(40))  # each exactly once


def test_done_forgets_the_row_unless_the_client_wrote_meanwhile(store):
    store.record("c1", "calculation_form", "telegram", 0.0, 10.0)
    store.record("c2", "calculation_form", "telegram", 0.0, 10.0)
    d1, d2 = sorted(store.claim_due("w", 20.0, 100.0), key=lambda d: d.sender_id)
    store.record("c2", "calculation_form", "telegram", 25.0, 10.0)  # c2 answered while we worked
    assert store.done(d1, "w") is True
    assert store.done(d2, "w") is False
    [row] = store.rows()
    assert row["sender_id"] == "c2" and row["due_at"] == 35.0 and row["lease_owner"] is None
    assert [d.sender_id for d in store.claim_due("w", 36.0, 100.0)] == ["c2"]


def test_retry_postpones_and_counts(store):
    store.record("c1", "calculation_form", "telegram", 0.0, 10.0)
    [due] = store.claim_due("w", 20.0, 100.0)
    store.retry(due, "w", 500.0)
    [row] = store.rows()
    assert (row["due_at"], row["attempts"], row["lease_owner"]) == (500.0, 1, None)
    assert store.claim_due("w", 499.0, 100.0) == []
    assert len(store.claim_due("w", 500.0, 100.0)) == 1


# ---------------------------------------------------------------- the action server's side


@pytest.fixture
def followup_env(tmp_path, monkeypatch):
    from wewall.settings import reset_settings

    monkeypatch.setenv("WEWALL_OUTBOX_URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("WEWALL_FOLLOWUP_AFTER_MINUTES", "30")
    reset_settings()
    followups.reset_stores()
    yield followups.get_store()
    followups.reset_stores()


def sdk_tracker(events, channel="telegram", form="calculation_form", intent="inform", slots=None):
    last = next((e for e in reversed(events) if e["event"] == "user"), {})
    for e in events:
        if e["event"] == "user":
            e["input_channel"] = channel
    message = {"text": last.get("text", ""), "intent": {"name": intent}, "entities": []}
    return Tracker("c1", dict(slots or {}), message, events, False, None,
                   {"name": form} if form else {}, "action_extract_slots")


def run_action(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {"actions": []}))
    return dispatcher.messages, events


def test_the_action_reminds_once_when_the_client_is_still_silent(followup_env):
    from actions.follow_up import ActionFollowUp

    silent = sdk_tracker(START + [user(time.time() - HOUR), external(time.time())], intent="EXTERNAL_follow_up")
    messages, events = run_action(ActionFollowUp(), silent)
    assert [m["response"] for m in messages] == ["utter_follow_up_calculation_form"]
    assert events == []  # the rule's next step, the form, asks its question again


def test_the_action_keeps_quiet_when_the_client_has_just_written(followup_env):
    from actions.follow_up import ActionFollowUp

    busy = sdk_tracker(START + [user(time.time() - 5), external(time.time())], intent="EXTERNAL_follow_up")
    messages, events = run_action(ActionFollowUp(), busy)
    assert messages == []
    assert events == [{"event": "followup", "name": "action_listen", "timestamp": None}]


def test_a_client_answer_in_a_form_schedules_the_follow_up(followup_env):
    from actions import calculation

    before = time.time()
    events = [{"event": "action", "name": "action_listen"}, user(before, "семьсот"),
              {"event": "action", "name": "action_extract_slots"}]
    run_action(calculation.ValidateCalculationForm(), sdk_tracker(events))
    [row] = followup_env.rows()
    assert row["sender_id"] == "c1" and row["form"] == "calculation_form" and row["channel"] == "telegram"
    assert before + 1800 <= row["due_at"] <= time.time() + 1800


def test_rest_clients_and_the_reminder_itself_schedule_nothing(followup_env):
    from actions import calculation

    events = [{"event": "action", "name": "action_listen"}, user(time.time(), "семьсот"),
              {"event": "action", "name": "action_extract_slots"}]
    run_action(calculation.ValidateCalculationForm(), sdk_tracker(events, channel="rest"))
    trigger = [{"event": "action", "name": "action_listen"}, external(time.time()),
               {"event": "action", "name": "action_extract_slots"}]
    _, out = run_action(calculation.ValidateCalculationForm(), sdk_tracker(trigger, intent="EXTERNAL_follow_up"))
    assert out == []  # not an answer: the form rejects, the follow-up rule runs
    assert followup_env.rows() == []


# ---------------------------------------------------------------- the worker, Rasa unreachable


def test_rasa_down_postpones_the_follow_up_and_loses_nothing(followup_env):
    from tests.e2e.harness import free_port

    followup_env.record("c1", "calculation_form", "telegram", time.time() - HOUR, 1.0)
    config = FollowUpConfig(after_seconds=1.0, max_age_seconds=86400, channels=CHANNELS, poll_seconds=1,
                            rasa_url=f"http://127.0.0.1:{free_port()}", rasa_token=None)  # nothing listens

    async def once():
        job = FollowUpJob(followup_env, config)
        await job.start()
        try:
            return await job.run_once()
        finally:
            await job.close()

    assert asyncio.run(once()) is True
    [row] = followup_env.rows()
    assert row["attempts"] == 1 and row["lease_owner"] is None
    assert row["due_at"] >= time.time() + 25  # 30 s, then doubling



# ---------------------------------------------------------------- a worker killed mid-job


class SlowRasa:
    """Rasa's HTTP API as the job sees it: a tracker due for a follow-up, served slowly (every
    tracker read waits until `release` is set) while `hang` is on; trigger_intent is recorded."""

    def __init__(self, sender_id):
        import http.server
        import json

        self.hang = threading.Event()
        self.release = threading.Event()
        self.reads = threading.Event()
        self.triggered = []
        tracker = state(START + [user(time.time() - HOUR)])
        tracker["sender_id"] = sender_id
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, body):
                data = json.dumps(body).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the worker was killed while waiting
                    pass

            def do_GET(self):
                owner.reads.set()
                if owner.hang.is_set():
                    owner.release.wait(60)
                self._answer(tracker)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.triggered.append((self.path, time.monotonic()))
                self._answer({})

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_killed_workers_conversation_is_taken_up_by_another_within_seconds(tmp_path):
    """Issue #22: a killed worker's follow-ups waited out its 120 s lease. A real `wewall worker`
    process works on a conversation whose tracker Rasa serves slowly; its lease (1 s) is renewed
    while it waits; SIGKILLed, the conversation goes to another worker about one lease later."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.parse
    from pathlib import Path

    lease = 1.0
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = FollowUpStore(url)
    store.record("tg:42", "calculation_form", "telegram", time.time() - HOUR, 60.0)
    rasa = SlowRasa("tg:42")
    rasa.hang.set()
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMOCRM_", "WEWALL_", "TELEGRAM_"))}
    env.update(PYTHONPATH=str(root), WEWALL_DATA_DIR=str(tmp_path / "data"), WEWALL_OUTBOX_URL=url,
               WEWALL_LEADS_URL=f"sqlite:///{tmp_path / 'leads.db'}", WEWALL_RASA_URL=rasa.url,
               WEWALL_FOLLOWUP_AFTER_MINUTES="1", WEWALL_FOLLOWUP_POLL_SECONDS="0.2",
               WEWALL_FOLLOWUP_LEASE_SECONDS=str(lease), WEWALL_LOG_LEVEL="WARNING")
    config = FollowUpConfig(after_seconds=60.0, max_age_seconds=86400, channels=CHANNELS, poll_seconds=0.2,
                            rasa_url=rasa.url, rasa_token=None, lease_seconds=lease)
    first = None
    try:
        first = subprocess.Popen([sys.executable, "-m", "wewall.cli", "worker"], cwd=root, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert rasa.reads.wait(120), first.stdout.read1().decode(errors="replace") if first.poll() is not None else ""
        [row] = store.rows()
        holder = row["lease_owner"]
        assert holder and holder.startswith("worker-")
        time.sleep(3 * lease)  # three leases: only renewals keep the row
        [row] = store.rows()
        assert row["lease_owner"] == holder and row["lease_until"] > time.time()
        assert store.claim_due("worker-other", time.time(), lease) == []

        first.send_signal(signal.SIGKILL)
        first.wait(30)
        killed = time.monotonic()
        rasa.hang.clear()

        async def other_worker():
            job = FollowUpJob(store, config)
            await job.start()
            try:
                while not rasa.triggered and time.monotonic() - killed < 30:
                    await job.run_once()
                    await asyncio.sleep(0.1)
            finally:
                await job.close()

        asyncio.run(other_worker())
        assert rasa.triggered, "no other worker took the conversation up"
        path, at = rasa.triggered[0]
        assert urllib.parse.unquote(path).startswith("/conversations/tg:42/trigger_intent")
        assert at - killed < 3 * lease + 1.0, f"taken up {at - killed:.1f} s after the kill"
        assert store.rows() == []
    finally:
        if first is not None and first.poll() is None:
            first.kill()
            first.wait(30)
        rasa.stop()
        store.engine.dispose()
