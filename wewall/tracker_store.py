"""Rasa's SQL tracker store (SQLite by default, PostgreSQL in production), made cheaper per turn.

Rasa 3.6's SQLTrackerStore does its database work on the event loop and, per turn, reads the
conversation three times: once to load it, once more in `save` to diff it for the event broker
(our amoCRM outbox is one), and a COUNT to learn which events are new. Under load that was the largest
single cost of the Rasa server (docs/benchmarks.md). This store:

- remembers, on the tracker it loaded or saved, how many of its events are already in the
  table; `save` then writes and streams exactly the events after them, with no read at all.
  A tracker it does not know (a copy, or one built elsewhere) goes the old way, so nothing is
  written twice or skipped;
- reads only the `data` column with one SQL text built at start and inserts in one statement,
  on a plain connection: no ORM query, session or objects per turn. Building Rasa's ORM query
  and its SQLAlchemy cache key took more of the server's time than the database did;
- runs every query in a worker thread, so a slow database never stalls other conversations;
- opens an SQLite file as the outbox does (`engine_for`): pooled connections, WAL (readers do
  not wait for the writer), no fsync per commit (a power cut may lose the last turns, a crash
  of the process does not).

The table, its rows and what a conversation looks like after a restart are Rasa's own, so the
store can be switched back to `type: SQL` at any time.

A session is bounded (`session_too_long`, WEWALL_SESSION_MAX_EVENTS, 500 by default, 0: off):
a turn costs Rasa time in proportion to the events of the session it loads (bench_session), so a session that long starts anew on the next message, as after
`session_expiration_time`: Rasa's `action_session_start`, slots carried over (domain/basics.yml). Not in
the middle of a form unless the session is twice that long.

The database is checked at start (SQLite: `PRAGMA quick_check`, any: a read of the table). Rasa
would meet a corrupt file with its in-memory fallback: conversations silently lose their history
and every new turn is gone at the next restart. Here the server stops instead, with a message
naming the database (`TrackerStoreCorrupt`, a SystemExit, so no `except Exception` of Rasa or
Sanic turns it into a server without a tracker store).

The database failing while the server runs (the SQLite file deleted, replaced or damaged,
PostgreSQL down) is loud too. Rasa wraps every tracker store in its FailSafeTrackerStore, which
meets such an error with an empty conversation and an in-memory copy: the client is answered as
a stranger and the turn is gone at the next restart. Here a read or a write that fails raises
`TrackerStoreUnavailable` with a CRITICAL log line naming the database, and `loud_failures`
gives the wrapper the error callback Rasa's constructor offers (`on_tracker_store_error`),
one that raises again: the turn fails, the channel answers with its apology and «Повторить»
(wewall/channels/replies.py), the HTTP API with a 500, and nothing goes to memory. Our channels
install it when the server starts (wewall/channels/guard.py).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Callable, List, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from wewall.blocking import run_blocking
from wewall.slots import migrate_events
from wewall.sql import engine_for, outbox_url

logger = logging.getLogger(__name__)

_SQLITE_HEADER = b"SQLite format 3\x00"


def max_session_events() -> int:
    from wewall.settings import get_settings

    return max(0, get_settings().session_max_events)


def session_too_long(tracker: DialogueStateTracker, limit: int) -> bool:
    """Whether the tracker's latest session should end: over `limit` events and no form in
    progress, or over twice `limit` in any case. `limit` 0: never."""
    if limit <= 0 or len(tracker.events) <= limit:
        return False
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        count += 1
    if count <= limit:
        return False
    return tracker.active_loop_name is None or count > 2 * limit


def limit_sessions(original: Callable) -> Callable:
    """`MessageProcessor._has_session_expired` that also ends a too long session (installed by
    wewall/bootstrap.py, wewall/rasa_patches.py 9)."""

    def _has_session_expired(self: Any, tracker: DialogueStateTracker) -> bool:
        if original(self, tracker):
            return True
        if session_too_long(tracker, max_session_events()):
            logger.info("session of %d events ends: a new one starts (WEWALL_SESSION_MAX_EVENTS)", len(tracker.events))
            return True
        return False

    return _has_session_expired


class TrackerStoreCorrupt(SystemExit):
    """The tracker database cannot be read: the server must not start on a memory fallback."""


class TrackerStoreUnavailable(Exception):
    """The tracker database failed while the server runs: this turn can be neither read nor stored."""


def _shown(url: Any) -> str:
    try:
        return sa.engine.make_url(str(url)).render_as_string(hide_password=True)
    except Exception:  # not a URL: show it as it is (it then holds no password either)
        return str(url)


def _reraise(error: Exception) -> None:
    raise error


def loud_failures(agent: Any) -> None:
    """Have Rasa's FailSafeTrackerStore around our store raise its errors instead of falling back
    to memory (module docstring). Cheap and idempotent: called at start and on every request, as
    a model loaded through the HTTP API comes with a new agent."""
    store = getattr(agent, "tracker_store", None)
    if (isinstance(store, FailSafeTrackerStore) and getattr(store, "_on_tracker_store_error", _reraise) is not _reraise
            and isinstance(getattr(store, "_tracker_store", None), WewallSQLTrackerStore)):
        store._on_tracker_store_error = _reraise


def _stop(url: Any, error: BaseException) -> TrackerStoreCorrupt:
    shown = _shown(url)
    message = (
        f"Хранилище диалогов {shown} не читается ({error.__class__.__name__}: {error}). Сервер "
        f"остановлен, чтобы не потерять диалоги: восстановите базу из копии (или переместите "
        f"повреждённый файл в сторону, тогда будет создана пустая) и запустите сервер снова."
    )
    logger.critical(message)
    return TrackerStoreCorrupt(message)

# (id of the tracker object, number of its events already stored). The id is part of the mark
# so that a deep copy of a tracker, which carries the attribute along, is not trusted.
_MARK = "_wewall_stored_events"


def _mark(tracker: DialogueStateTracker, stored: int) -> None:
    setattr(tracker, _MARK, (id(tracker), stored))


def stored_events(tracker: DialogueStateTracker) -> Optional[int]:
    """How many of the tracker's events this store knows to be in the table, or None."""
    mark = getattr(tracker, _MARK, None)
    if not mark or mark[0] != id(tracker) or tracker.events.maxlen is not None:
        return None  # a copy, a tracker built elsewhere, or a capped history: count in the table
    if mark[1] > len(tracker.events):
        return None
    return mark[1]


class WewallSQLTrackerStore(SQLTrackerStore):
    """`tracker_store: type: wewall.tracker_store.WewallSQLTrackerStore` with `url:` (endpoints.yml)."""

    engine: Any  # Rasa's SQLTrackerStore sets it; replaced below for SQLite

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(*args, **kwargs)
        except sa.exc.DatabaseError as exc:  # e.g. "file is not a database" from create_all
            raise _stop(kwargs.get("host") or (args[1] if len(args) > 1 else "?"), exc) from exc
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = engine_for(str(url))
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self._select_latest_session, self._select_all_sessions = self._event_queries()
        self._insert_events = self.SQLEvent.__table__.insert()
        self.check()
        self._file = self._database_file()
        self._migrate_legacy_keys()

    def _migrate_legacy_keys(self) -> None:
        """Telegram conversations from before `tg:` keys keep their history (identity.py)."""
        from wewall.channels.identity import migrate_legacy_telegram

        url = outbox_url()
        outbox = engine_for(url) if url else None
        try:
            renamed = migrate_legacy_telegram(self.engine, outbox)
        finally:
            if outbox is not None:
                outbox.dispose()
        if renamed:
            logger.info("%d Telegram conversations renamed to tg:<chat> (issue #22)", renamed)

    def check(self) -> None:
        """Raise TrackerStoreCorrupt unless the database and its events table can be read."""
        table = self.engine.dialect.identifier_preparer.format_table(self.SQLEvent.__table__)
        try:
            with self.engine.connect() as connection:
                if self.engine.dialect.name == "sqlite":
                    result = [row[0] for row in connection.exec_driver_sql("PRAGMA quick_check").fetchall()]
                    if result != ["ok"]:
                        raise sa.exc.DatabaseError("PRAGMA quick_check", None, Exception("; ".join(result[:3])))
                connection.execute(sa.text(f"SELECT max(id) FROM {table}")).fetchall()
        except sa.exc.DatabaseError as exc:
            raise _stop(self.engine.url, exc) from exc

    def _database_file(self) -> Optional[tuple[str, int]]:
        """The SQLite file and its inode, to notice it deleted or replaced under the server: the
        pooled connections would go on writing into the unlinked file, lost at the next restart."""
        path = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        path = os.path.abspath(path)
        return path, os.stat(path).st_ino

    def _check_file(self) -> None:
        if self._file is None:
            return
        path, inode = self._file
        try:
            # The header too: in WAL mode SQLite serves what it has cached and would notice a file
            # overwritten in place only when it next reads a page from it.
            with open(path, "rb") as file:
                if os.fstat(file.fileno()).st_ino != inode:
                    problem = "файл базы заменён другим"
                elif file.read(16) != _SQLITE_HEADER:
                    problem = "файл базы повреждён (заголовок не SQLite)"
                else:
                    return
        except FileNotFoundError:
            problem = "файл базы удалён"
        raise sa.exc.OperationalError(path, None, Exception(problem))

    def _unavailable(self, sender_id: Text, error: BaseException) -> TrackerStoreUnavailable:
        from wewall.channels.identity import short

        message = (
            f"Хранилище диалогов {_shown(self.engine.url)} недоступно ({error.__class__.__name__}: "
            f"{str(error)[:300]}): сообщение разговора {short(sender_id)} не обработано и не сохранено "
            f"(клиенту — извинение с «Повторить», HTTP API — 500). Пока база не доступна, бот не "
            f"отвечает: поднимите PostgreSQL или восстановите файл SQLite из копии и перезапустите сервер."
        )
        logger.critical(message)
        return TrackerStoreUnavailable(message)

    def _event_queries(self) -> tuple[sa.TextClause, sa.TextClause]:
        """Rasa's `_event_query` (the events of the latest session, or of all) as two fixed texts."""
        quote = self.engine.dialect.identifier_preparer.quote
        table = self.engine.dialect.identifier_preparer.format_table(self.SQLEvent.__table__)
        data, sender, type_name, timestamp, row_id = (
            quote(name) for name in ("data", "sender_id", "type_name", "timestamp", "id"))
        every = f"SELECT e.{data} FROM {table} e WHERE e.{sender} = :sender_id ORDER BY e.{row_id}"
        # Events from the latest SessionStarted on, or all when there is none, as Rasa selects them.
        latest = (
            f"SELECT e.{data} FROM {table} e, (SELECT max({timestamp}) session_start FROM {table} "
            f"WHERE {sender} = :sender_id AND {type_name} = :session_started) s "
            f"WHERE e.{sender} = :sender_id AND (e.{timestamp} >= s.session_start OR s.session_start IS NULL) "
            f"ORDER BY e.{row_id}"
        )
        return (sa.text(latest).bindparams(session_started=SessionStarted.type_name), sa.text(every))

    # reading

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        return await run_blocking(self._retrieve_sync, sender_id, fetch_events_from_all_sessions)

    def _retrieve_sync(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        query = self._select_all_sessions if fetch_events_from_all_sessions else self._select_latest_session
        try:
            self._check_file()
            with self.engine.connect() as connection:
                rows = connection.execute(query, {"sender_id": sender_id}).fetchall()
        except sa.exc.SQLAlchemyError as exc:
            raise self._unavailable(sender_id, exc) from exc
        if not rows or not self.domain:
            return None
        # Stored under the names of its time: renamed slots, forms and actions are read as today's.
        events = migrate_events(json.loads(data) for (data,) in rows)
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        _mark(tracker, len(rows))
        return tracker

    # writing

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the new events, then publishes them (the amoCRM outbox is the broker): a crash
        in between leaves amoCRM without a message, never with one the tracker does not have."""
        stored = stored_events(tracker)
        try:
            if stored is None:
                new_events = await run_blocking(self._unstored_events, tracker)  # diff with the table
            else:
                new_events = list(tracker.events)[stored:]
            if new_events:
                await run_blocking(self._insert, tracker.sender_id, new_events)
        except sa.exc.SQLAlchemyError as exc:
            raise self._unavailable(tracker.sender_id, exc) from exc
        if new_events and self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
        _mark(tracker, len(tracker.events))

    def _unstored_events(self, tracker: DialogueStateTracker) -> List[Event]:
        with self.session_scope() as session:
            return list(self._additional_events(session, tracker))

    def _insert(self, sender_id: Text, new_events: List[Event]) -> None:
        self._check_file()
        rows = []
        for event in new_events:
            data = event.as_dict()
            rows.append(
                {
                    "sender_id": sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": ((data.get("parse_data") or {}).get("intent") or {}).get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        with self.engine.begin() as connection:
            connection.execute(self._insert_events, rows)
        logger.debug("stored %d events of conversation %s", len(rows), sender_id)
