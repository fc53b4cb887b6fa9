"""The lead book: every request for a manager, kept before the client is answered.

One SQLAlchemy URL (`WEWALL_LEADS_URL`): a SQLite file in WEWALL_DATA_DIR by default,
PostgreSQL in production (the outbox's rules, wewall/crm/store.py). Two tables:

- `leads`: who (name, phone as +7XXXXXXXXXX, Telegram @username and id), what they want
  (kind and the summary a manager reads), when, where from (channel, /start payload), and
  what the managers did with it (status, by whom, when, a note, the history of marks);
- `lead_deliveries`: one row per lead and destination (amoCRM, the managers' Telegram
  chat, e-mail) with its state. Telegram and e-mail are sent by `wewall worker`
  (wewall/leads/job.py) with retries; amoCRM's row is marked by the relay when the
  hand-over it carries is in amoCRM (with amoCRM's contact and lead ids).

A lead with no destination configured is still kept: `wewall leads list` shows it.
Everything here is blocking: async callers use `LeadBook.run` (wewall.sql).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
import uuid
from typing import Any, Dict, Iterable, List, Optional, Sequence, TextIO

import sqlalchemy as sa

from wewall.settings import get_settings
from wewall.sql import ID as _ID
from wewall.sql import PerUrl, SqlStore, url_or_file

# Lead kinds (what the client asked for) and how a manager reads them.
KINDS = {
    "viewing": "Просмотр объекта",
    "callback": "Обратный звонок",
    "request": "Связаться с менеджером",
    "vat": "Расчёт с НДС 20 %",
    "fallback": "Бот не смог помочь",
}
# Lead states: new until a manager marks it.
NEW = "new"
TAKEN = "taken"  # «Взял»: a manager is on it
NO_ANSWER = "no_answer"  # «Не дозвонился»: still open, try again
HANDLED = "handled"  # done (`wewall leads handled`)
STATUSES = {NEW: "новая", TAKEN: "взята", NO_ANSWER: "не дозвонились", HANDLED: "обработана"}
OPEN_STATUSES = (NEW, TAKEN, NO_ANSWER)

# Destinations and their delivery states.
AMOCRM = "amocrm"
TELEGRAM = "telegram"
EMAIL = "email"
DESTINATIONS = (AMOCRM, TELEGRAM, EMAIL)
PENDING = "pending"
DONE = "done"
FAILED = "failed"

MSK = dt.timezone(dt.timedelta(hours=3))

metadata = sa.MetaData()

leads = sa.Table(
    "leads", metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    # Our request id: the hand-over command and amoCRM's mapping carry it.
    sa.Column("ref", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(64)),
    sa.Column("lead_source", sa.String(128)),  # Telegram /start payload
    sa.Column("name", sa.String(255)),
    sa.Column("phone", sa.String(32)),  # +7XXXXXXXXXX when it could be read, else as typed
    sa.Column("telegram_username", sa.String(64)),
    sa.Column("telegram_user_id", sa.BigInteger),
    sa.Column("viewing_time", sa.String(255)),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default=NEW),
    sa.Column("handled_by", sa.String(255)),
    sa.Column("handled_at", sa.Float),
    sa.Column("note", sa.Text),
    sa.Column("history", sa.Text),  # JSON list of {status, by, at, note}
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Index("ix_leads_status_created", "status", "created_at"),
    sa.Index("ix_leads_phone", "phone"),
    sa.Index("ix_leads_sender", "sender_id"),
)

deliveries = sa.Table(
    "lead_deliveries", metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("lead_id", _ID, sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
    sa.Column("destination", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default=PENDING),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("retry_at", sa.Float),
    sa.Column("lease_until", sa.Float),
    sa.Column("last_error", sa.Text),
    sa.Column("external", sa.Text),  # JSON: Telegram message id, amoCRM contact/lead ids
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("done_at", sa.Float),
    sa.UniqueConstraint("lead_id", "destination", name="uq_lead_deliveries_lead_dest"),
    sa.Index("ix_lead_deliveries_status", "status", "destination", "retry_at"),
)


def leads_url() -> str:
    """WEWALL_LEADS_URL, or leads.db in WEWALL_DATA_DIR."""
    return url_or_file(get_settings().leads_url, "leads.db")


def new_ref() -> str:
    return uuid.uuid4().hex


def _loads(text: Optional[str], default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _lead(r) -> Dict[str, Any]:
    d = dict(r._mapping)
    d["history"] = _loads(d.get("history"), [])
    return d


def _delivery(r) -> Dict[str, Any]:
    d = dict(r._mapping)
    d["external"] = _loads(d.get("external"), {})
    return d


class LeadBook(SqlStore):
    """Blocking access to the two tables."""

    metadata = metadata

    def __init__(self, url: Optional[str] = None, *, create: bool = True):
        super().__init__(url or leads_url(), create=create)

    # ================================================================ writing a lead

    def add(self, lead: Dict[str, Any], destinations: Iterable[str] = (), *,
            now: Optional[float] = None, repeat_window: float = 0.0) -> Dict[str, Any]:
        """Keep a lead and its deliveries in one transaction; the stored row.

        A repeated `ref` (an action retried) returns the lead kept the first time. With
        `repeat_window`, the same request of the same conversation (kind, contacts and summary
        but its time line) still new after that many seconds is returned instead of a second
        lead (`repeated` is then True): pressing «Связаться с менеджером» three times is one
        lead and one message to the managers.
        """
        now = time.time() if now is None else now
        ref = lead.get("ref") or new_ref()
        values = {k: lead.get(k) for k in ("kind", "sender_id", "channel", "lead_source", "name",
                                           "phone", "telegram_username", "telegram_user_id",
                                           "viewing_time", "summary")}
        if values["kind"] not in KINDS:
            raise ValueError(f"unknown lead kind {values['kind']!r}; known: {', '.join(KINDS)}")
        if not values.get("sender_id"):
            raise ValueError("a lead needs the conversation's sender_id")
        values["summary"] = values.get("summary") or KINDS[values["kind"]]
        existing = self.get_by_ref(ref)
        if existing is not None:
            return existing
        if repeat_window > 0:
            same = self._same_request(values, now - repeat_window)
            if same is not None:
                return {**same, "repeated": True}
        with self.engine.begin() as conn:
            lead_id = int(conn.execute(leads.insert().values(
                ref=ref, status=NEW, history="[]", created_at=now, updated_at=now, **values
            )).inserted_primary_key[0])
            for dest in dict.fromkeys(destinations):
                if dest not in DESTINATIONS:
                    raise ValueError(f"unknown destination {dest!r}")
                conn.execute(deliveries.insert().values(
                    lead_id=lead_id, destination=dest, status=PENDING, attempts=0,
                    created_at=now))
        stored = self.get(lead_id)
        assert stored is not None  # inserted above
        return stored

    def _same_request(self, values: Dict[str, Any], since: float) -> Optional[Dict[str, Any]]:
        q = (sa.select(leads.c.id, leads.c.summary).where(leads.c.sender_id == values["sender_id"])
             .where(leads.c.kind == values["kind"]).where(leads.c.status == NEW)
             .where(leads.c.created_at >= since).order_by(leads.c.id.desc()))
        for column in ("phone", "viewing_time", "name"):
            value = values.get(column)
            q = q.where(leads.c[column].is_(None) if value is None else leads.c[column] == value)
        with self.engine.connect() as conn:
            for lead_id, summary in conn.execute(q):
                if _timeless(summary) == _timeless(values["summary"]):
                    return self.get(lead_id)
        return None

    # ================================================================ reading

    def get(self, lead_id: int) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as conn:
            r = conn.execute(leads.select().where(leads.c.id == int(lead_id))).first()
            if r is None:
                return None
            lead = _lead(r)
            lead["deliveries"] = [_delivery(d) for d in conn.execute(
                deliveries.select().where(deliveries.c.lead_id == lead["id"])
                .order_by(deliveries.c.id))]
        return lead

    def get_by_ref(self, ref: str) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as conn:
            lead_id = conn.execute(sa.select(leads.c.id).where(leads.c.ref == ref)).scalar()
        return self.get(lead_id) if lead_id is not None else None

    def list(self, *, status: Optional[Sequence[str]] = None, since: Optional[float] = None,
             phone: Optional[str] = None, limit: Optional[int] = None,
             newest_first: bool = True) -> List[Dict[str, Any]]:
        q = leads.select()
        if status:
            q = q.where(leads.c.status.in_(list(status)))
        if since is not None:
            q = q.where(leads.c.created_at >= since)
        if phone:
            q = q.where(leads.c.phone == phone)
        order = leads.c.id.desc() if newest_first else leads.c.id.asc()
        q = q.order_by(order)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = [_lead(r) for r in conn.execute(q)]
            if rows:
                ids = [r["id"] for r in rows]
                by_lead: Dict[int, List[Dict[str, Any]]] = {}
                for d in conn.execute(deliveries.select().where(deliveries.c.lead_id.in_(ids))
                                      .order_by(deliveries.c.id)):
                    by_lead.setdefault(d.lead_id, []).append(_delivery(d))
                for r in rows:
                    r["deliveries"] = by_lead.get(r["id"], [])
        return rows

    # ================================================================ managers' marks

    def mark(self, lead_id: int, status: str, *, by: Optional[str] = None,
             note: Optional[str] = None, now: Optional[float] = None) -> Optional[Dict[str, Any]]:
        """A manager's mark («Взял», «Не дозвонился», handled); None for an unknown lead."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; known: {', '.join(STATUSES)}")
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            r = conn.execute(leads.select().where(leads.c.id == int(lead_id))
                             .with_for_update()).first()
            if r is None:
                return None
            history = _loads(r.history, [])
            history.append({"status": status, "by": by, "at": now, "note": note})
            values: Dict[str, Any] = dict(status=status, handled_by=by or r.handled_by,
                                          handled_at=now, history=json.dumps(history, ensure_ascii=False),
                                          updated_at=now)
            if note:
                values["note"] = note
            conn.execute(leads.update().where(leads.c.id == r.id).values(**values))
        return self.get(lead_id)

    # ================================================================ deliveries

    def claim_deliveries(self, destinations: Sequence[str], *, now: Optional[float] = None,
                         lease_seconds: float = 120.0, limit: int = 20) -> List[Dict[str, Any]]:
        """Pending deliveries that are due, oldest first, each leased to the caller."""
        now = time.time() if now is None else now
        d = deliveries
        due = sa.and_(d.c.status == PENDING, d.c.destination.in_(list(destinations)),
                      sa.or_(d.c.retry_at.is_(None), d.c.retry_at <= now),
                      sa.or_(d.c.lease_until.is_(None), d.c.lease_until < now))
        with self.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(sa.select(d.c.id).where(due).order_by(d.c.id).limit(limit))]
        claimed = []
        for delivery_id in ids:
            with self.engine.begin() as conn:
                n = conn.execute(d.update().where(d.c.id == delivery_id).where(due)
                                 .values(lease_until=now + lease_seconds)).rowcount
                if n:
                    claimed.append(_delivery(conn.execute(d.select().where(d.c.id == delivery_id)).first()))
        return claimed

    def delivered(self, delivery_id: int, external: Optional[Dict[str, Any]] = None, *,
                  now: Optional[float] = None) -> None:
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            conn.execute(deliveries.update().where(deliveries.c.id == delivery_id).values(
                status=DONE, done_at=now, lease_until=None, last_error=None,
                external=json.dumps(external or {}, ensure_ascii=False)))

    def delivery_failed(self, delivery_id: int, error: str, retry_at: float, *,
                        give_up: bool = False) -> int:
        """Count a failed attempt; the delivery is tried again at `retry_at` (or set aside)."""
        with self.engine.begin() as conn:
            attempts = int(conn.execute(sa.select(deliveries.c.attempts)
                                        .where(deliveries.c.id == delivery_id)).scalar() or 0) + 1
            conn.execute(deliveries.update().where(deliveries.c.id == delivery_id).values(
                attempts=attempts, last_error=error[:2000], retry_at=retry_at, lease_until=None,
                status=FAILED if give_up else PENDING))
        return attempts

    def mark_delivered_by_ref(self, ref: str, destination: str,
                              external: Optional[Dict[str, Any]] = None) -> bool:
        """Mark a lead's delivery to `destination` done (the amoCRM relay's report)."""
        now = time.time()
        with self.engine.begin() as conn:
            lead_id = conn.execute(sa.select(leads.c.id).where(leads.c.ref == ref)).scalar()
            if lead_id is None:
                return False
            n = conn.execute(deliveries.update().where(deliveries.c.lead_id == lead_id)
                             .where(deliveries.c.destination == destination).values(
                status=DONE, done_at=now, lease_until=None, last_error=None,
                external=json.dumps(external or {}, ensure_ascii=False))).rowcount
            if not n:
                conn.execute(deliveries.insert().values(
                    lead_id=lead_id, destination=destination, status=DONE, attempts=0,
                    created_at=now, done_at=now,
                    external=json.dumps(external or {}, ensure_ascii=False)))
        return True

    def requeue_failed(self) -> int:
        with self.engine.begin() as conn:
            return conn.execute(deliveries.update().where(deliveries.c.status == FAILED)
                                .values(status=PENDING, retry_at=None, attempts=0)).rowcount

    # ================================================================ export

    def export_csv(self, out: TextIO, **filters: Any) -> int:
        """Leads as CSV (Excel opens it: UTF-8 with a BOM is the caller's choice); the count."""
        rows = self.list(newest_first=False, **filters)
        writer = csv.writer(out)
        writer.writerow(["id", "создана (МСК)", "вид", "статус", "имя", "телефон", "telegram",
                         "удобное время", "канал", "источник", "кто отметил", "заметка",
                         "доставка", "сводка"])
        for r in rows:
            writer.writerow([
                r["id"], format_time(r["created_at"]), KINDS.get(r["kind"], r["kind"]),
                STATUSES.get(r["status"], r["status"]), r.get("name") or "", r.get("phone") or "",
                f"@{r['telegram_username']}" if r.get("telegram_username") else "",
                r.get("viewing_time") or "", r.get("channel") or "", r.get("lead_source") or "",
                r.get("handled_by") or "", r.get("note") or "",
                "; ".join(f"{d['destination']}: {d['status']}" for d in r["deliveries"]),
                r["summary"],
            ])
        return len(rows)


def _timeless(summary: Optional[str]) -> str:
    """A summary without its «Время: …» line (wewall/crm/summary.py adds the minute)."""
    return "\n".join(line for line in (summary or "").splitlines() if not line.startswith("Время: "))


def format_time(ts: Optional[float]) -> str:
    if not ts:
        return ""
    return dt.datetime.fromtimestamp(ts, MSK).strftime("%d.%m.%Y %H:%M")


_books = PerUrl(LeadBook, leads_url)


def get_book(url: Optional[str] = None) -> LeadBook:
    """One book per URL and process."""
    return _books.get(url)


def reset_books() -> None:
    _books.reset()
