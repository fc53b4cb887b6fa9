"""Follow-ups: one reminder to a client who went silent in the middle of a form.

Who is due is kept in one SQL table (`followups`, in the database of WEWALL_OUTBOX_URL: a
SQLite file by default, PostgreSQL in production), so a restart of any process loses and
repeats nothing:

- the action server writes a row on every answer inside a form (`record`): the conversation,
  its form and channel, and `due_at` = now + WEWALL_FOLLOWUP_AFTER_MINUTES. A newer answer
  moves `due_at` on; only channels that can write first (Telegram, socket.io) get a row;
- the worker (`FollowUpJob`) leases due rows, reads each conversation from Rasa's HTTP API
  and, when `decide` agrees, triggers the intent EXTERNAL_follow_up; Rasa runs
  `action_follow_up` (which asks `decide` again, under the conversation's lock) and the form
  asks its question again. The row is then deleted.

"Once, never twice" is read from the conversation itself, not from the row: a follow-up
already executed since the form started means no second one, whatever the table says. So a
worker that dies after triggering and before deleting the row, or two workers, still send one.
"Never with a manager": `manager_active` set means no follow-up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from wewall.jobs import Job
from wewall.slots import MANAGER_ACTIVE
from wewall.sql import PerUrl, SqlStore, outbox_url

if TYPE_CHECKING:  # imported when the job starts
    import aiohttp

log = logging.getLogger(__name__)

FOLLOW_UP_INTENT = "EXTERNAL_follow_up"
FOLLOW_UP_ACTION = "action_follow_up"
FOLLOW_UP_RESPONSE = "utter_follow_up_"  # + the form's name
FORMS = ("calculation_form", "search_form", "book_viewing_form")
EXTERNAL_TEXT_PREFIX = "EXTERNAL: "

metadata = sa.MetaData()

followups = sa.Table(
    "followups", metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("form", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(64)),
    sa.Column("last_user_at", sa.Float, nullable=False),
    sa.Column("due_at", sa.Float, nullable=False, index=True),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_until", sa.Float),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("updated_at", sa.Float, nullable=False),
)


# ---------------------------------------------------------------- the decision


def _is_external(event: Dict[str, Any]) -> bool:
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
    return intent.startswith("EXTERNAL_") or str(event.get("text") or "").startswith(EXTERNAL_TEXT_PREFIX)


def last_client_message_at(events: Sequence[Dict[str, Any]]) -> Optional[float]:
    for event in reversed(events):
        if event.get("event") == "user" and not _is_external(event):
            return event.get("timestamp")
    return None


def followed_up_in_this_form(events: Sequence[Dict[str, Any]], form: str) -> bool:
    """A follow-up since `form` last became active. Another form, the end of the form, a
    restart or a new session start anew; the form announcing itself again does not."""
    current, reminded = None, False
    for event in events:
        kind = event.get("event")
        if kind == "active_loop":
            name = event.get("name")
            if name != current:
                current, reminded = name, False
        elif kind in ("restart", "session_started"):
            current, reminded = None, False
        # The reminder's own message, not the action's run: a run that found the client
        # had just written sends nothing and must not count.
        elif kind == "bot" and current == form and str(
                (event.get("metadata") or {}).get("utter_action") or "").startswith(FOLLOW_UP_RESPONSE):
            reminded = True
    return reminded


def decide(state: Dict[str, Any], now: float, after_seconds: float,
           channels: Iterable[str]) -> Tuple[bool, str]:
    """Whether the conversation `state` (Rasa's tracker JSON, or rasa_sdk's
    `Tracker.current_state()`) gets its follow-up now, and why not."""
    form = (state.get("active_loop") or {}).get("name")
    if form not in FORMS:
        return False, "форма не активна"
    if (state.get("slots") or {}).get(MANAGER_ACTIVE):
        return False, "с клиентом говорит менеджер"
    channel = state.get("latest_input_channel")
    if channel not in set(channels):
        return False, f"канал {channel!r} не умеет писать первым"
    events = state.get("events") or []
    last = last_client_message_at(events)
    if last is None:
        return False, "клиент ещё ничего не написал"
    if now - float(last) < after_seconds:
        return False, "клиент писал недавно"
    if followed_up_in_this_form(events, form):
        return False, "напоминание уже было"
    return True, "пора напомнить"


# ---------------------------------------------------------------- the table


@dataclass
class Due:
    sender_id: str
    form: str
    channel: Optional[str]
    last_user_at: float
    due_at: float
    attempts: int


class FollowUpStore(SqlStore):
    """Blocking access to `followups`; async callers go through `run`."""

    metadata = metadata

    def __init__(self, url: Optional[str] = None):
        super().__init__(url or outbox_url())

    def record(self, sender_id: str, form: str, channel: Optional[str], now: float,
               after_seconds: float) -> None:
        """A client answered inside `form`: the follow-up is due `after_seconds` from now."""
        values = dict(form=form, channel=channel, last_user_at=now, due_at=now + after_seconds,
                      updated_at=now)
        t = followups
        with self.engine.begin() as conn:
            if conn.execute(t.update().where(t.c.sender_id == sender_id).values(**values)).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(t.insert().values(sender_id=sender_id, attempts=0, **values))
        except IntegrityError:  # another server inserted it in between
            with self.engine.begin() as conn:
                conn.execute(t.update().where(t.c.sender_id == sender_id).values(**values))

    def claim_due(self, owner: str, now: float, lease_seconds: float, limit: int = 50) -> List[Due]:
        """Lease up to `limit` due rows. A row is leased by one worker at a time: the
        conditional UPDATE is the arbiter, on SQLite and PostgreSQL alike."""
        t = followups
        free = sa.or_(t.c.lease_until.is_(None), t.c.lease_until < now)
        with self.engine.connect() as conn:
            rows = conn.execute(t.select().where(t.c.due_at <= now).where(free)
                                .order_by(t.c.due_at).limit(limit)).fetchall()
        taken: List[Due] = []
        for r in rows:
            with self.engine.begin() as conn:
                won = conn.execute(
                    t.update().where(t.c.sender_id == r.sender_id).where(t.c.due_at == r.due_at)
                    .where(free).values(lease_owner=owner, lease_until=now + lease_seconds)
                ).rowcount
            if won:
                taken.append(Due(r.sender_id, r.form, r.channel, r.last_user_at, r.due_at, r.attempts))
        return taken

    def renew(self, sender_ids: Sequence[str], owner: str, until: float) -> int:
        """Extend the lease of the rows `owner` still holds; the number of rows extended."""
        if not sender_ids:
            return 0
        t = followups
        with self.engine.begin() as conn:
            return conn.execute(t.update().where(t.c.sender_id.in_(list(sender_ids)))
                                .where(t.c.lease_owner == owner).values(lease_until=until)).rowcount

    def done(self, due: Due, owner: str) -> bool:
        """Forget the row, unless the client wrote again meanwhile (then only the lease goes)."""
        t = followups
        with self.engine.begin() as conn:
            gone = conn.execute(t.delete().where(t.c.sender_id == due.sender_id)
                                .where(t.c.lease_owner == owner)
                                .where(t.c.due_at == due.due_at)).rowcount
            if not gone:
                conn.execute(t.update().where(t.c.sender_id == due.sender_id)
                             .where(t.c.lease_owner == owner)
                             .values(lease_owner=None, lease_until=None))
        return bool(gone)

    def retry(self, due: Due, owner: str, at: float) -> None:
        t = followups
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.sender_id == due.sender_id)
                         .where(t.c.lease_owner == owner).where(t.c.due_at == due.due_at)
                         .values(due_at=at, lease_owner=None, lease_until=None,
                                 attempts=t.c.attempts + 1, updated_at=time.time()))

    def rows(self) -> List[Dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(followups.select().order_by(followups.c.due_at))]


_stores = PerUrl(FollowUpStore, outbox_url)


def get_store(url: Optional[str] = None) -> FollowUpStore:
    return _stores.get(url)


# ---------------------------------------------------------------- configuration


@dataclass
class FollowUpConfig:
    after_seconds: float
    max_age_seconds: float
    channels: Tuple[str, ...]
    poll_seconds: float
    rasa_url: str
    rasa_token: Optional[str]
    # Short, as a working job renews it every third of it: a killed worker's conversations are
    # free again in seconds, not after a long lease (issue #22).
    lease_seconds: float = 15.0

    @property
    def enabled(self) -> bool:
        return self.after_seconds > 0

    @classmethod
    def from_settings(cls) -> FollowUpConfig:
        from wewall.settings import get_settings

        s = get_settings()
        channels = tuple(c.strip() for c in s.followup_channels.replace(" ", ",").split(",") if c.strip())
        return cls(after_seconds=max(0.0, s.followup_after_minutes) * 60,
                   max_age_seconds=max(0.0, s.followup_max_age_hours) * 3600,
                   channels=channels, poll_seconds=max(0.1, s.followup_poll_seconds),
                   rasa_url=s.rasa_url.rstrip("/"), rasa_token=s.rasa_auth_token or None,
                   lease_seconds=_lease_seconds())


def _lease_seconds() -> float:
    try:
        return max(0.3, float(os.environ.get("WEWALL_FOLLOWUP_LEASE_SECONDS", "").strip() or 15.0))
    except ValueError:
        return 15.0


async def record_activity(sender_id: Optional[str], channel: Optional[str], form: str) -> None:
    """Called by the form validators on a client's answer. Never breaks the conversation:
    a database that is down costs the follow-up, not the answer."""
    config = FollowUpConfig.from_settings()
    if not config.enabled or not sender_id or channel not in config.channels:
        return
    try:
        store = get_store()
        await store.run(store.record, sender_id, form, channel, time.time(), config.after_seconds)
    except Exception as exc:
        log.warning("напоминание для %s не записано: %s", sender_id, exc)


# ---------------------------------------------------------------- the worker's job


class RasaUnavailable(Exception):
    pass


class FollowUpJob(Job):
    """`wewall worker`'s job: due rows → tracker → trigger_intent. Rasa being down or
    answering 5xx only postpones a follow-up (backoff), it never drops one."""

    name = "follow-ups"

    def __init__(self, store: FollowUpStore, config: FollowUpConfig):
        self.store = store
        self.config = config
        self.interval = config.poll_seconds
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"
        self._session: Optional[aiohttp.ClientSession] = None

    async def start(self) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _params(self, **extra: str) -> Dict[str, str]:
        if self.config.rasa_token:
            extra["token"] = self.config.rasa_token
        return extra

    async def _call(self, method: str, path: str, **kwargs) -> Dict[str, Any]:
        import aiohttp

        url = f"{self.config.rasa_url}{path}"
        assert self._session is not None, "start() first"
        try:
            async with self._session.request(method, url, **kwargs) as resp:
                if resp.status >= 500 or resp.status in (401, 403, 409, 429):
                    raise RasaUnavailable(f"{method} {path}: HTTP {resp.status}")
                resp.raise_for_status()
                return await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnavailable(f"{method} {path}: {exc.__class__.__name__} {exc}") from exc

    async def handle(self, due: Due) -> str:
        """One due conversation → 'sent', 'skipped: …', or raises RasaUnavailable."""
        from urllib.parse import quote

        now = time.time()
        if self.config.max_age_seconds and now - due.last_user_at > self.config.max_age_seconds:
            return "skipped: слишком давно"
        path = f"/conversations/{quote(due.sender_id, safe='')}"
        state = await self._call("GET", f"{path}/tracker", params=self._params(include_events="AFTER_RESTART"))
        send, why = decide(state, now, self.config.after_seconds, self.config.channels)
        if not send:
            return f"skipped: {why}"
        await self._call("POST", f"{path}/trigger_intent",
                         params=self._params(output_channel="latest"),
                         json={"name": FOLLOW_UP_INTENT, "entities": {}})
        return "sent"

    async def run_once(self) -> bool:
        lease = self.config.lease_seconds
        due = await self.store.run(self.store.claim_due, self.owner, time.time(), lease)
        held = {item.sender_id for item in due}
        heartbeat = asyncio.ensure_future(self._renew_lease(held))
        try:
            for item in due:
                try:
                    outcome = await self.handle(item)
                except RasaUnavailable as exc:
                    delay = min(3600.0, 30.0 * 2 ** min(item.attempts, 7))
                    log.warning("напоминание %s отложено на %.0f с: %s", item.sender_id, delay, exc)
                    await self.store.run(self.store.retry, item, self.owner, time.time() + delay)
                else:
                    await self.store.run(self.store.done, item, self.owner)
                    log.info("напоминание %s (%s): %s", item.sender_id, item.form, outcome)
                held.discard(item.sender_id)
        finally:
            heartbeat.cancel()
        return bool(due)

    async def _renew_lease(self, held: set) -> None:
        """Keeps the claimed rows while Rasa answers slowly; a dead worker stops renewing, so
        its rows are free one short lease later."""
        lease = self.config.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                await self.store.run(self.store.renew, sorted(held), self.owner, time.time() + lease)
            except Exception as exc:  # the next renewal (or done/retry) tries again
                log.warning("напоминания: аренда не продлена: %s", exc)


def job_factory(ctx) -> Optional[FollowUpJob]:
    config = FollowUpConfig.from_settings()
    if not config.enabled:
        log.info("напоминания выключены (WEWALL_FOLLOWUP_AFTER_MINUTES=0)")
        return None
    return FollowUpJob(get_store(), config)


def reset_stores() -> None:
    _stores.reset()
