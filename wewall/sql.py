"""What the project's SQL stores share: the engine, table creation, one store per URL.

The outbox database (`WEWALL_OUTBOX_URL`: the amoCRM outbox, follow-ups, the digest's state,
the tracker store's outbox check) and the lead book (`WEWALL_LEADS_URL`) are SQLite files in
WEWALL_DATA_DIR by default, PostgreSQL in production.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from wewall.blocking import run_blocking

# SQLite autoincrements INTEGER primary keys only.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def url_or_file(url: Optional[str], sqlite_file: str) -> str:
    """`url` (a setting), or when unset the SQLite file `sqlite_file` in WEWALL_DATA_DIR."""
    from wewall.settings import get_settings

    return url or f"sqlite:///{get_settings().data_dir / sqlite_file}"


def outbox_url() -> str:
    """WEWALL_OUTBOX_URL, or outbox.db in WEWALL_DATA_DIR."""
    from wewall.settings import get_settings

    return url_or_file(get_settings().outbox_url, "outbox.db")


def create_all(meta: sa.MetaData, engine: Engine) -> None:
    """CREATE TABLE IF NOT EXISTS for `meta`. Two processes starting together may race on
    it: the loser retries once."""
    for attempt in (1, 2):
        try:
            meta.create_all(engine, checkfirst=True)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == 2:
                raise
            time.sleep(0.2)


def engine_for(url: str) -> Engine:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            u, future=True, connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=sa.pool.QueuePool if u.database not in (None, "", ":memory:")
            else sa.pool.StaticPool,
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            # WAL: the broker writes while the worker reads; NORMAL: no fsync per commit
            # (a power cut may lose the last commits, a process crash does not).
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return sa.create_engine(u, future=True, pool_pre_ping=True, pool_size=5, max_overflow=5)


class SqlStore:
    """Blocking access to one database's tables (`metadata`); thread-safe (an engine per store).
    Async callers go through `run` (the shared thread pool)."""

    metadata: sa.MetaData  # each store's tables

    def __init__(self, url: str, *, create: bool = True):
        self.url = url
        self.engine = engine_for(url)
        if create:
            self.create_tables()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.engine.url!r})"

    def create_tables(self) -> None:
        create_all(self.metadata, self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    async def run(self, fn: Callable, *args, **kwargs):
        """Run a blocking method off the event loop."""
        return await run_blocking(fn, *args, **kwargs)


class PerUrl:
    """One object per database URL and process (the outbox store, the lead book), built on first
    use and disposed together (tests, a changed configuration)."""

    def __init__(self, build: Callable[[str], SqlStore], default_url: Callable[[], str]):
        self._build = build
        self._default_url = default_url
        self._items: dict = {}
        self._lock = threading.Lock()

    def get(self, url: Optional[str] = None):
        url = url or self._default_url()
        with self._lock:
            item = self._items.get(url)
            if item is None:
                item = self._items[url] = self._build(url)
            return item

    def reset(self) -> None:
        with self._lock:
            for item in self._items.values():
                item.dispose()
            self._items.clear()
