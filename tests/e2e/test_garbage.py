"""Garbage in, no 5xx out: 10 000 odd messages over REST and the Telegram webhook.

Empty, 100 KB, emoji only, control characters (NUL, RTL override, lone surrogates), mixed
scripts and combining marks, SQL/HTML/template snippets, random Rasa-looking payloads, and
malformed bodies. Every message must be answered: a 200 with at least one bot message, or a 4xx
with a JSON `error` for what is oversized or malformed. Nothing may get a 5xx, and the servers
must still be healthy afterwards. Counts are printed (`pytest -s`).

WEWALL_GARBAGE_MESSAGES (default 10000) and WEWALL_GARBAGE_CONCURRENCY (default 8) size it.
"""

from __future__ import annotations

import collections
import concurrent.futures
import json
import os
import random
import threading
import time
import uuid
from typing import Dict, List, Tuple

import pytest
import requests

from tests.e2e.harness import REST_HEADERS, BotServers
from tests.telegram_server import TelegramServer

pytestmark = pytest.mark.e2e

TOTAL = int(os.environ.get("WEWALL_GARBAGE_MESSAGES", "10000"))
CONCURRENCY = int(os.environ.get("WEWALL_GARBAGE_CONCURRENCY", "8"))
SECRET = "garbage_" + uuid.uuid4().hex[:10]

EMOJI = ["🙂", "😂", "👍", "🏢", "💰", "🔥", "❤️", "👨‍👩‍👧‍👦", "🇷🇺", "👍🏽", "🤖", "✅", "🚇", "📈", "🙏"]
CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\u200b", "\u200e", "\u202e",
           "\ufeff", "\ud800", "\udfff", "\u2028", "\r", "\t"]
SCRIPTS = ["офис", "office", "مكتب", "办公室", "γραφείο", "משרד", "कार्यालय", "オフィス", "ოფისი", "офіс",
           "Ё̈", "z̸̢̛a̵̡l̴g̷o̶", "ℌ𝔢𝔩𝔩𝔬", "ＡＢＣ", "١٢٣", "½", "∞", "₽"]
SNIPPETS = [
    "'; DROP TABLE events; --", "\" OR 1=1 --", "1; SELECT pg_sleep(10);", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "{{7*7}}", "${jndi:ldap://x/a}", "%s%s%s%n", "../../etc/passwd",
    "<b>жирный</b> офис", "NaN", "null", "[]", "{}", "\\u0000", "/inform{\"calc_kind\": [1, 2]}",
    "/inform{not json}", "/faq{\"x\":", "/request_calculation@0.x", "/unknown_intent", "/start " + "x" * 100,
    "8 (999) 123-45-67 позвоните", "SELECT * FROM users WHERE name = 'Иван'", "<?xml version=\"1.0\"?><a/>",
]


def _garbage_text(rng: random.Random, kind: str) -> str:
    if kind == "empty":
        return rng.choice(["", " ", "\n", "\t \n"])
    if kind == "huge":
        return rng.choice(["а", "x", "🙂", "офис "]) * (100_000 // 4)
    if kind == "emoji":
        return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 12)))
    if kind == "control":
        return "".join(rng.choice(CONTROL + ["a", "я", " "]) for _ in range(rng.randint(1, 30)))
    if kind == "scripts":
        return " ".join(rng.choice(SCRIPTS) for _ in range(rng.randint(1, 8)))
    if kind == "snippet":
        return rng.choice(SNIPPETS)
    raise ValueError(kind)


TEXT_KINDS = ["empty", "huge", "emoji", "control", "scripts", "snippet"]
WEIGHTS = [1, 2, 2, 2, 2, 2]


def _malformed_rest(rng: random.Random, sender: str) -> bytes:
    return rng.choice([
        b"{", b"", b"null", b"[1,2]", b'"just a string"', b"\xff\xfe\xfd", b'{"sender": "' + sender.encode() + b'"}',
        b'{"sender": {"a": 1}, "message": "x"}', b'{"sender": "' + sender.encode() + b'", "message": 42}',
        b'{"sender": "' + b"s" * 400 + b'", "message": "x"}', b'{"sender": "' + sender.encode() + b'", "message": "x", "metadata": 5}',
    ])


def _malformed_update(rng: random.Random) -> bytes:
    return rng.choice([
        b"{", b"", b"[]", b'{"update_id": "x"}', b'{"message": {"text": "hi"}}', b"\xff\xfe",
        b'{"update_id": 1.5, "message": {}}',
    ])


def _odd_update(rng: random.Random, update_id: int, chat: int) -> Dict:
    """Valid JSON updates of shapes the bot does not answer as text."""
    return rng.choice([
        {"update_id": update_id, "message": "not an object"},
        {"update_id": update_id, "message": {"chat": "x", "text": "hi"}},
        {"update_id": update_id, "my_chat_member": {"chat": {"id": chat}}},
        {"update_id": update_id, "callback_query": {"id": "1", "data": 5}},
    ])


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: collections.Counter[Tuple[str, str]] = collections.Counter()
        self.problems: List[str] = []

    def add(self, channel: str, outcome: str, problem: str = "") -> None:
        with self.lock:
            self.counts[(channel, outcome)] += 1
            if problem and len(self.problems) < 30:
                self.problems.append(problem)


def _is_json_error(reply: requests.Response) -> bool:
    try:
        return isinstance(reply.json(), dict) and bool(reply.json().get("error"))
    except ValueError:
        return False


@pytest.fixture(scope="module")
def garbage_bot(model, tmp_path_factory):
    with TelegramServer() as server:
        bot = BotServers(model, tmp_path_factory.mktemp("garbage"))
        bot.env.update(
            TELEGRAM_TOKEN=server.token, TELEGRAM_BOT_USERNAME=server.username,
            TELEGRAM_API_BASE_URL=server.base_url, TELEGRAM_SECRET_TOKEN=SECRET,
            TELEGRAM_WEBHOOK_URL=f"{bot.url}/webhooks/telegram/webhook",
            TELEGRAM_REMOVE_KEYBOARD_ON_TAP="false",
        )
        bot.load_demo()
        with bot:
            server.wait_for("setWebhook", timeout=60)
            yield bot, server


def test_garbage_gets_answers_and_no_5xx(garbage_bot):
    bot, tg = garbage_bot
    rest_url = f"{bot.url}/webhooks/rest/webhook"
    hook_url = f"{bot.url}/webhooks/telegram/webhook"
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    tally = Tally()
    update_ids = iter(range(10_000_000, 20_000_000))
    ids_lock = threading.Lock()
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s

    def one(n: int) -> None:
        rng = random.Random(n)
        worker = n % CONCURRENCY
        # a new conversation every ~20 messages of a worker: many clients, as in life (one
        # endless conversation measures Rasa's O(length) tracker featurisation instead)
        conversation = f"{worker}-{n // (CONCURRENCY * 20)}"
        malformed = rng.random() < 0.08
        kind = "malformed" if malformed else rng.choices(TEXT_KINDS, WEIGHTS)[0]
        refusable = kind in ("huge", "malformed")
        if n % 2 == 0:  # REST
            sender = f"garbage-rest-{conversation}"
            body = _malformed_rest(rng, sender) if malformed else json.dumps(
                {"sender": sender, "message": _garbage_text(rng, kind)}).encode()
            reply = session().post(rest_url, data=body, headers={"Content-Type": "application/json", **REST_HEADERS},
                                  timeout=300)
            if reply.status_code >= 500:
                tally.add("rest", "5xx", f"rest {kind}: {reply.status_code} {reply.text[:200]}")
            elif 400 <= reply.status_code < 500:
                ok = refusable and _is_json_error(reply)
                tally.add("rest", f"4xx {kind}" if ok else "4xx unexpected", "" if ok else f"rest {kind}: {reply.status_code} {reply.text[:200]}")
            elif reply.json():
                tally.add("rest", "answered")
            else:
                tally.add("rest", "unanswered", f"rest {kind}: {body[:80]!r} -> []")
            return
        chat = 700_000 + 1000 * worker + n // (CONCURRENCY * 20)  # one worker's updates are sequential
        with ids_lock:
            update_id = next(update_ids)
        odd = False
        if malformed:
            if rng.random() < 0.5:
                body, odd = json.dumps(_odd_update(rng, update_id, chat)).encode(), True
            else:
                body = _malformed_update(rng)
        else:
            update = tg.text_update(chat, _garbage_text(rng, kind))
            update["update_id"] = update_id
            body = json.dumps(update).encode()
        before = tg.sent_to(chat)
        reply = session().post(hook_url, data=body, headers=headers, timeout=300)
        if reply.status_code >= 500:
            tally.add("telegram", "5xx", f"telegram {kind}: {reply.status_code} {reply.text[:200]}")
        elif 400 <= reply.status_code < 500:
            ok = refusable and _is_json_error(reply)
            tally.add("telegram", f"4xx {kind}" if ok else "4xx unexpected",
                      "" if ok else f"telegram {kind}: {reply.status_code} {reply.text[:200]}")
        elif odd:
            tally.add("telegram", "ignored (not a message)")
        elif tg.sent_to(chat) > before:
            tally.add("telegram", "answered")
        else:
            tally.add("telegram", "unanswered", f"telegram {kind}: {body[:120]!r} -> {reply.text[:100]}")

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        # each worker index keeps its order: submit in rounds of CONCURRENCY
        for start in range(0, TOTAL, CONCURRENCY):
            list(pool.map(one, range(start, min(TOTAL, start + CONCURRENCY))))
            if start % 2000 == 0:
                tg.forget_calls()
    elapsed = time.monotonic() - started

    rows = sorted(tally.counts.items())
    print(f"\n{TOTAL} garbage messages in {elapsed:.0f} s ({TOTAL / elapsed:.1f}/s), concurrency {CONCURRENCY}")
    for (channel, outcome), count in rows:
        print(f"  {channel:9} {outcome:28} {count}")
    for problem in tally.problems:
        print("  !", problem)

    assert sum(tally.counts.values()) == TOTAL
    bad = {k: v for k, v in tally.counts.items() if k[1] in ("5xx", "unanswered", "4xx unexpected")}
    assert not bad, (bad, tally.problems)
    # still healthy, and still the bot
    assert requests.get(f"{bot.url}/status", timeout=10).status_code == 200
    assert bot.send("garbage-after", "привет")[0]["text"].startswith("Здравствуйте")
    assert bot.procs["rasa"].poll() is None and bot.procs["actions"].poll() is None
