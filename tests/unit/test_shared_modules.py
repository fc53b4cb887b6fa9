"""Shared things in shared places (#21 item 6): one thread pool, the SQL helpers, the job registry."""

import asyncio
import subprocess
import sys
import threading

from wewall import jobs
from wewall.blocking import THREAD_PREFIX
from wewall.crm.store import CrmStore
from wewall.followups import FollowUpStore
from wewall.leads.book import LeadBook


def test_every_sql_store_runs_in_the_one_pool(tmp_path):
    stores = [CrmStore(f"sqlite:///{tmp_path / 'o.db'}"), LeadBook(f"sqlite:///{tmp_path / 'l.db'}"),
              FollowUpStore(f"sqlite:///{tmp_path / 'o.db'}")]

    async def threads():
        return [await s.run(lambda: threading.current_thread().name) for s in stores]

    try:
        assert all(name.startswith(THREAD_PREFIX) for name in asyncio.run(threads()))
    finally:
        for s in stores:
            s.dispose()


def test_job_modules_do_not_import_the_worker():
    """The worker imports the job modules; none of them imports it back (no cycle)."""
    code = ("import sys, importlib\n"
            f"for m in {jobs.FACTORIES!r}: importlib.import_module(m)\n"
            "print('wewall.worker' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_registered_module_offers_a_job_factory():
    import importlib

    for module in jobs.FACTORIES:
        assert callable(importlib.import_module(module).job_factory), module


def test_stop_group_stops_the_process_and_its_children(tmp_path):
    import os
    import time

    from wewall.devservers import stop_group

    pid_file = tmp_path / "child.pid"
    # the shell ignores SIGTERM: only the group's SIGKILL after the timeout ends it
    proc = subprocess.Popen(["bash", "-c", f"trap '' TERM; sleep 60 & echo $! > {pid_file}; wait"],
                            start_new_session=True)
    while not pid_file.exists() or not pid_file.read_text().strip():
        time.sleep(0.05)
    child = int(pid_file.read_text())
    stop_group(proc, timeout=1)
    assert proc.poll() is not None
    time.sleep(0.2)
    try:
        os.kill(child, 0)
        alive = open(f"/proc/{child}/stat").read().split()[2] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        alive = False
    assert not alive


def test_the_readme_layout_names_every_module_and_package_of_wewall():
    """The layout tree in README.md went stale once (#21 item 8): it names what wewall/ holds."""
    import re

    from wewall import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Устройство", 1)[1].split("```")[1]
    named = set(re.findall(r"[\w.]+", layout))
    package = PROJECT_ROOT / "wewall"
    modules = {p.name for p in package.glob("*.py") if p.name != "__init__.py"}
    packages = {f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").exists()}
    assert modules <= named, sorted(modules - named)
    assert all(re.search(rf"^\s+{re.escape(p)}", layout, re.M) for p in packages), sorted(packages)
