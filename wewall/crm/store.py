"""The durable side of the amoCRM integration: outbox, conversation mapping, webhook inbox.

One SQLAlchemy URL (`WEWALL_OUTBOX_URL`): a SQLite file in WEWALL_DATA_DIR by default,
PostgreSQL in production. Four tables, created on first use:

- `crm_outbox`: what must reach amoCRM, in order per conversation. Written by the Rasa
  server's event broker (client messages, bot replies, commands such as a hand-over),
  drained by the relay (`wewall worker`). Rows are never deleted while pending: an outage
  only makes the queue longer. `msgid` is generated once, when the row is written, and sent
  with every retry, so amojo keeps one message however often we retry.
- `crm_conversations`: sender_id → amoCRM contact, lead and chat; the manager flag and the
  engagement counters; per-conversation backoff and the lease of the relay that works on it.
- `crm_inbox`: webhooks from amoCRM, stored before they are answered with 200 and processed
  afterwards (amoCRM sends each once and never retries).
- `crm_tokens`: rotated OAuth tokens of the REST API (amoCRM invalidates the old refresh
  token, so a new pair must survive a restart).

Everything here is blocking: async callers go through `CrmStore.run` (wewall.sql).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Dict, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from wewall.sql import ID as _ID
from wewall.sql import PerUrl, SqlStore, outbox_url

log = logging.getLogger(__name__)

# Row states of the outbox and the inbox.
PENDING = "pending"
DONE = "done"
FAILED = "failed"  # permanently refused by amoCRM after several tries: kept for an operator
SKIPPED = "skipped"  # nothing to do (unknown command, a chat nobody maps to)
PROCESSING = "processing"  # inbox only: claimed by a Rasa server

# Outbox row kinds.
CLIENT = "client"
BOT = "bot"
COMMAND = "command"

metadata = sa.MetaData()

outbox = sa.Table(
    "crm_outbox", metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("msgid", sa.String(64), nullable=False, unique=True),
    sa.Column("text", sa.Text),
    sa.Column("ts", sa.Float, nullable=False),  # the event's own time: amoCRM shows it
    sa.Column("channel", sa.String(64)),
    sa.Column("data", sa.Text),  # JSON: client metadata, buttons, command payload, progress
    sa.Column("status", sa.String(16), nullable=False, default=PENDING),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("done_at", sa.Float),
    sa.Index("ix_crm_outbox_status_sender", "status", "sender_id", "id"),
    sa.Index("ix_crm_outbox_sender", "sender_id", "id"),
)

conversations = sa.Table(
    "crm_conversations", metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("conversation_id", sa.String(255), nullable=False),  # ours, given to amojo
    sa.Column("user_id", sa.String(255), nullable=False),  # the client's id in amojo
    sa.Column("name", sa.String(255)),
    sa.Column("channel", sa.String(64)),
    sa.Column("contact_id", sa.BigInteger),
    sa.Column("lead_id", sa.BigInteger),
    sa.Column("chat_id", sa.String(64)),  # amojo's chat id
    sa.Column("linked", sa.Boolean, nullable=False, default=False),
    sa.Column("manager_active", sa.Boolean, nullable=False, default=False),
    sa.Column("handed_over", sa.Boolean, nullable=False, default=False),
    sa.Column("client_messages", sa.Integer, nullable=False, default=0),
    sa.Column("calculations", sa.Integer, nullable=False, default=0),
    sa.Column("searches", sa.Integer, nullable=False, default=0),
    sa.Column("stage", sa.Integer, nullable=False, default=0),  # engagement applied: 0, 1, 2
    sa.Column("failures", sa.Integer, nullable=False, default=0),
    sa.Column("retry_at", sa.Float),
    sa.Column("last_error", sa.Text),
    sa.Column("lease_owner", sa.String(128)),
    sa.Column("lease_until", sa.Float),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Index("ix_crm_conversations_chat", "chat_id"),
    sa.Index("ix_crm_conversations_conv", "conversation_id"),
)

inbox = sa.Table(
    "crm_inbox", metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    # amojo's message id (manager messages): a repeated webhook is stored once.
    sa.Column("external_id", sa.String(128), unique=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default=PENDING),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("retry_at", sa.Float),
    sa.Column("lease_until", sa.Float),
    sa.Column("last_error", sa.Text),
    sa.Column("result", sa.Text),
    sa.Column("received_at", sa.Float, nullable=False),
    sa.Column("done_at", sa.Float),
    sa.Index("ix_crm_inbox_status", "status", "id"),
)

tokens = sa.Table(
    "crm_tokens", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("access_token", sa.Text),
    sa.Column("refresh_token", sa.Text),
    sa.Column("expires_at", sa.Float),
    sa.Column("updated_at", sa.Float, nullable=False),
)


def _dumps(data: Any) -> Optional[str]:
    return None if data is None else json.dumps(data, ensure_ascii=False, default=str)


def _loads(text: Optional[str]) -> Any:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return {}


def _row(r) -> Dict[str, Any]:
    d = dict(r._mapping)
    if "data" in d:
        d["data"] = _loads(d["data"])
    return d


class CrmStore(SqlStore):
    """Blocking access to the four tables."""

    metadata = metadata

    def __init__(self, url: Optional[str] = None, *, create: bool = True):
        super().__init__(url or outbox_url(), create=create)

    # ================================================================ outbox

    def append(self, rows: Sequence[Dict[str, Any]]) -> None:
        """Insert outbox rows in one transaction, in the given order."""
        if not rows:
            return
        now = time.time()
        values = [{
            "sender_id": r["sender_id"], "kind": r["kind"], "msgid": r["msgid"],
            "text": r.get("text"), "ts": float(r.get("ts") or now), "channel": r.get("channel"),
            "data": _dumps(r.get("data") or {}), "status": r.get("status", PENDING),
            "attempts": 0, "created_at": now,
        } for r in rows]
        with self.engine.begin() as conn:
            conn.execute(outbox.insert(), values)

    def pending_senders(self, now: float, limit: int = 100) -> List[str]:
        """Senders with pending rows that nobody holds and that are not backing off.

        Oldest first, so a conversation that has waited longest goes first.
        """
        c = conversations
        first = sa.func.min(outbox.c.id).label("first")
        q = (
            sa.select(outbox.c.sender_id, first)
            .select_from(outbox.outerjoin(c, c.c.sender_id == outbox.c.sender_id))
            .where(outbox.c.status == PENDING)
            .where(sa.or_(c.c.retry_at.is_(None), c.c.retry_at <= now))
            .where(sa.or_(c.c.lease_until.is_(None), c.c.lease_until < now))
            .group_by(outbox.c.sender_id)
            .order_by(first)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def pending_rows(self, sender_id: str, limit: int = 50) -> List[Dict[str, Any]]:
        q = (outbox.select().where(outbox.c.sender_id == sender_id)
             .where(outbox.c.status == PENDING).order_by(outbox.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q)]

    def rows(self, sender_id: Optional[str] = None, status: Optional[str] = None) -> List[Dict[str, Any]]:
        q = outbox.select().order_by(outbox.c.id)
        if sender_id is not None:
            q = q.where(outbox.c.sender_id == sender_id)
        if status is not None:
            q = q.where(outbox.c.status == status)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q)]

    def save_progress(self, row_id: int, data: Dict[str, Any]) -> None:
        """A multi-step row's completed steps, so a retry resumes instead of repeating."""
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(outbox.c.id == row_id).values(data=_dumps(data)))

    def finish_row(self, row_id: int, sender_id: str, status: str = DONE, *,
                   error: Optional[str] = None, conversation: Optional[Dict[str, Any]] = None,
                   lease_until: Optional[float] = None) -> None:
        """Mark a row done/failed/skipped and apply the conversation's changes atomically."""
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(outbox.c.id == row_id).values(
                status=status, done_at=now, last_error=error))
            values = dict(conversation or {})
            if lease_until is not None:
                values["lease_until"] = lease_until
            if values:
                values["updated_at"] = now
                conn.execute(conversations.update()
                             .where(conversations.c.sender_id == sender_id).values(**values))

    def row_rejected(self, row_id: int, error: str) -> int:
        """Count a refusal of this row; returns the new number of attempts."""
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(outbox.c.id == row_id).values(
                attempts=outbox.c.attempts + 1, last_error=error[:2000]))
            return int(conn.execute(sa.select(outbox.c.attempts)
                                    .where(outbox.c.id == row_id)).scalar() or 0)

    def requeue_failed(self, sender_id: Optional[str] = None) -> int:
        q = outbox.update().where(outbox.c.status == FAILED)
        if sender_id:
            q = q.where(outbox.c.sender_id == sender_id)
        with self.engine.begin() as conn:
            return conn.execute(q.values(status=PENDING, attempts=0, done_at=None)).rowcount

    def delete_done(self, before: float) -> int:
        with self.engine.begin() as conn:
            n = conn.execute(outbox.delete().where(outbox.c.status.in_([DONE, SKIPPED]))
                             .where(outbox.c.done_at < before)).rowcount
            n += conn.execute(inbox.delete().where(inbox.c.status.in_([DONE, SKIPPED]))
                              .where(inbox.c.done_at < before)).rowcount
            return n

    # ================================================================ conversations

    def conversation(self, sender_id: str) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as conn:
            r = conn.execute(conversations.select()
                             .where(conversations.c.sender_id == sender_id)).first()
        return dict(r._mapping) if r else None

    def find_conversation(self, *, chat_id: Optional[str] = None,
                          conversation_id: Optional[str] = None) -> Optional[Dict[str, Any]]:
        c = conversations
        with self.engine.connect() as conn:
            for column, value in ((c.c.conversation_id, conversation_id), (c.c.chat_id, chat_id)):
                if value:
                    r = conn.execute(c.select().where(column == value).limit(1)).first()
                    if r:
                        return dict(r._mapping)
        return None

    def all_conversations(self) -> List[Dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in
                    conn.execute(conversations.select().order_by(conversations.c.created_at))]

    def claim(self, sender_id: str, owner: str, now: float, lease_seconds: float,
              defaults: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """Take the conversation for `lease_seconds` (creating its row on first contact).

        None when another relay holds it or it is backing off. Several workers (or a
        worker and an in-process relay) can run: each conversation has one holder.
        """
        c = conversations
        try:
            with self.engine.begin() as conn:
                conn.execute(c.insert().values(
                    sender_id=sender_id, conversation_id=defaults.get("conversation_id", sender_id),
                    user_id=defaults.get("user_id", sender_id), name=defaults.get("name"),
                    channel=defaults.get("channel"), linked=False, manager_active=False,
                    handed_over=False, client_messages=0, calculations=0, searches=0, stage=0,
                    failures=0, created_at=now, updated_at=now))
        except IntegrityError:
            pass  # it exists: the usual case
        with self.engine.begin() as conn:
            claimed = conn.execute(
                c.update().where(c.c.sender_id == sender_id)
                .where(sa.or_(c.c.lease_until.is_(None), c.c.lease_until < now,
                              c.c.lease_owner == owner))
                .where(sa.or_(c.c.retry_at.is_(None), c.c.retry_at <= now))
                .values(lease_owner=owner, lease_until=now + lease_seconds)
            ).rowcount
            if not claimed:
                return None
            r = conn.execute(c.select().where(c.c.sender_id == sender_id)).first()
        return dict(r._mapping)

    def update_conversation(self, sender_id: str, **values: Any) -> None:
        values["updated_at"] = time.time()
        with self.engine.begin() as conn:
            conn.execute(conversations.update()
                         .where(conversations.c.sender_id == sender_id).values(**values))

    def release(self, sender_id: str, owner: str, **values: Any) -> None:
        values.update(lease_owner=None, lease_until=None, updated_at=time.time())
        with self.engine.begin() as conn:
            conn.execute(conversations.update().where(conversations.c.sender_id == sender_id)
                         .where(conversations.c.lease_owner == owner).values(**values))

    # ================================================================ inbox

    def inbox_add(self, kind: str, body: str, external_id: Optional[str] = None) -> Optional[int]:
        """The row id, or None when this external_id was stored before (a repeated webhook)."""
        try:
            with self.engine.begin() as conn:
                result = conn.execute(inbox.insert().values(
                    kind=kind, external_id=external_id, body=body, status=PENDING, attempts=0,
                    received_at=time.time()))
                return int(result.inserted_primary_key[0])
        except IntegrityError:
            return None

    def inbox_claim(self, now: float, lease_seconds: float = 60.0,
                    limit: int = 20) -> List[Dict[str, Any]]:
        """Pending (or abandoned) webhooks, oldest first, each claimed for this process."""
        i = inbox
        ready = sa.or_(
            sa.and_(i.c.status == PENDING, sa.or_(i.c.retry_at.is_(None), i.c.retry_at <= now)),
            sa.and_(i.c.status == PROCESSING, i.c.lease_until < now),  # its process died
        )
        with self.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(
                sa.select(i.c.id).where(ready).order_by(i.c.id).limit(limit))]
        claimed = []
        for row_id in ids:
            with self.engine.begin() as conn:
                n = conn.execute(i.update().where(i.c.id == row_id).where(ready).values(
                    status=PROCESSING, lease_until=now + lease_seconds)).rowcount
                if n:
                    claimed.append(dict(conn.execute(i.select().where(i.c.id == row_id))
                                        .first()._mapping))
        return claimed

    def inbox_finish(self, row_id: int, status: str = DONE, result: Optional[str] = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(inbox.update().where(inbox.c.id == row_id).values(
                status=status, result=result, done_at=time.time(), lease_until=None))

    def inbox_retry(self, row_id: int, error: str, retry_at: float,
                    max_attempts: int = 10) -> str:
        with self.engine.begin() as conn:
            attempts = int(conn.execute(sa.select(inbox.c.attempts)
                                        .where(inbox.c.id == row_id)).scalar() or 0) + 1
            status = FAILED if attempts >= max_attempts else PENDING
            conn.execute(inbox.update().where(inbox.c.id == row_id).values(
                status=status, attempts=attempts, last_error=error[:2000], retry_at=retry_at,
                lease_until=None, done_at=time.time() if status == FAILED else None))
        return status

    def inbox_rows(self) -> List[Dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(inbox.select().order_by(inbox.c.id))]

    # ================================================================ tokens

    def load_tokens(self, name: str = "amocrm") -> Optional[Dict[str, Any]]:
        with self.engine.connect() as conn:
            r = conn.execute(tokens.select().where(tokens.c.name == name)).first()
        return dict(r._mapping) if r else None

    def save_tokens(self, access_token: str, refresh_token: Optional[str],
                    expires_at: Optional[float], name: str = "amocrm") -> None:
        values = dict(access_token=access_token, refresh_token=refresh_token,
                      expires_at=expires_at, updated_at=time.time())
        with self.engine.begin() as conn:
            n = conn.execute(tokens.update().where(tokens.c.name == name).values(**values)).rowcount
            if not n:
                conn.execute(tokens.insert().values(name=name, **values))

    # ================================================================ numbers

    def stats(self) -> Dict[str, Any]:
        with self.engine.connect() as conn:
            by_status = dict(conn.execute(
                sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)).all())
            inbox_status = dict(conn.execute(
                sa.select(inbox.c.status, sa.func.count()).group_by(inbox.c.status)).all())
            convs = conn.execute(sa.select(sa.func.count()).select_from(conversations)).scalar()
            backing_off = conn.execute(
                sa.select(sa.func.count()).select_from(conversations)
                .where(conversations.c.retry_at > time.time())).scalar()
            oldest = conn.execute(sa.select(sa.func.min(outbox.c.created_at))
                                  .where(outbox.c.status == PENDING)).scalar()
        return {"outbox": by_status, "inbox": inbox_status, "conversations": convs,
                "backing_off": backing_off,
                "oldest_pending_age": (time.time() - oldest) if oldest else None}


class SqlTokenStore:
    """wewall.crm.tokens.TokenStore over `crm_tokens`: rotated OAuth tokens survive restarts."""

    def __init__(self, store: CrmStore, name: str = "amocrm"):
        self.store = store
        self.name = name

    async def load(self):
        from wewall.crm.tokens import OAuthTokens

        row = await self.store.run(self.store.load_tokens, self.name)
        if not row or not (row.get("access_token") or row.get("refresh_token")):
            return None
        return OAuthTokens(row.get("access_token") or "", row.get("refresh_token"),
                           row.get("expires_at"))

    async def save(self, tokens) -> None:
        await self.store.run(self.store.save_tokens, tokens.access_token, tokens.refresh_token,
                             tokens.expires_at, self.name)


_stores = PerUrl(CrmStore, outbox_url)


def get_store(url: Optional[str] = None) -> CrmStore:
    """One store per URL and process."""
    return _stores.get(url)


def reset_stores() -> None:
    _stores.reset()

