"""Load test over REST with full scripted dialogues (`make bench`, or `python -m bench bench_load`).

(a) Saturation: WEWALL_BENCH_SAT_CLIENTS (50) clients run dialogues back to back for 180 s:
    turns/s and latency of our bot, and of the bot of `rasa init` in the same run (trained once
    in a temp dir, no download) — their ratio says what our pipeline, actions and stores cost.
(b) Realistic: WEWALL_BENCH_CONVERSATIONS (300) conversations pausing 10–30 s
    (WEWALL_BENCH_PAUSE="10-30") between messages for 300 s: p50/p95/p99, errors, resident
    memory of each server, then where a turn's time goes (NLU, policies, actions, elsewhere),
    measured on a single client: NLU = /model/parse, actions = time inside the action server
    (on servers restarted with a timing proxy between Rasa and the action server; (a) and (b)
    run without it, as production does), policies = /conversations/<id>/predict minus a
    tracker fetch, times the predictions of the turn; elsewhere = the rest (tracker store,
    lock, event broker, HTTP, NLG).

Both bots are measured on two stacks, one after the other:
- `embedded`: one Rasa process, SQLite tracker store, in-memory lock store (as `make run`);
- `services`: the production stack on this machine: SANIC_WORKERS=2 Rasa processes (one per
  core) sharing a PostgreSQL tracker store (a fresh database per run) and the Redis lock store;
  skipped, with a note, when PostgreSQL or Redis is not reachable.
(b) and the breakdown run on `services` when it is there (what production runs), else on
`embedded`.

WEWALL_BENCH_SCALE multiplies every duration (0.1 = a quick run of about 5 minutes);
WEWALL_BENCH_MODEL picks the model (default: the project's, trained if stale);
WEWALL_BENCH_STACKS=embedded (or services) measures one stack only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.table import print_table, reference_ms  # noqa: E402
from wewall.devservers import (  # noqa: E402
    BIN,
    REST_HEADERS,
    BotServers,
    base_env,
    conversation_key,
    free_port,
    postgres_database,
    postgres_reachable,
    reachable,
    stop_group,
    trained_model,
)

SCALE = float(os.environ.get("WEWALL_BENCH_SCALE", "1"))
SAT_CLIENTS = int(os.environ.get("WEWALL_BENCH_SAT_CLIENTS", "50"))
SAT_SECONDS = 180 * SCALE
REAL_CONVERSATIONS = int(os.environ.get("WEWALL_BENCH_CONVERSATIONS", "300"))
REAL_SECONDS = 300 * SCALE
PAUSE = tuple(float(x) for x in os.environ.get("WEWALL_BENCH_PAUSE", "10-30").split("-"))
# The saturation goal, ≥ 30 turns/s on a machine where `rasa init` serves 27: this VM's
# speed drifts by 2× over a day, so the goal is judged by the ratio measured in the same run.
GOAL_RATIO = 30 / 27

# Full dialogues of our bot (texts as a client types them, payloads as buttons send them).
WEWALL_DIALOGUES: List[List[str]] = [
    ["привет", "кто ты такой?", "что такое irr", "спасибо", "пока"],
    ["/request_calculation", "готовый офис", "семьсот квадратов", "пятьсот тысяч за метр", "класс а",
     "белорусская", "пять минут пешком", "без отделки", "5 процентов", "да, считай", "спасибо"],
    ["/show_faq", "Что такое ТТК?", "чем класс а отличается от класса в", "какая у вас комиссия", "пока"],
    ["хочу купить офис", "/help", "/request_manager", "спасибо"],
    ["здравствуйте", "сколько стоит метр в сити", "что такое капитализация", "/help", "до свидания"],
]
INIT_DIALOGUES: List[List[str]] = [
    ["hello", "I am sad", "yes", "bye"],
    ["hi", "great", "are you a bot?", "goodbye"],
    ["hey there", "not good", "no", "bye"],
]


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _own_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> List[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a server: the process and its children (Sanic's worker processes)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += _own_rss_mb(p)
        todo.extend(_children(p))
    return total or float("nan")


class Stats:
    def __init__(self) -> None:
        self.latencies: List[float] = []
        self.errors = 0
        self.silent = 0  # 200 but no bot message

    def record(self, seconds: float, ok: bool, silent: bool) -> None:
        if ok:
            self.latencies.append(seconds)
            self.silent += silent
        else:
            self.errors += 1


async def turn(session: aiohttp.ClientSession, url: str, sender: str, text: str, stats: Stats) -> None:
    started = time.perf_counter()
    try:
        async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as reply:
            body = await reply.json(content_type=None)
            ok = reply.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        ok, body = False, None
    stats.record(time.perf_counter() - started, ok, ok and not body)


async def saturate(url: str, dialogues: List[List[str]], clients: int, seconds: float) -> Tuple[Stats, float]:
    stats = Stats()
    deadline = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=clients),
                                     headers=REST_HEADERS) as session:
        async def client(n: int) -> None:
            rng = random.Random(n)
            while time.monotonic() < deadline:
                sender = f"sat-{n}-{uuid.uuid4().hex[:8]}"
                for text in rng.choice(dialogues):
                    if time.monotonic() >= deadline:
                        return
                    await turn(session, url, sender, text, stats)

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        return stats, time.monotonic() - started


async def realistic(url: str, pids: Dict[str, int], conversations: int, seconds: float) -> Tuple[Stats, Dict[str, float]]:
    stats = Stats()
    deadline = time.monotonic() + seconds
    peak: Dict[str, float] = {name: rss_mb(pid) for name, pid in pids.items()}
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=conversations),
                                     headers=REST_HEADERS) as session:
        async def conversation(n: int) -> None:
            rng = random.Random(1000 + n)
            await asyncio.sleep(rng.uniform(0, PAUSE[1]))  # arrivals spread over the first pause
            while time.monotonic() < deadline:
                sender = f"real-{n}-{uuid.uuid4().hex[:8]}"
                for text in rng.choice(WEWALL_DIALOGUES):
                    if time.monotonic() >= deadline:
                        return
                    await turn(session, url, sender, text, stats)
                    await asyncio.sleep(min(rng.uniform(*PAUSE), max(0.0, deadline - time.monotonic())))

        async def sample_memory() -> None:
            while time.monotonic() < deadline:
                for name, pid in pids.items():
                    peak[name] = max(peak[name], rss_mb(pid))
                await asyncio.sleep(2)

        await asyncio.gather(sample_memory(), *(conversation(n) for n in range(conversations)))
    return stats, peak


class ActionTimer:
    """A proxy between Rasa and the action server that adds up the time spent in actions."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.port = free_port()
        self.spent = 0.0
        self.calls = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        started = time.perf_counter()
        async with self.session.post(self.target, data=body, headers={"Content-Type": "application/json"}) as reply:
            data = await reply.read()
            status = reply.status
        self.spent += time.perf_counter() - started
        self.calls += 1
        return web.Response(body=data, status=status, content_type="application/json")

    async def _start(self) -> None:
        self.session = aiohttp.ClientSession()
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/webhook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def start(self) -> None:
        """Serves from its own thread: the benchmark's loop and blocking calls must not stall it."""
        import threading

        ready = threading.Event()

        def run() -> None:
            self.loop = asyncio.new_event_loop()
            self.loop.run_until_complete(self._start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(30)

    def stop(self) -> None:
        async def _stop() -> None:
            await self.session.close()
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(_stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


def warm_up(bot: BotServers) -> None:
    for text in ["привет", "что такое irr", "/request_calculation"] * 2:  # every worker process
        bot.send(f"warm-{uuid.uuid4().hex[:6]}", text, timeout=120)


def timed_breakdown(loop: asyncio.AbstractEventLoop, model: Path, workdir: Path,
                    env: Dict[str, str]) -> List[Tuple[str, float]]:
    """The breakdown on servers started afresh with the timing proxy before the action server.

    (a) and (b) run without the proxy: it forwards every action call through the bench's own
    process, whose CPU the servers would otherwise share on two cores.
    """
    bot = BotServers(model, workdir, env=env)
    bot.load_demo(300)
    timer = ActionTimer(bot.env["WEWALL_ACTION_ENDPOINT_URL"])
    bot.env["WEWALL_ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{timer.port}/webhook"
    timer.start()
    try:
        bot.start()
        # a whole round first: the first chart, spreadsheet and search of a fresh action server
        # load their libraries, which no later turn pays again
        loop.run_until_complete(breakdown(bot.url, timer, rounds=1))
        return loop.run_until_complete(breakdown(bot.url, timer))
    finally:
        bot.stop()
        timer.stop()


async def breakdown(url: str, timer: ActionTimer, rounds: int = 2) -> List[Tuple[str, float]]:
    """Mean ms per turn in NLU, policies, actions, elsewhere: one client, no contention."""
    totals = {"turn": 0.0, "nlu": 0.0, "policies": 0.0, "actions": 0.0}
    turns = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300), headers=REST_HEADERS) as session:
        for r in range(rounds):
            for d, dialogue in enumerate(WEWALL_DIALOGUES):
                sender = f"parts-{r}-{d}-{uuid.uuid4().hex[:6]}"
                for text in dialogue:
                    before_events = await _events(session, url, sender)
                    spent_before = timer.spent
                    started = time.perf_counter()
                    async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as reply:
                        await reply.read()
                    total = time.perf_counter() - started
                    actions = timer.spent - spent_before
                    events = await _events(session, url, sender)
                    predictions = sum(1 for e in events[len(before_events):] if e.get("event") == "action")
                    started = time.perf_counter()
                    async with session.post(f"{url}/model/parse", json={"text": text}) as reply:
                        await reply.read()
                    nlu = time.perf_counter() - started
                    started = time.perf_counter()
                    async with session.post(f"{url}/conversations/{conversation_key(sender)}/predict") as reply:
                        await reply.read()
                    predict = time.perf_counter() - started
                    started = time.perf_counter()
                    await _events(session, url, sender)
                    fetch = time.perf_counter() - started
                    totals["turn"] += total
                    totals["nlu"] += nlu
                    totals["actions"] += actions
                    totals["policies"] += max(0.0, predict - fetch) * max(1, predictions - 1)
                    turns += 1
    per = {k: 1000 * v / turns for k, v in totals.items()}
    elsewhere = max(0.0, per["turn"] - per["nlu"] - per["policies"] - per["actions"])
    return [("NLU", per["nlu"]), ("policies", per["policies"]), ("actions", per["actions"]),
            ("elsewhere", elsewhere), ("turn", per["turn"])]


async def _events(session: aiohttp.ClientSession, url: str, sender: str) -> list:
    async with session.get(f"{url}/conversations/{conversation_key(sender)}/tracker") as reply:
        return (await reply.json()).get("events") or []


def init_bot(workdir: Path) -> Path:
    """The bot of `rasa init`, trained once per machine (cached in the temp dir)."""
    cache = Path(tempfile.gettempdir()) / "wewall-bench-rasa-init"
    models = sorted((cache / "models").glob("*.tar.gz")) if cache.exists() else []
    if not models:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(cache)], cwd=cache,
                       env=base_env(), check=True, capture_output=True, timeout=1800)
        models = sorted((cache / "models").glob("*.tar.gz"))
    return models[-1]


def start_init_server(model: Path, workdir: Path, stack_env: Dict[str, str]) -> Tuple[subprocess.Popen, str]:
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = open(workdir / "init-rasa.log", "ab")
    args = [str(BIN / "rasa"), "run", "--enable-api", "-p", str(port), "-m", str(model)]
    if stack_env:  # the same stores as our bot on this stack
        endpoints = workdir / "init-endpoints.yml"
        endpoints.write_text(
            f"tracker_store:\n  type: SQL\n  url: {stack_env['WEWALL_TRACKER_STORE_URL']}\n"
            f"lock_store:\n  type: redis\n  url: {stack_env['WEWALL_REDIS_HOST']}\n"
            f"  port: {stack_env['WEWALL_REDIS_PORT']}\n  db: 2\n  key_prefix: init\n")
        args += ["--endpoints", str(endpoints)]
    proc = subprocess.Popen(args, cwd=model.parent.parent, env=base_env(**stack_env), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    import requests

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((workdir / "init-rasa.log").read_text()[-3000:])
        try:
            if requests.get(f"{url}/status", timeout=2).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("the rasa init bot did not start")


def _row(name: str, stats: Stats, seconds: float) -> list:
    n = len(stats.latencies)
    return [name, f"{seconds:.0f}", n, f"{n / seconds:.1f}", f"{1000 * pct(stats.latencies, 50):.0f}",
            f"{1000 * pct(stats.latencies, 95):.0f}", stats.errors, stats.silent]


class Stacks:
    """The stacks to measure; `services` gets fresh PostgreSQL databases, dropped at the end."""

    def __init__(self) -> None:
        wanted = os.environ.get("WEWALL_BENCH_STACKS", "embedded,services").replace(" ", "").split(",")
        self.env: Dict[str, Dict[str, str]] = {}
        self.notes: List[str] = []
        self._databases = contextlib.ExitStack()
        if "embedded" in wanted:
            self.env["embedded"] = {}
        if "services" in wanted:
            if postgres_reachable() and reachable("127.0.0.1", 6379):
                self.env["services"] = {"SANIC_WORKERS": "2", "WEWALL_LOCK_STORE_TYPE": "wewall.lock_store.WewallRedisLockStore",
                                        "WEWALL_REDIS_HOST": "127.0.0.1", "WEWALL_REDIS_PORT": "6379"}
            else:
                self.notes.append("services: skipped, PostgreSQL (5432) or Redis (6379) is not reachable")

    def database(self) -> str:
        return self._databases.enter_context(postgres_database("wewall_bench"))

    def env_for(self, stack: str) -> Dict[str, str]:
        env = dict(self.env[stack])
        if stack == "services":
            env["WEWALL_TRACKER_STORE_URL"] = self.database()
        return env

    def drop(self) -> None:
        self._databases.close()


def main() -> None:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    work = Path(tempfile.mkdtemp(prefix="wewall-bench-load-"))
    stacks = Stacks()
    measured = "services" if "services" in stacks.env else next(iter(stacks.env))
    print(f"scale {SCALE}: saturation {SAT_CLIENTS} clients × {SAT_SECONDS:.0f} s per bot and stack "
          f"({', '.join(stacks.env)}), realistic {REAL_CONVERSATIONS} conversations × {REAL_SECONDS:.0f} s "
          f"(pauses {PAUSE[0]:.0f}–{PAUSE[1]:.0f} s) on {measured}")
    print(f"machine speed: reference loop {reference_ms():.0f} ms (10⁶ additions; 34 ms in a fast hour of this VM)")
    for note in stacks.notes:
        print(note)
    model = Path(os.environ["WEWALL_BENCH_MODEL"]) if os.environ.get("WEWALL_BENCH_MODEL") else trained_model(work / "model")
    init_model = init_bot(work)

    saturation: List[list] = []
    ratios: List[str] = []
    loop = asyncio.new_event_loop()
    try:
        for stack in stacks.env:
            bot = BotServers(model, work / f"wewall-{stack}", env=stacks.env_for(stack))
            bot.load_demo(300)
            try:
                bot.start()
                warm_up(bot)
                ours, ours_s = loop.run_until_complete(saturate(bot.url, WEWALL_DIALOGUES, SAT_CLIENTS, SAT_SECONDS))
                if stack == measured:
                    pids = {"rasa": bot.procs["rasa"].pid, "actions": bot.procs["actions"].pid}
                    idle = {name: rss_mb(pid) for name, pid in pids.items()}
                    real, peak = loop.run_until_complete(realistic(bot.url, pids, REAL_CONVERSATIONS, REAL_SECONDS))
            finally:
                bot.stop()
            if stack == measured:
                parts = timed_breakdown(loop, model, work / f"wewall-{stack}-parts", stacks.env_for(stack))

            proc, init_url = start_init_server(init_model, work / f"init-{stack}", stacks.env_for(stack) if stack == "services" else {})
            try:
                import requests

                for text in ["hello", "bye"] * 2:
                    requests.post(f"{init_url}/webhooks/rest/webhook", json={"sender": "warm", "message": text}, timeout=60)
                theirs, theirs_s = loop.run_until_complete(saturate(init_url, INIT_DIALOGUES, SAT_CLIENTS, SAT_SECONDS))
                if stack == measured:
                    init_rss = rss_mb(proc.pid)
            finally:
                stop_group(proc)
            saturation += [_row(f"WeWall, {stack}", ours, ours_s), _row(f"rasa init, {stack}", theirs, theirs_s)]
            ratio = (len(ours.latencies) / ours_s) / max(1e-9, len(theirs.latencies) / theirs_s)
            ratios.append(f"{stack}: WeWall / rasa init throughput {ratio:.2f}; goal ≥ {GOAL_RATIO:.2f} "
                          f"(30 turns/s where rasa init does 27): {'met' if ratio >= GOAL_RATIO else 'NOT met'}")
    finally:
        loop.close()
        stacks.drop()

    print("\n(a) saturation: clients back to back, REST")
    print_table(["bot, stack", "s", "turns", "turns/s", "p50 ms", "p95 ms", "errors", "silent"], saturation)
    for line in ratios:
        print(line)

    print(f"\n(b) realistic on {measured}: {REAL_CONVERSATIONS} conversations, a message every {PAUSE[0]:.0f}–{PAUSE[1]:.0f} s")
    n = len(real.latencies)
    print_table(
        ["s", "turns", "turns/s", "p50 ms", "p95 ms", "p99 ms", "errors", "silent"],
        [[f"{REAL_SECONDS:.0f}", n, f"{n / REAL_SECONDS:.1f}", f"{1000 * pct(real.latencies, 50):.0f}",
          f"{1000 * pct(real.latencies, 95):.0f}", f"{1000 * pct(real.latencies, 99):.0f}", real.errors, real.silent]],
    )
    p95 = 1000 * pct(real.latencies, 95)
    print(f"goal p95 ≤ 200 ms and no errors: {'met' if p95 <= 200 and not real.errors else 'NOT met'}")
    print_table(["server (with its worker processes)", "RSS after (a) MB", "RSS peak in (b) MB"],
                [[name, f"{idle[name]:.0f}", f"{peak[name]:.0f}"] for name in pids]
                + [["rasa (rasa init bot)", f"{init_rss:.0f}", ""]])

    print(f"\nwhere a turn goes on {measured} (one client, mean over the scripted dialogues)")
    total = dict(parts)["turn"]
    print_table(["part", "ms/turn", "share"],
                [[name, f"{ms:.1f}", f"{100 * ms / total:.0f} %" if name != "turn" else "100 %"] for name, ms in parts])


if __name__ == "__main__":
    main()
