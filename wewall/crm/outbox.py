"""The Rasa event broker that feeds the amoCRM outbox (and, optionally, RabbitMQ).

Named in endpoints.yml:

    event_broker:
      type: wewall.crm.outbox.OutboxEventBroker
      url: ${WEWALL_OUTBOX_URL}

Rasa calls `publish(event)` synchronously, on its event loop, for every new event of a
turn while it saves the tracker. This broker never calls amoCRM and never waits for the
database there: `publish` turns the event into an outbox row (or nothing) and hands it to
one writer thread, which commits what has accumulated in one transaction (a few ms later).
The relay (`wewall worker`) drains the table. One writer thread keeps the order of
`publish` calls, which is the order of the conversation.

What becomes a row: a client's message (`user`, not the `EXTERNAL:` ones of reminders), a
bot reply (`bot`, except the manager's own words relayed to the client, which amoCRM already
has), and the commands actions put into the `crm_event` slot (commands.py); the counters of
features (`calculations_count`, `searches_count`) become `calculation`/`search` commands.

With the CRM off (no amoCRM configuration, or AMOCRM_ENABLED=false) nothing is recorded:
mirroring starts when the CRM is configured, with no backlog of old conversations. The bot
logs this once at start; without RabbitMQ either, Rasa gets no broker at all (a broker costs
the tracker store one extra tracker read per save, to find the new events).

With WEWALL_RABBITMQ_URL set, every event is also published to RabbitMQ (Rasa's own pika
broker: fanout exchange `rasa-exchange`, queue WEWALL_RABBITMQ_QUEUE, default
`rasa_core_events`) for analytics and other consumers. RabbitMQ is not on the CRM's path: if
it is down, the outbox still fills and the relay still delivers.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import logging
import os
import queue
import threading
import time
import uuid
from typing import Any, Deque, Dict, List, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from wewall.crm.commands import COMMANDS, CRM_EVENT_SLOT
from wewall.crm.store import BOT, CLIENT, COMMAND, CrmStore, get_store
from wewall.sql import outbox_url

log = logging.getLogger(__name__)

EXTERNAL_PREFIX = "EXTERNAL: "
# Bot messages carrying this metadata key are not mirrored (the manager's own words).
SOURCE_KEY = "wewall_source"
MANAGER_SOURCE = "manager"
# Slots whose value is a feature's running count (→ an engagement command).
COUNTER_SLOTS = {"calculations_count": "calculation", "searches_count": "search"}
# Client metadata worth keeping for the contact (Telegram user fields and the like).
CLIENT_FIELDS = ("first_name", "last_name", "username", "name", "phone", "language_code",
                 "lead_source")
MAX_TEXT = 4000  # amojo's limit on a message's text is larger; a wall of text helps nobody


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def bot_text(event: Dict[str, Any]) -> Optional[str]:
    """What a manager should read for a bot message: its text, buttons and pictures."""
    data = event.get("data") or {}
    parts: List[str] = []
    if event.get("text"):
        parts.append(str(event["text"]))
    image = data.get("image") or data.get("attachment")
    if image and isinstance(image, str):
        parts.append(f"[изображение] {image}")
    buttons = data.get("buttons") or data.get("quick_replies") or []
    titles = [str(b.get("title")) for b in buttons if isinstance(b, dict) and b.get("title")]
    if titles:
        parts.append("[кнопки: " + " | ".join(titles) + "]")
    text = "\n".join(parts).strip()
    return _clip(text) if text else None


class EventConverter:
    """Rasa events → outbox rows. Remembers each sender's last buttons (bounded), so that a
    pressed button (`/request_manager`) reads as its title for the manager."""

    def __init__(self, max_senders: int = 20000):
        self._buttons: collections.OrderedDict[str, Dict[str, str]] = collections.OrderedDict()
        self._max = max_senders

    def _remember_buttons(self, sender_id: str, event: Dict[str, Any]) -> None:
        data = event.get("data") or {}
        buttons = data.get("buttons") or data.get("quick_replies") or []
        mapping = {str(b["payload"]): str(b["title"]) for b in buttons
                   if isinstance(b, dict) and b.get("payload") and b.get("title")}
        if not mapping:
            return
        self._buttons[sender_id] = mapping
        self._buttons.move_to_end(sender_id)
        while len(self._buttons) > self._max:
            self._buttons.popitem(last=False)

    def convert(self, event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        sender_id = event.get("sender_id")
        kind = event.get("event")
        if not sender_id or kind not in ("user", "bot", "slot"):
            return None
        ts = event.get("timestamp") or time.time()
        if kind == "user":
            return self._user(sender_id, event, ts)
        if kind == "bot":
            meta = event.get("metadata") or {}
            self._remember_buttons(sender_id, event)
            if meta.get(SOURCE_KEY) == MANAGER_SOURCE:
                return None
            text = bot_text(event)
            if not text:
                return None
            return {"sender_id": sender_id, "kind": BOT, "msgid": str(uuid.uuid4()),
                    "text": text, "ts": ts, "channel": None, "data": {}}
        return self._slot(sender_id, event, ts)

    def _user(self, sender_id: str, event: Dict[str, Any], ts: float) -> Optional[Dict[str, Any]]:
        text = event.get("text")
        if not isinstance(text, str) or not text.strip() or text.startswith(EXTERNAL_PREFIX):
            return None
        shown = text.strip()
        if shown.startswith("/"):
            title = self._buttons.get(sender_id, {}).get(shown)
            if title:
                shown = f"Нажата кнопка «{title}»"
        meta = event.get("metadata") or {}
        client = {k: meta[k] for k in CLIENT_FIELDS
                  if isinstance(meta.get(k), (str, int)) and str(meta[k]).strip()}
        for nested in ("telegram", "from", "user"):  # wewall.channels.telegram puts them here
            if isinstance(meta.get(nested), dict):
                for k in CLIENT_FIELDS:
                    v = meta[nested].get(k)
                    if k not in client and isinstance(v, (str, int)) and str(v).strip():
                        client[k] = v
        data = {"client": client} if client else {}
        return {"sender_id": sender_id, "kind": CLIENT, "msgid": str(uuid.uuid4()),
                "text": _clip(shown), "ts": ts, "channel": event.get("input_channel"),
                "data": data}

    def _slot(self, sender_id: str, event: Dict[str, Any], ts: float) -> Optional[Dict[str, Any]]:
        name, value = event.get("name"), event.get("value")
        if name == CRM_EVENT_SLOT and isinstance(value, dict) and value.get("type") in COMMANDS:
            return {"sender_id": sender_id, "kind": COMMAND, "msgid": str(uuid.uuid4()),
                    "text": value["type"], "ts": ts, "channel": None, "data": dict(value)}
        if name in COUNTER_SLOTS and isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"sender_id": sender_id, "kind": COMMAND, "msgid": str(uuid.uuid4()),
                    "text": COUNTER_SLOTS[name], "ts": ts, "channel": None,
                    "data": {"type": COUNTER_SLOTS[name], "count": int(value)}}
        return None


class OutboxWriter:
    """One thread that commits queued rows in batches, in the order they were queued.

    If the database is unreachable it keeps the rows in memory and retries (logging), so a
    short database hiccup loses nothing; `close()` flushes before the process exits.
    """

    def __init__(self, store: CrmStore, *, batch: int = 500, retry_seconds: float = 1.0):
        self.store = store
        self.batch = batch
        self.retry_seconds = retry_seconds
        self._queue: queue.Queue[Optional[Dict[str, Any]]] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False
        self.written = 0
        self._thread = threading.Thread(target=self._run, name="crm-outbox-writer", daemon=True)
        self._thread.start()

    def put(self, row: Dict[str, Any]) -> None:
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put(row)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is committed."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 10.0) -> bool:
        if self._closed:
            return True
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            rows = []
            if item is None:
                stop = True
            else:
                rows.append(item)
            while len(rows) < self.batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                rows.append(item)
            self._write(rows)

    def _write(self, rows: List[Dict[str, Any]]) -> None:
        delay = self.retry_seconds
        while rows:
            try:
                self.store.append(rows)
                self.written += len(rows)
                break
            except Exception:  # the database is down: keep the rows, try again
                log.exception("outbox: cannot write %d row(s), retrying in %.0fs", len(rows), delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        with self._lock:
            self._pending -= len(rows)
            if self._pending <= 0:
                self._pending = 0
                self._idle.set()


class OutboxEventBroker(EventBroker):
    def __init__(self, url: Optional[str] = None, *, record: Optional[bool] = None,
                 rabbitmq_url: Optional[str] = None, rabbitmq_queue: Optional[str] = None,
                 store: Optional[CrmStore] = None):
        if record is None:
            from wewall.crm.config import get_crm_settings

            settings = get_crm_settings()
            record = settings.enabled
            if not record:
                log.warning("amoCRM выключен (не заданы: %s): переписка в CRM не зеркалируется",
                            "; ".join(settings.missing()) or "—")
        self.record = record
        self.url = url or outbox_url()
        self.store = (store or get_store(self.url)) if record else None
        self.writer = OutboxWriter(self.store) if self.store is not None else None
        self.converter = EventConverter()
        self.rabbitmq_url = rabbitmq_url
        self.rabbitmq_queue = rabbitmq_queue or "rasa_core_events"
        self._pika: Any = None  # Rasa's PikaEventBroker, once a queue is configured
        self._pika_ready = False
        # Events published before RabbitMQ answers (or while it is away at start).
        self._pika_backlog: Deque[Dict[str, Any]] = collections.deque(maxlen=10000)
        self._pika_task: Optional[asyncio.Task] = None
        atexit.register(self._flush_at_exit)
        if record:
            log.info("amoCRM: исходящие события пишутся в %s", _safe_url(self.url))

    @classmethod
    async def from_endpoint_config(cls, broker_config: EndpointConfig,
                                   event_loop: Optional[asyncio.AbstractEventLoop] = None
                                   ) -> Optional[OutboxEventBroker]:
        kwargs = dict(broker_config.kwargs or {}) if broker_config else {}
        url = (broker_config.url if broker_config else None) or None
        rabbitmq_url = kwargs.pop("rabbitmq_url", None) or os.environ.get("WEWALL_RABBITMQ_URL") or None
        rabbitmq_queue = kwargs.pop("rabbitmq_queue", None) or os.environ.get("WEWALL_RABBITMQ_QUEUE")
        rabbitmq_url = (rabbitmq_url or "").strip() or None
        from wewall.crm.config import get_crm_settings

        if not get_crm_settings().enabled and not rabbitmq_url:
            # Nothing to do: no broker at all, so Rasa's tracker store also skips the extra
            # tracker read it makes on every save to find the new events for a broker.
            cls(url, rabbitmq_url=None, store=None)  # logs once why the CRM is off
            return None
        broker = cls(url, rabbitmq_url=rabbitmq_url, rabbitmq_queue=rabbitmq_queue)
        if broker.rabbitmq_url:
            broker.start_rabbitmq(event_loop or asyncio.get_running_loop())
        return broker

    # ------------------------------------------------------------ publishing

    def publish(self, event: Dict[Text, Any]) -> None:
        if self.record:
            try:
                row = self.converter.convert(event)
            except Exception:  # a strange event must never break the dialogue
                log.exception("outbox: cannot convert event %s", event.get("event"))
                row = None
            if row is not None and self.writer is not None:
                self.writer.put(row)
        if self.rabbitmq_url:
            self._publish_rabbitmq(event)

    def flush(self, timeout: float = 10.0) -> bool:
        return self.writer.flush(timeout) if self.writer else True

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        if self.writer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.writer.close)
        if self._pika_task is not None:
            self._pika_task.cancel()
        if self._pika is not None:
            try:
                await self._pika.close()
            except Exception:  # closing is best effort
                log.debug("closing RabbitMQ failed", exc_info=True)

    def _flush_at_exit(self) -> None:
        if self.writer is not None:
            self.writer.close(timeout=5)

    # ------------------------------------------------------------ RabbitMQ

    def start_rabbitmq(self, loop: asyncio.AbstractEventLoop) -> None:
        """Connect in the background: a RabbitMQ that is down must not hold the bot's start."""
        import rasa.shared.core.events  # noqa: F401 (pika.py uses it without importing it)
        from rasa.core.brokers.pika import PikaEventBroker

        self._pika = PikaEventBroker(
            self.rabbitmq_url, username="", password="", queues=[self.rabbitmq_queue],
            event_loop=loop, connection_attempts=1000000, retry_delay_in_seconds=5)
        # The URL carries the credentials: keep pika from adding empty ones.
        self._pika.username = self._pika.password = ""
        self._pika._configure_url = lambda: self.rabbitmq_url
        self._pika_task = loop.create_task(self._connect_rabbitmq())

    async def _connect_rabbitmq(self) -> None:
        try:
            await self._pika.connect()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("RabbitMQ: cannot connect to %s", _safe_url(self.rabbitmq_url))
            return
        self._pika_ready = True
        log.info("RabbitMQ: события публикуются в очередь %s", self.rabbitmq_queue)
        while self._pika_backlog:
            self._pika.publish(self._pika_backlog.popleft())

    def _publish_rabbitmq(self, event: Dict[str, Any]) -> None:
        if self._pika_ready:
            self._pika.publish(event)
        else:
            self._pika_backlog.append(event)


def _safe_url(url: Optional[str]) -> str:
    """A URL without its password, for logs."""
    if not url:
        return "<none>"
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).__repr__() if "://" in url else url
    except Exception:
        return url.split("@")[-1]
