"""The bot's real servers (actions, Rasa, worker) on free ports, over REST: for the end-to-end
tests (tests/e2e/harness.py names them from here) and the benchmarks (bench/).

`BotServers(model, workdir, env={...})`, then `send()`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MODEL_INPUTS = ["config.yml", "domain", "data", "wewall/nlu"]
REST_TOKEN = "e2e-rest-token-0123456789abcdef"
REST_HEADERS = {"Authorization": f"Bearer {REST_TOKEN}"}


def conversation_key(sender: str) -> str:
    """The conversation a REST `sender` of the tests is kept under; keys (`tg:1001`) as they are."""
    return sender if sender.split(":", 1)[0] in ("tg", "web", "rest") else f"rest:e2e:{sender}"


def reachable(host: str, port: int) -> bool:
    """A TCP server listens there (PostgreSQL, Redis, RabbitMQ: tests skip without them)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def postgres_admin_url() -> str:
    """The server the tests and benchmarks create their throw-away databases on."""
    return os.environ.get("WEWALL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_reachable() -> bool:
    from sqlalchemy.engine import make_url

    admin = make_url(postgres_admin_url())
    return reachable(admin.host or "127.0.0.1", admin.port or 5432)


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A fresh database `<prefix>_<random>` on `postgres_admin_url()`, dropped afterwards."""
    import uuid

    import psycopg2
    from sqlalchemy.engine import make_url

    admin = make_url(postgres_admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(host=admin.host or "127.0.0.1", port=admin.port or 5432, user=admin.username,
                            password=admin.password, dbname=admin.database or "postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        try:
            yield str(admin.set(database=name))
        finally:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def stop_group(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a process started with `start_new_session=True` and its children: SIGTERM, then
    SIGKILL after `timeout` seconds."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
_TAKEN: set = set()


def free_port() -> int:
    """A free port; within WEWALL_PORT_RANGE («5500-5599») when set: engineers sharing a machine
    each keep to their own range."""
    span = os.environ.get("WEWALL_PORT_RANGE", "")
    if span:
        low, high = (int(x) for x in span.split("-"))
        for port in range(low, high + 1):
            if port in _TAKEN:
                continue
            with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _TAKEN.add(port)  # handed out, though not bound yet: never twice
            return port
        raise RuntimeError(f"no free port in WEWALL_PORT_RANGE={span}")
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in MODEL_INPUTS:
        path = PROJECT_ROOT / name
        files = [path] if path.is_file() else [*path.rglob("*.yml"), *path.rglob("*.py")]
        newest = max([newest] + [f.stat().st_mtime for f in files])
    return newest


def trained_model(out_dir: Path) -> Path:
    """The project's model if it is newer than its data (make test trains it first), else a fresh one.

    WEWALL_E2E_MODEL=/path/to/model.tar.gz uses that model as it is (a developer's own training).
    """
    if os.environ.get("WEWALL_E2E_MODEL"):
        return Path(os.environ["WEWALL_E2E_MODEL"])
    model = PROJECT_ROOT / "models" / "wewall.tar.gz"
    if model.exists() and model.stat().st_mtime >= _newest_input_mtime():
        return model
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(BIN / "rasa"), "train", "--fixed-model-name", "e2e", "--out", str(out_dir)],
        cwd=PROJECT_ROOT, check=True, env=base_env(), capture_output=True, timeout=1800,
    )
    return out_dir / "e2e.tar.gz"


def base_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", SQLALCHEMY_SILENCE_UBER_WARNING="1")
    env.update(extra)
    return env


class BotServers:
    def __init__(self, model: Path, workdir: Path, env: Optional[Dict[str, str]] = None):
        self.model = model
        self.workdir = Path(workdir)
        self.rasa_port = free_port()
        self.actions_port = free_port()
        self.url = f"http://127.0.0.1:{self.rasa_port}"
        data_dir = self.workdir / "data"
        defaults = {
            "WEWALL_DATA_DIR": str(data_dir),
            "WEWALL_TRACKER_STORE_URL": f"sqlite:///{self.workdir / 'tracker.db'}",
            "WEWALL_LOCK_STORE_TYPE": "wewall.lock_store.WewallInMemoryLockStore",
            "WEWALL_REDIS_HOST": "localhost",
            "WEWALL_REDIS_PORT": "6379",
            "WEWALL_REDIS_DB": "1",
            "WEWALL_ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            # amoCRM outbox (endpoints.yml); without AMOCRM_* settings nothing is recorded.
            "WEWALL_OUTBOX_URL": f"sqlite:///{self.workdir / 'outbox.db'}",
            # the lead book (actions/manager.py): this bot's own, never the developer's
            "WEWALL_LEADS_URL": f"sqlite:///{self.workdir / 'leads.db'}",
            # links to charts and spreadsheets must point at this server, not at :5005
            "WEWALL_PUBLIC_BASE_URL": f"{self.url}/webhooks/files",
            # REST names its conversations only with an integration's token (issue #22): the
            # tests are the integration `e2e`, their sender "u1" is the conversation `rest:e2e:u1`
            "WEWALL_REST_TOKENS": f"e2e:{REST_TOKEN}",
        }
        defaults.update(env or {})
        self.env = base_env(**defaults)
        self.procs: Dict[str, subprocess.Popen] = {}

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _spawn(self, name: str, args: List[str], cpus: Optional[Set[int]] = None) -> None:
        """`cpus`: the cores the process (and every thread it starts) may run on."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / f"{name}.log", "ab")
        pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
        self.procs[name] = subprocess.Popen(
            args, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=pin,
        )

    def load_demo(self, estates: int = 60) -> None:
        subprocess.run(
            [str(BIN / "wewall"), "data", "load-demo", "--estates", str(estates)],
            cwd=PROJECT_ROOT, env=self.env, check=True, capture_output=True, timeout=120,
        )

    def start_actions(self) -> None:
        self._spawn("actions", [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "-p", str(self.actions_port)])

    def start_rasa(self, cpus: Optional[Set[int]] = None) -> None:
        self._spawn(
            "rasa",
            [
                str(BIN / "rasa"), "run", "--enable-api", "-p", str(self.rasa_port), "-m", str(self.model),
                "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
            ],
            cpus,
        )

    def start_worker(self) -> None:
        """`wewall worker`: the amoCRM relay and the other background jobs."""
        self._spawn("worker", [str(BIN / "wewall"), "worker"])

    def start(self, timeout: float = 240) -> BotServers:
        self.start_actions()
        self.start_rasa()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        checks = {
            "actions": f"http://127.0.0.1:{self.actions_port}/health",
            "rasa": f"{self.url}/status",
        }
        pending = {k: v for k, v in checks.items() if k in self.procs}
        while pending and time.monotonic() < deadline:
            for name, url in list(pending.items()):
                if self.procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited early:\n{self.log(name)[-4000:]}")
                with contextlib.suppress(requests.RequestException):
                    if requests.get(url, timeout=2).status_code == 200:
                        pending.pop(name)
            time.sleep(0.5)
        if pending:
            raise RuntimeError(f"not ready in {timeout}s: {sorted(pending)}\n{self.log('rasa')[-4000:]}")

    def send(self, sender: str, text: str, timeout: float = 30) -> List[dict]:
        """One REST message of the tests' integration; `sender` may also be its key (rest:e2e:…)."""
        sender = sender[len("rest:e2e:"):] if sender.startswith("rest:e2e:") else sender
        reply = requests.post(
            f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
            headers=REST_HEADERS, timeout=timeout,
        )
        reply.raise_for_status()
        return reply.json()

    def tracker(self, sender: str) -> dict:
        """The tracker of a REST sender of the tests, or of a conversation key (`tg:1001`)."""
        reply = requests.get(f"{self.url}/conversations/{conversation_key(sender)}/tracker", timeout=10)
        reply.raise_for_status()
        return reply.json()

    def stop_process(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc:
            stop_group(proc)

    def stop(self) -> None:
        for name in list(self.procs):
            self.stop_process(name)

    def __enter__(self) -> BotServers:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
