"""The relay: drains the outbox into amoCRM, per conversation and in order.

For each conversation with pending rows (oldest first, several at once):
1. take its lease (so two relays never work on one conversation);
2. on first contact, find or create what amoCRM needs, each step saved as soon as it
   succeeds: contact → lead (main pipeline, "chat with bot", source "WEWALL AI") → chat → link;
3. deliver its rows in id order: a client's message with `send_client_message`, a bot reply
   with `import_bot_message`, both with the row's own msgid and timestamp; commands
   (hand-over, manager on/off, counters) as their steps, each step recorded in the row;
4. mark each row done right after amoCRM accepted it; move the lead by engagement.

Failure handling:
- amoCRM unavailable (5xx, 429, timeouts: `AmoUnavailable` after the client's own retries),
  or refusing our credentials/config (401/403, missing ids): the conversation backs off
  (exponential, capped, with jitter; Retry-After respected) and the whole relay pauses
  briefly (a circuit breaker: no hammering of an amoCRM that is down). Nothing is dropped:
  the rows stay pending and go out in order when amoCRM is back.
- amoCRM refusing one row (a 4xx about that message): retried a few times, then marked
  `failed` with the error (visible in `wewall amocrm status`, re-queued by
  `wewall amocrm retry-failed`) so it does not block the rest of the conversation.
- A crash between amoCRM accepting a message and the row being marked: the retry sends the
  same msgid and amojo keeps one message. A crash between amoCRM creating the contact or the
  lead and our commit: the next run finds them before creating (the contact by phone,
  Telegram @username or the conversation's own name; the lead by its name, which carries our
  conversation id), and a hand-over note already on the lead is not added again; the chat is
  keyed by our conversation id in amojo. Each step is recorded right after it succeeds.

One conversation backing off does not hold the others: each has its own lease and backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import random
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from wewall.crm.api import AmoApi
from wewall.crm.chats import AmoChats
from wewall.crm.config import CrmSettings
from wewall.crm.errors import AmoAuthError, AmoConfigError, AmoError, AmoRejected, AmoUnavailable
from wewall.crm.store import BOT, CLIENT, COMMAND, DONE, FAILED, SKIPPED, CrmStore, SqlTokenStore

log = logging.getLogger(__name__)

# Engagement (product.md): the Nth client message / the Nth calculation-or-search.
MESSAGE_THRESHOLDS = (20, 60)
ACTION_THRESHOLDS = (2, 7)

NOTE_CLOSED_BY_CLIENT = "Клиент закрыл чат с менеджером: бот WEWALL AI снова отвечает клиенту."
NOTE_CLOSED_IN_CRM = "Беседа закрыта в amoCRM: бот WEWALL AI снова отвечает клиенту."
NOTE_MANAGER_ON = "Менеджер подключился к чату: бот WEWALL AI молчит до закрытия чата."


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "").strip() or default)
    except ValueError:
        log.warning("%s is not a number: using %s", name, default)
        return default


@dataclass
class RelayConfig:
    # Idle polling period of the outbox, seconds (a delivered batch polls again at once).
    poll_seconds: float = 0.5
    # Rows of one conversation per lease.
    batch: int = 50
    # Conversations delivered at the same time.
    concurrency: int = 8
    # How long a relay may hold a conversation before another may take it (a crashed relay):
    # short, as a working relay renews it every third of it (issue #22: a killed worker's
    # conversations waited out 120 s).
    lease_seconds: float = 15.0
    # Backoff of a conversation after a failure: first delay and cap, seconds.
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 60.0
    # Refusals of one row before it is set aside as failed.
    max_rejections: int = 5
    # REST API calls per second (amoCRM allows about 7 per account).
    rest_rate: float = 6.0

    @classmethod
    def from_env(cls) -> RelayConfig:
        d = cls()
        return cls(
            poll_seconds=_env_float("WEWALL_CRM_POLL_SECONDS", d.poll_seconds),
            batch=int(_env_float("WEWALL_CRM_BATCH", d.batch)),
            concurrency=max(1, int(_env_float("WEWALL_CRM_CONCURRENCY", d.concurrency))),
            lease_seconds=_env_float("WEWALL_CRM_LEASE_SECONDS", d.lease_seconds),
            backoff_seconds=_env_float("WEWALL_CRM_BACKOFF_SECONDS", d.backoff_seconds),
            backoff_max_seconds=_env_float("WEWALL_CRM_BACKOFF_MAX_SECONDS", d.backoff_max_seconds),
            max_rejections=int(_env_float("WEWALL_CRM_MAX_REJECTIONS", d.max_rejections)),
            rest_rate=_env_float("WEWALL_CRM_REST_RATE", d.rest_rate),
        )

    def backoff(self, failures: int, retry_after: Optional[float] = None,
                rand: Callable[[], float] = random.random) -> float:
        base = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** max(0, failures - 1))
        return max(base * (0.75 + 0.5 * rand()), retry_after or 0.0)


class RateLimiter:
    """At most `rate` acquisitions a second, spread evenly (async, shared by all tasks)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = self.clock()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)


def engagement_stage(client_messages: int, actions: int) -> int:
    """0 chat with bot, 1 high engagement, 2 active user."""
    stage = 0
    for level, (msgs, acts) in enumerate(zip(MESSAGE_THRESHOLDS, ACTION_THRESHOLDS), start=1):
        if client_messages >= msgs or actions >= acts:
            stage = level
    return stage


def derived_msgid(msgid: str, step: str) -> str:
    """A second message of one row (the hand-over summary): as stable as the row's own."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"wewall-crm:{msgid}:{step}"))


class SharedTokenApi(AmoApi):
    """AmoApi whose OAuth tokens live in the shared store (crm_tokens).

    amoCRM rotates the refresh token on every refresh, so when one process (a worker, an
    operator's `wewall amocrm …`) refreshes, the others' refresh tokens are dead. Before
    refreshing, this one looks at the store: newer, valid tokens there are adopted instead.
    """

    async def _refresh_locked(self):
        if self._store is not None:
            stored = await self._store.load()
            current = self._tokens
            if (stored is not None and stored.access_token
                    and (current is None or stored.access_token != current.access_token)
                    and not stored.expires_within(60)):
                self._tokens = stored
                return stored
        return await super()._refresh_locked()


def shared_api(store: CrmStore, settings: CrmSettings, **kwargs) -> AmoApi:
    return SharedTokenApi(settings, token_store=SqlTokenStore(store), **kwargs)


class _Backoff(Exception):
    """Stop this conversation for now and retry later (nothing is lost)."""

    def __init__(self, cause: BaseException, *, retry_after: Optional[float] = None,
                 systemic: bool = False):
        super().__init__(str(cause))
        self.cause = cause
        self.retry_after = retry_after
        self.systemic = systemic


class Relay:
    def __init__(self, store: CrmStore, settings: CrmSettings, *,
                 api: Optional[AmoApi] = None, chats: Optional[AmoChats] = None,
                 config: Optional[RelayConfig] = None, owner: Optional[str] = None,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.settings = settings
        self.config = config or RelayConfig.from_env()
        self.api = api or shared_api(store, settings)
        self.chats = chats or AmoChats(settings)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.clock = clock
        self.limiter = RateLimiter(self.config.rest_rate)
        self.counts: Counter = Counter()
        self._paused_until = 0.0
        self._outage_failures = 0
        self._stopping = False

    async def close(self) -> None:
        await self.api.close()
        await self.chats.close()

    def stop(self) -> None:
        """Finish the row in hand, then stop (the lease is released)."""
        self._stopping = True

    # ------------------------------------------------------------------ loop

    async def run(self, stop: asyncio.Event) -> None:
        log.info("relay %s: drains the amoCRM outbox", self.owner)
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:
                log.exception("relay: unexpected failure, continuing")
                done = 0
            if not done:
                try:
                    await asyncio.wait_for(stop.wait(), self.config.poll_seconds)
                except asyncio.TimeoutError:
                    pass
        self.stop()

    async def run_once(self) -> int:
        """Deliver what can be delivered now; returns the number of rows handled."""
        now = self.clock()
        if now < self._paused_until:
            return 0
        senders = await self.store.run(self.store.pending_senders, now,
                                       self.config.concurrency * 4)
        if not senders:
            return 0
        sem = asyncio.Semaphore(self.config.concurrency)

        async def one(sender_id: str) -> int:
            async with sem:
                if self._stopping or self.clock() < self._paused_until:
                    return 0
                return await self.process_conversation(sender_id)

        return sum(await asyncio.gather(*(one(s) for s in senders)))

    # ------------------------------------------------------------------ one conversation

    async def process_conversation(self, sender_id: str) -> int:
        cfg = self.config
        now = self.clock()
        conv = await self.store.run(self.store.claim, sender_id, self.owner, now,
                                    cfg.lease_seconds, amojo_ids(sender_id))
        if conv is None:
            return 0
        handled = 0
        release: Dict[str, Any] = {}
        heartbeat = asyncio.ensure_future(self._renew_lease(sender_id))
        try:
            rows = await self.store.run(self.store.pending_rows, sender_id, cfg.batch)
            for row in rows:
                if self._stopping:
                    break
                await self._deliver(conv, row)
                handled += 1
            await self._engagement(conv)
            release = {"failures": 0, "retry_at": None, "last_error": None}
            self._outage_failures = 0
        except _Backoff as b:
            failures = int(conv.get("failures") or 0) + 1
            delay = cfg.backoff(failures, b.retry_after)
            release = {"failures": failures, "retry_at": self.clock() + delay,
                       "last_error": str(b)[:2000]}
            self.counts["backoffs"] += 1
            if b.systemic:
                self._outage_failures += 1
                pause = cfg.backoff(self._outage_failures, b.retry_after)
                self._paused_until = max(self._paused_until, self.clock() + pause)
            log.warning("relay: %s: %s; retry in %.1fs (failure %d)", sender_id,
                        _short(b.cause), delay, failures)
        finally:
            heartbeat.cancel()
            await self.store.run(self.store.release, sender_id, self.owner, **release)
        return handled

    async def _renew_lease(self, sender_id: str) -> None:
        """Keeps the conversation while a slow amoCRM call runs; a dead relay stops renewing."""
        every = max(0.05, self.config.lease_seconds / 3)
        while True:
            await asyncio.sleep(every)
            try:
                await self.store.run(self.store.claim, sender_id, self.owner, self.clock(),
                                     self.config.lease_seconds, {})
            except Exception as exc:  # the next renewal (or the release) tries again
                log.warning("relay: lease of %s not renewed: %s", sender_id, exc)

    async def _deliver(self, conv: Dict[str, Any], row: Dict[str, Any]) -> None:
        try:
            await self._ensure_chat(conv, row)
        except AmoUnavailable as exc:
            raise _Backoff(exc, retry_after=exc.retry_after, systemic=True)
        except AmoError as exc:  # setup refused: configuration, not this message
            raise _Backoff(exc, systemic=isinstance(exc, (AmoAuthError, AmoConfigError)))
        try:
            updates = await self._handle(conv, row)
        except AmoUnavailable as exc:
            raise _Backoff(exc, retry_after=exc.retry_after, systemic=True)
        except (AmoAuthError, AmoConfigError) as exc:
            raise _Backoff(exc, systemic=True)
        except AmoRejected as exc:
            if exc.status in (401, 403):
                raise _Backoff(exc, systemic=True)
            attempts = await self.store.run(self.store.row_rejected, row["id"], str(exc))
            if attempts < self.config.max_rejections:
                raise _Backoff(exc)
            log.error("relay: %s: row %s (%s) refused %d times, set aside as failed: %s",
                      conv["sender_id"], row["id"], row["kind"], attempts, exc)
            await self._finish(conv, row, FAILED, error=str(exc)[:2000])
            self.counts["failed"] += 1
            return
        except AmoError as exc:
            raise _Backoff(exc, systemic=True)
        status = SKIPPED if updates is None else DONE
        await self._finish(conv, row, status, updates=updates or {})
        self.counts[f"{row['kind']}:{status}"] += 1

    async def _finish(self, conv: Dict[str, Any], row: Dict[str, Any], status: str, *,
                      updates: Optional[Dict[str, Any]] = None, error: Optional[str] = None) -> None:
        updates = updates or {}
        await self.store.run(self.store.finish_row, row["id"], conv["sender_id"], status,
                             error=error, conversation=updates,
                             lease_until=self.clock() + self.config.lease_seconds)
        conv.update(updates)

    async def _save(self, conv: Dict[str, Any], **values: Any) -> None:
        await self.store.run(self.store.update_conversation, conv["sender_id"], **values)
        conv.update(values)

    # ------------------------------------------------------------------ first contact

    async def _ensure_chat(self, conv: Dict[str, Any], row: Dict[str, Any]) -> None:
        if conv.get("contact_id") and conv.get("lead_id") and conv.get("chat_id") and conv.get("linked"):
            return
        client = (row.get("data") or {}).get("client") or {}
        if not conv.get("name"):
            await self._save(conv, name=client_name(conv["sender_id"], client),
                             channel=row.get("channel") or conv.get("channel"))
        name = conv["name"]
        s = self.settings
        phone = _phone(client.get("phone"))
        if not conv.get("contact_id"):
            # Found first (a returning client, or our own contact whose id a crash lost between
            # amoCRM's answer and our commit), created only when amoCRM has none.
            contact_id = await self._existing_contact(conv, name, client, phone)
            if contact_id is None:
                await self.limiter.acquire()
                contact_id = await self.api.create_contact(
                    name, first_name=client.get("first_name"), last_name=client.get("last_name"),
                    telegram_username=client.get("username"), phone=phone)
                self.counts["contacts"] += 1
            else:
                self.counts["contacts_found"] += 1
            await self._save(conv, contact_id=contact_id)
        if not conv.get("lead_id"):
            source = f" ({client['lead_source']})" if client.get("lead_source") else ""
            # Our conversation id in the name: the key that finds this conversation's lead again.
            lead_name = f"{name} — {s.lead_source_value}{source} · {conv['conversation_id']}"[:255]
            lead_id = await self._existing_lead(conv["contact_id"], lead_name)
            if lead_id is None:
                await self.limiter.acquire()
                lead_id = await self.api.create_lead(
                    conv["contact_id"], name=lead_name,
                    pipeline_id=s.main_pipeline_id, status_id=s.status_chat_with_bot_id)
                self.counts["leads"] += 1
            else:
                self.counts["leads_found"] += 1
            await self._save(conv, lead_id=lead_id)
        if not conv.get("chat_id"):
            chat_id = await self.chats.create_chat(
                conv["conversation_id"], user_id=conv["user_id"], name=name,
                phone=client.get("phone"))
            await self._save(conv, chat_id=chat_id)
            self.counts["chats"] += 1
        if not conv.get("linked"):
            await self.limiter.acquire()
            await self.api.link_chat_to_contact(conv["contact_id"], conv["chat_id"])
            await self._save(conv, linked=True)

    async def _existing_contact(self, conv: Dict[str, Any], name: str, client: Dict[str, Any],
                                phone: Optional[str]) -> Optional[int]:
        """amoCRM's contact for this client: by phone, by Telegram @username, or (a client
        who gave neither a name nor a username) by the name made of our conversation id.

        A client known only by a first name is not searched: names are not unique, and a
        stranger's contact is worse than a second one.
        """
        field_id = self.settings.tg_username_field_id
        username = str(client.get("username") or "").lstrip("@").lower()
        searches = []
        if phone:
            digits = phone[-10:]
            searches.append((phone, lambda c: any(
                _digits(v)[-10:] == digits for v in _field_values(c, code="PHONE"))))
        if username and field_id:
            searches.append((username, lambda c: any(
                str(v).lstrip("@").lower() == username for v in _field_values(c, field_id=field_id))))
        if name == client_name(conv["sender_id"], {}):
            searches.append((name, lambda c: c.get("name") == name))
        for query, exact in searches:
            await self.limiter.acquire()
            found = [c for c in await self.api.find_contacts(query) if exact(c)]
            if found:
                return int(min(c["id"] for c in found))  # the oldest, if a person has several
        return None

    async def _existing_lead(self, contact_id: int, lead_name: str) -> Optional[int]:
        await self.limiter.acquire()
        for lead in await self.api.find_leads(lead_name):
            contacts = ((lead.get("_embedded") or {}).get("contacts")) or []
            if lead.get("name") == lead_name and any(c.get("id") == contact_id for c in contacts):
                return int(lead["id"])
        return None

    async def _add_phone(self, conv: Dict[str, Any], phone: str) -> None:
        await self.limiter.acquire()
        phones = await self.api.contact_phones(conv["contact_id"])
        if any(_digits(p)[-10:] == phone[-10:] for p in phones):
            return
        await self.limiter.acquire()
        await self.api.set_contact_phones(conv["contact_id"], phones + [phone])

    async def _note_once(self, conv: Dict[str, Any], text: str) -> None:
        """A note amoCRM has not got yet: a hand-over note repeated after a crash is skipped
        (a note has no idempotency key of its own)."""
        await self.limiter.acquire()
        notes = await self.api.lead_notes(conv["lead_id"])
        if any(((n.get("params") or {}).get("text")) == text for n in notes):
            return
        await self._note(conv, text)

    # ------------------------------------------------------------------ rows

    async def _handle(self, conv: Dict[str, Any], row: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """Carry the row out; the conversation's changes, or None when there was nothing to do."""
        kind = row["kind"]
        if kind == CLIENT:
            await self.chats.send_client_message(
                conversation_id=conv["conversation_id"], msgid=row["msgid"],
                user_id=conv["user_id"], name=conv["name"], text=row["text"], timestamp=row["ts"])
            return {"client_messages": int(conv.get("client_messages") or 0) + 1}
        if kind == BOT:
            await self.chats.import_bot_message(
                conversation_id=conv["conversation_id"], msgid=row["msgid"],
                user_id=conv["user_id"], name=conv["name"], text=row["text"], timestamp=row["ts"])
            return {}
        if kind == COMMAND:
            return await self._command(conv, row)
        log.warning("relay: unknown outbox row kind %r (row %s)", kind, row["id"])
        return None

    async def _step(self, row: Dict[str, Any], step: str, call) -> None:
        """Run one step of a multi-step row once: recorded right after it succeeds."""
        data = row.setdefault("data", {})
        done = data.setdefault("progress", [])
        if step in done:
            return
        await call()
        done.append(step)
        await self.store.run(self.store.save_progress, row["id"], data)

    async def _lead_delivered(self, conv: Dict[str, Any], ref: str) -> None:
        """Tell the lead book (wewall/leads) that this request is in amoCRM, and where.

        Best effort: the hand-over itself is done; a lead book that is down only leaves the
        lead's amoCRM row pending (`wewall leads show` tells the operator).
        """
        try:
            from wewall.leads.book import AMOCRM, get_book

            book = get_book()
            await book.run(book.mark_delivered_by_ref, ref, AMOCRM,
                           {"contact_id": conv.get("contact_id"), "lead_id": conv.get("lead_id"),
                            "chat_id": conv.get("chat_id")})
        except Exception:
            log.exception("relay: cannot mark lead %s as delivered to amoCRM", ref)

    async def _note(self, conv: Dict[str, Any], text: str) -> None:
        await self.limiter.acquire()
        await self.api.add_lead_note(conv["lead_id"], text)

    async def _command(self, conv: Dict[str, Any], row: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        data = row.get("data") or {}
        kind = data.get("type")
        s = self.settings
        if kind == "handover":
            summary = str(data.get("summary") or "Клиент просит связаться с менеджером.")
            await self._step(row, "chat", lambda: self.chats.import_bot_message(
                conversation_id=conv["conversation_id"], msgid=derived_msgid(row["msgid"], "summary"),
                user_id=conv["user_id"], name=conv["name"], text=summary, timestamp=row["ts"]))
            await self._step(row, "note", lambda: self._note_once(conv, summary))
            phone = _phone(data.get("phone"))
            if phone:  # on the contact too: a returning client is found by it (_existing_contact)
                await self._step(row, "phone", lambda: self._add_phone(conv, phone))
            status_id, pipeline_id = s.status_chat_with_manager_id, s.appeal_pipeline_id
            if pipeline_id and status_id:
                async def move():
                    await self.limiter.acquire()
                    await self.api.move_lead(conv["lead_id"], status_id=status_id, pipeline_id=pipeline_id)
                await self._step(row, "move", move)
            else:
                log.warning("relay: AMOCRM_APPEAL_PIPELINE_ID / AMOCRM_STATUS_CHAT_WITH_MANAGER_ID "
                            "not set: the lead of %s stays where it is", conv["sender_id"])
            self.counts["handovers"] += 1
            if data.get("lead_ref"):
                await self._lead_delivered(conv, str(data["lead_ref"]))
            return {"handed_over": True}
        if kind == "manager_on":
            if not conv.get("manager_active"):
                await self._step(row, "note", lambda: self._note(conv, NOTE_MANAGER_ON))
            return {"manager_active": True}
        if kind == "manager_off":
            if conv.get("manager_active") or data.get("force"):
                text = NOTE_CLOSED_IN_CRM if data.get("reason") == "amocrm" else NOTE_CLOSED_BY_CLIENT
                await self._step(row, "note", lambda: self._note(conv, text))
            return {"manager_active": False}
        if kind in ("calculation", "search"):
            column = "calculations" if kind == "calculation" else "searches"
            current = int(conv.get(column) or 0)
            count = data.get("count")
            new = max(current, int(count)) if isinstance(count, (int, float)) else current + 1
            return {column: new}
        log.warning("relay: unknown command %r (row %s)", kind, row["id"])
        return None

    # ------------------------------------------------------------------ engagement

    async def _engagement(self, conv: Dict[str, Any]) -> None:
        """Move the lead in the main pipeline by engagement; never while with a manager."""
        if not conv.get("lead_id") or conv.get("manager_active") or conv.get("handed_over"):
            return
        actions = int(conv.get("calculations") or 0) + int(conv.get("searches") or 0)
        desired = engagement_stage(int(conv.get("client_messages") or 0), actions)
        current = int(conv.get("stage") or 0)
        if desired <= current:
            return
        s = self.settings
        status_id = {1: s.status_high_engagement_id, 2: s.status_active_user_id}[desired]
        if status_id:
            try:
                await self.limiter.acquire()
                await self.api.move_lead(conv["lead_id"], status_id=status_id,
                                         pipeline_id=s.main_pipeline_id)
                self.counts[f"engagement:{desired}"] += 1
            except AmoUnavailable as exc:
                raise _Backoff(exc, retry_after=exc.retry_after, systemic=True)
            except AmoRejected as exc:  # a wrong status id: say so once, do not loop on it
                log.error("relay: cannot move lead %s to status %s: %s", conv["lead_id"],
                          status_id, exc)
        await self._save(conv, stage=desired)


def _digits(value: Any) -> str:
    return "".join(c for c in str(value) if c.isdigit())


def _phone(value: Any) -> Optional[str]:
    """+7XXXXXXXXXX for a Russian number (as the lead book keeps it), else None."""
    digits = _digits(value or "")
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    return f"+7{digits}" if len(digits) == 10 else None


def _field_values(contact: Dict[str, Any], *, code: Optional[str] = None,
                  field_id: Optional[int] = None) -> List[Any]:
    out: List[Any] = []
    for cf in contact.get("custom_fields_values") or []:
        if (code and cf.get("field_code") == code) or (field_id and cf.get("field_id") == field_id):
            out += [v.get("value") for v in cf.get("values") or [] if isinstance(v, dict)]
    return out


def amojo_ids(sender_id: str) -> Dict[str, str]:
    """The ids amoCRM gets for a new conversation: a server-issued web or REST id is not sent
    in full (issue #22), a hash of it stands in; other conversations keep their key."""
    from wewall.channels.identity import short

    if short(sender_id) == sender_id:
        return {}
    digest = "wewall-" + hashlib.sha256(sender_id.encode()).hexdigest()[:32]
    return {"conversation_id": digest, "user_id": digest}


def client_name(sender_id: str, client: Dict[str, Any]) -> str:
    full = " ".join(str(client[k]).strip() for k in ("first_name", "last_name") if client.get(k))
    if full:
        return full[:255]
    if client.get("name"):
        return str(client["name"])[:255]
    if client.get("username"):
        return f"@{str(client['username']).lstrip('@')}"[:255]
    from wewall.channels.identity import short  # a web session is not shown in full

    return f"Клиент {short(sender_id)}"[:255]


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "…"
