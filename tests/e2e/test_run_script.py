"""Issue #22: `make run` (scripts/run.sh) is safe by default: it listens on 127.0.0.1, and Rasa's
HTTP API (trackers with phones, writable events) refuses a caller without the token generated
at first start; the worker (follow-ups) has the token, and no command line shows it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.harness import PROJECT_ROOT, base_env, free_port, stop_group


def _listening(port: int):
    """Local addresses listening on `port` (IPv4 and IPv6), from /proc/net."""
    found = []
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            parts = line.split()
            address, state = parts[1], parts[3]
            host, port_hex = address.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.append(host)
    return found


def _session_processes(sid: int):
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) != sid:  # session id
                continue
            yield int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"), \
                (entry / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue


@pytest.fixture(scope="module")
def run_script(tmp_path_factory):
    if not (PROJECT_ROOT / "models" / "wewall.tar.gz").exists():
        pytest.skip("scripts/run.sh serves models/wewall.tar.gz: run `make train` first")
    work = tmp_path_factory.mktemp("run")
    rasa_port, actions_port = free_port(), free_port()
    env = base_env(
        WEWALL_DATA_DIR=str(work / "data"), WEWALL_RASA_PORT=str(rasa_port), WEWALL_ACTIONS_PORT=str(actions_port),
        WEWALL_ACTION_ENDPOINT_URL=f"http://127.0.0.1:{actions_port}/webhook",
        WEWALL_TRACKER_STORE_URL=f"sqlite:///{work / 'tracker.db'}", WEWALL_LOCK_STORE_TYPE="in_memory",
        WEWALL_REDIS_HOST="localhost", WEWALL_REDIS_PORT="6379", WEWALL_REDIS_DB="1",
        WEWALL_OUTBOX_URL=f"sqlite:///{work / 'outbox.db'}", WEWALL_RASA_URL=f"http://127.0.0.1:{rasa_port}",
    )
    for name in ("RASA_AUTH_TOKEN", "WEWALL_HOST", "WEWALL_RASA_API", "WEWALL_PUBLIC_BASE_URL"):
        env.pop(name, None)
    out = open(work / "run.out", "wb")
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=PROJECT_ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while "WeWall Bot запущен" not in (work / "run.out").read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("run.sh did not start:\n" + (work / "run.out").read_text(errors="replace")[-3000:])
            time.sleep(1)
        yield proc, work, rasa_port, actions_port
    finally:
        stop_group(proc, timeout=30)


def test_the_api_refuses_an_unauthenticated_tracker_read(run_script):
    _, work, port, _ = run_script
    url = f"http://127.0.0.1:{port}/conversations/tg:777000666/tracker"
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url, params={"token": "guess"}, timeout=30).status_code == 401
    token_file = work / "data" / "rasa_api_token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    token = token_file.read_text().strip()
    assert len(token) >= 32
    assert requests.get(url, params={"token": token}, timeout=30).status_code == 200
    # printed once, at first start, for the operator
    assert (work / "run.out").read_text(errors="replace").count(token) == 1


def test_it_listens_on_loopback_only(run_script):
    _, _, rasa_port, actions_port = run_script
    for port in (rasa_port, actions_port):
        hosts = _listening(port)
        assert hosts and all(h in ("0100007F", "00000000000000000000000001000000") for h in hosts), (port, hosts)


def test_the_worker_has_the_token_and_no_command_line_shows_it(run_script):
    proc, work, _, _ = run_script
    token = (work / "data" / "rasa_api_token").read_text().strip()
    processes = list(_session_processes(proc.pid))
    workers = [environ for _, cmdline, environ in processes if "wewall worker" in cmdline]
    assert workers, [c for _, c, _ in processes]
    assert f"RASA_AUTH_TOKEN={token}".encode() in workers[0]
    # the action server's file links follow the port (issue #22: they ignored it)
    actions = [environ for _, cmdline, environ in processes if "rasa run actions" in cmdline]
    port = run_script[2]
    assert f"WEWALL_PUBLIC_BASE_URL=http://localhost:{port}/webhooks/files".encode() in actions[0]
    assert all(token not in cmdline for _, cmdline, _ in processes)


def test_a_token_beginning_with_a_dash_reaches_rasa(tmp_path):
    """token_urlsafe begins with «-» once in 64 tokens: `--auth-token -…` made argparse stop
    `make run` at its first start, and at every start after (the token is kept)."""
    import re
    import sys

    script = (PROJECT_ROOT / "scripts" / "run.sh").read_text()
    launcher = re.search(r"<<'PY'[^\n]*\n(.*?)\nPY\n", script, re.S).group(1)
    # Rasa's own parser of `rasa run` in place of its main(): the arguments, nothing started
    parse_only = (
        "def main():\n"
        "    import argparse\n"
        "    from rasa.cli.arguments.run import add_server_arguments\n"
        "    parser = argparse.ArgumentParser()\n"
        "    add_server_arguments(parser)\n"
        "    print('TOKEN=' + str(parser.parse_known_args(sys.argv[2:])[0].auth_token))\n"
    )
    assert "from rasa.__main__ import main\n" in launcher
    launcher = launcher.replace("from rasa.__main__ import main\n", parse_only)
    token = "-iD39KAC5NWOuiu_zlsXSxkNBSqM0oPXDiLRjNt60qU"
    env = base_env(RASA_AUTH_TOKEN=token)
    done = subprocess.run([sys.executable, "-", "--enable-api", "-p", "5800"], input=launcher, text=True,
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"TOKEN={token}" in done.stdout
