"""A worker killed between amoCRM's answer and our commit leaves no duplicate in amoCRM.

Twenty runs, each a new client with a viewing hand-over in the outbox. `wewall worker --once`
runs as a real process; the local amoCRM carries out one creating request (a contact, a lead,
a chat, the chat's link, the hand-over note), then SIGKILLs the worker before answering: amoCRM
has the entity, our database does not know its id. A second worker finishes the work. After
each run amoCRM holds one contact, one lead, one chat, one link and one note for the client,
and the lead book knows amoCRM's ids for our request.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.amocrm_server import TG_USERNAME_FIELD_ID, AmoCrmServer
from wewall.crm.commands import crm_command
from wewall.crm.outbox import EventConverter
from wewall.crm.store import CrmStore
from wewall.leads.book import AMOCRM, DONE, LeadBook

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("WEWALL_CRASH_RUNS", "20"))
# (method, path test, what it creates): the kill points, in the order a first contact meets them.
KILL_POINTS = [
    ("POST", lambda p: p == "/api/v4/contacts", "contact"),
    ("POST", lambda p: p == "/api/v4/leads", "lead"),
    ("POST", lambda p: p.startswith("/v2/origin/custom/") and p.endswith("/chats"), "chat"),
    ("POST", lambda p: p == "/api/v4/contacts/chats", "link"),
    ("POST", lambda p: p.endswith("/notes"), "note"),
]


class Killer:
    """The server's hook: after the armed request is carried out, kill the worker."""

    def __init__(self):
        self.proc = None
        self.point = None
        self.fired = None

    def __call__(self, method, path, status):
        if self.point is None or self.proc is None or status >= 300:
            return
        want_method, matches, name = self.point
        if method == want_method and matches(path):
            self.fired, self.point = name, None  # before the kill: the test wakes on its exit
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)


def worker(env):
    return subprocess.Popen([sys.executable, "-m", "wewall.cli", "worker", "--once"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture
def amo():
    server = AmoCrmServer(connected=True).start()
    yield server
    server.stop()


def test_killed_workers_leave_no_duplicates(amo, tmp_path):
    outbox_url = f"sqlite:///{tmp_path / 'outbox.db'}"
    leads_url = f"sqlite:///{tmp_path / 'leads.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMOCRM_", "WEWALL_LEADS_"))}
    env.update(amo.env(), PYTHONPATH=str(ROOT), WEWALL_DATA_DIR=str(tmp_path / "data"),
               WEWALL_OUTBOX_URL=outbox_url, WEWALL_LEADS_URL=leads_url,
               WEWALL_CRM_LEASE_SECONDS="0.5", WEWALL_LOG_LEVEL="WARNING",
               WEWALL_FOLLOWUP_AFTER_MINUTES="0")
    store, book = CrmStore(outbox_url), LeadBook(leads_url)
    killer = Killer()
    amo.after_handler = killer
    converter = EventConverter()
    duplicates = 0
    try:
        for run in range(RUNS):
            sender = f"client{run}"
            # even runs: a Telegram client with a @username; odd runs: an anonymous web client
            meta = ({"telegram": {"first_name": "Анна", "username": f"anna{run}"}}
                    if run % 2 == 0 else {})
            ref = f"req-{run}"
            book.add({"ref": ref, "kind": "viewing", "sender_id": sender, "phone": "+79161234567",
                      "summary": f"Сводка {run}"}, [AMOCRM])
            events = [
                {"event": "user", "text": "хочу на просмотр", "metadata": meta,
                 "input_channel": "telegram" if meta else "rest"},
                crm_command("handover", summary=f"Сводка {run}", lead_ref=ref)[0],
                {"event": "bot", "text": "Передаю ваш запрос менеджеру WEWALL"},
            ]
            store.append([converter.convert({"sender_id": sender, "timestamp": time.time(), **e})
                          for e in events])
            killer.point = KILL_POINTS[run % len(KILL_POINTS)]
            killer.fired = None
            killer.proc = first = worker(env)
            first.wait(120)
            assert killer.fired, (f"run {run}: the worker was not killed: "
                                  f"{first.stdout.read().decode()} {amo.requests()[-12:]}")
            assert first.returncode == -signal.SIGKILL
            time.sleep(0.6)  # the dead worker's lease runs out
            second = worker(env)
            out = second.communicate(timeout=120)[0]
            assert second.returncode == 0, out

            conv = store.conversation(sender)
            if meta:
                contacts = [c for c in amo.contacts.values() if any(
                    v["value"] == f"anna{run}" for f in c.get("custom_fields_values") or []
                    if f.get("field_id") == TG_USERNAME_FIELD_ID for v in f["values"])]
            else:
                contacts = [c for c in amo.contacts.values() if c["name"] == f"Клиент {sender}"]
            leads = [lead for lead in amo.leads.values() if lead["name"].endswith(f"· {sender}")]
            chats = [c for c in amo.chats.values() if c["conversation_id"] == sender]
            links = [x for x in amo.chat_links if x["chat_id"] == conv["chat_id"]]
            notes = amo.notes(conv["lead_id"])
            counts = (len(contacts), len(leads), len(chats), len(links), len(notes))
            duplicates += sum(n - 1 for n in counts if n > 1)
            assert counts == (1, 1, 1, 1, 1), f"run {run}, killed after the {killer.fired}: {counts}"
            assert (conv["contact_id"], conv["lead_id"]) == (contacts[0]["id"], leads[0]["id"])
            assert amo.texts(sender) == ["хочу на просмотр", f"Сводка {run}",
                                         "Передаю ваш запрос менеджеру WEWALL"]
            (d,) = book.get_by_ref(ref)["deliveries"]
            assert d["status"] == DONE
            assert (d["external"]["contact_id"], d["external"]["lead_id"]) == (
                contacts[0]["id"], leads[0]["id"])
    finally:
        amo.after_handler = None
        store.dispose(), book.dispose()
    assert duplicates == 0
    print(f"\n{RUNS} killed workers: {len(amo.contacts)} contacts, {len(amo.leads)} leads, "
          f"{duplicates} duplicates")
