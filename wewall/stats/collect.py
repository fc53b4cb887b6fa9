"""The figures of a period, folded from Rasa's `events` table one conversation at a time.

The table is read with one query ordered by conversation (`sender_id`, then `id`), streamed
(a server-side cursor on PostgreSQL), so memory holds one conversation's state plus the
aggregates, never the events. JSON is parsed only where a figure needs it: actions are read
from the `action_name` column, bot messages only when they carry an FAQ topic, client
messages only for the channel, the source and the texts the bot did not understand.

What counts (all from Rasa's own events, nothing hard-coded about the forms):
- a client: a conversation (sender) with at least one message of the client in the period
  (reminders sent by the worker, `EXTERNAL_…` intents, are not the client's). New: no event of
  that conversation before the period; the others are returning;
- a form (any loop seen in `active_loop` events: the calculation, the search, the viewing
  request's contacts, and any form added later): started when it becomes active; finished when
  it is deactivated by its own run (all its questions answered); otherwise dropped at its last
  `requested_slot` — by a cancel or another action (`cancelled`), by another form taking over
  (`switched`), or by the client going silent (`silent`: the period's events, a new session
  or a restart end it). Questions are ordered by where they are first asked;
- FAQ: conversations where the client asked (intents `show_faq`, `faq`) and those answered
  (`action_faq`, `utter_faq`), answers, and topics (`utter_faq/<topic>` of the bot's message);
- the manager: requests (`action_handover` runs), hand-overs (the `handover` command for
  amoCRM), and the time from a hand-over to the manager's first message in the conversation
  (`action_relay_manager_message`, run when a manager writes in amoCRM);
- not understood: client messages classified `nlu_fallback` or `out_of_scope`, or answered
  with `utter_default` / `utter_out_of_scope` / `action_default_fallback`. Phones and secrets
  are masked (wewall.logs.mask), names the conversation revealed (Telegram profile, the
  `person_name` slot and entities) become «<имя>», long numbers «N»; texts are grouped by
  their words' dictionary forms, whatever the order, case and punctuation.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import sqlalchemy as sa

from wewall.logs import mask
from wewall.slots import RENAMED_ACTIONS, migrate_event

# Moscow has kept UTC+3 all year since 2014: days are counted in the managers' time.
DEFAULT_UTC_OFFSET_HOURS = 3.0

FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
FALLBACK_ACTIONS = frozenset({"utter_default", "utter_out_of_scope", "action_default_fallback"})
FAQ_INTENTS = frozenset({"show_faq", "faq"})
FAQ_ACTION = "utter_faq"  # Rasa's retrieval action, and the prefix of the topics' responses
FAQ_ACTIONS = frozenset({FAQ_ACTION, "action_faq"})  # action_faq: the answer (market prices included)
HANDOVER_ACTION = "action_handover"
MANAGER_REPLY_ACTION = "action_relay_manager_message"
SESSION_START_ACTION = "action_session_start"
LISTEN_ACTION = "action_listen"
REQUESTED_SLOT = "requested_slot"
SOURCE_SLOT = "lead_source"
NAME_SLOT = "person_name"
CRM_EVENT_SLOT = "crm_event"
NAME_ENTITIES = frozenset({"person_name"})
EXTERNAL_PREFIX = "EXTERNAL_"
NO_SOURCE = "—"
NO_QUESTION = "—"  # dropped before the form asked anything

FORM_TITLES = {
    "calculation_form": "Расчёт доходности",
    "search_form": "Подбор объектов",
    "book_viewing_form": "Запись на просмотр",
}
# Event types the figures use; the others (featurization, rejections, …) are not read at all.
EVENT_TYPES = ("user", "bot", "action", "slot", "active_loop", "session_started", "restart")

MAX_TEXT_GROUPS = 50_000  # distinct not-understood texts kept; singletons go first beyond it
MAX_VARIANTS = 8  # spellings remembered per group (the most frequent is shown)
LOOKUP_BATCH = 500  # conversations asked at once whether they existed before the period


def utc_offset() -> float:
    from wewall.settings import get_settings

    return get_settings().stats_utc_offset_hours


def local_tz(offset_hours: Optional[float] = None) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=utc_offset() if offset_hours is None else offset_hours))


# ---------------------------------------------------------------- texts


_WORD = re.compile(r"[a-zа-я0-9<>*+]+")
_LONG_NUMBER = re.compile(r"\d{5,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}")
_SPACES = re.compile(r"\s+")


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """The client's text with phones, secrets, e-mails, @usernames, known names and long
    numbers hidden."""
    text = mask(_EMAIL.sub("<email>", text or ""))  # e-mails first: the log mask keeps their first letter
    text = _MENTION.sub("<имя>", text)
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        text = re.sub(r"(?i)(?<!\w)" + re.escape(name) + r"(?!\w)", "<имя>", text)
    text = _LONG_NUMBER.sub("N", text)
    return _SPACES.sub(" ", text).strip()


@functools.lru_cache(maxsize=1)
def _morph():
    try:
        import pymorphy2

        return pymorphy2.MorphAnalyzer()
    except Exception:  # no dictionaries: a crude stem is still a grouping
        return None


@functools.lru_cache(maxsize=50_000)
def _lemma(word: str) -> str:
    morph = _morph()
    if morph is None or not word.isalpha():
        return word[:6]
    return morph.parse(word)[0].normal_form.replace("ё", "е")


def group_key(masked: str) -> str:
    """Similar texts share a key: the words' dictionary forms (pymorphy2), in sorted order,
    whatever the case, the punctuation and ё."""
    words = _WORD.findall(masked.lower().replace("ё", "е"))
    return " ".join(sorted({_lemma(w) for w in words}))


def display_text(masked: str) -> str:
    return masked.lower().replace("ё", "е").strip(" .,!?;:")


# ---------------------------------------------------------------- the report


@dataclass
class Question:
    reached: int = 0
    dropped: int = 0
    cancelled: int = 0
    position_sum: int = 0  # of the first ask within each run: orders questions generically


@dataclass
class FormStats:
    started: int = 0
    finished: int = 0
    cancelled: int = 0
    switched: int = 0
    silent: int = 0
    questions: Dict[str, Question] = field(default_factory=dict)

    def question(self, name: str) -> Question:
        q = self.questions.get(name)
        if q is None:
            q = self.questions[name] = Question()
        return q


@dataclass
class Day:
    clients: int = 0
    new: int = 0
    messages: int = 0
    handovers: int = 0
    finished_forms: int = 0


@dataclass
class Report:
    since: float
    until: float
    offset_hours: float
    clients: int = 0
    new_clients: int = 0
    returning_clients: int = 0
    sessions: int = 0
    client_messages: int = 0
    forms: Dict[str, FormStats] = field(default_factory=dict)
    faq_asked: int = 0  # conversations
    faq_answered: int = 0  # conversations
    faq_answers: int = 0
    faq_topics: Counter = field(default_factory=Counter)
    manager_requests: int = 0
    handovers: int = 0
    handovers_answered: int = 0
    reply_seconds: List[float] = field(default_factory=list)
    sources: Dict[Tuple[str, str], List[int]] = field(default_factory=dict)  # → [clients, new, handovers]
    not_understood: int = 0
    texts: Dict[str, List[Any]] = field(default_factory=dict)  # key → [count, Counter of spellings]
    days: Dict[int, Day] = field(default_factory=dict)  # local day number → figures

    def form(self, name: str) -> FormStats:
        f = self.forms.get(name)
        if f is None:
            f = self.forms[name] = FormStats()
        return f

    def day(self, number: int) -> Day:
        d = self.days.get(number)
        if d is None:
            d = self.days[number] = Day()
        return d

    def add_text(self, masked: str) -> None:
        if not masked:
            return
        self.not_understood += 1
        key = group_key(masked) or masked.lower()
        entry = self.texts.get(key)
        if entry is None:
            if len(self.texts) >= MAX_TEXT_GROUPS:
                self.texts = {k: v for k, v in self.texts.items() if v[0] > 1}
            entry = self.texts[key] = [0, Counter()]
        entry[0] += 1
        spelling = display_text(masked)
        if spelling in entry[1] or len(entry[1]) < MAX_VARIANTS:
            entry[1][spelling] += 1

    # ------------------------------------------------------------ views

    def date_of(self, number: int) -> dt.date:
        return dt.date(1970, 1, 1) + dt.timedelta(days=number)

    def top_texts(self, limit: int = 30) -> List[Tuple[str, int]]:
        ranked = sorted(self.texts.values(), key=lambda e: (-e[0], e[1].most_common(1)[0][0]))
        return [(e[1].most_common(1)[0][0], e[0]) for e in ranked[:limit]]

    def ordered_questions(self, form: str) -> List[Tuple[str, Question]]:
        qs = self.forms[form].questions
        return sorted(qs.items(), key=lambda kv: (kv[0] != NO_QUESTION,
                                                  kv[1].position_sum / max(1, kv[1].reached), kv[0]))

    def reply_summary(self) -> Dict[str, Optional[float]]:
        r = self.reply_seconds
        return {
            "answered": len(r),
            "median_seconds": round(statistics.median(r), 1) if r else None,
            "mean_seconds": round(sum(r) / len(r), 1) if r else None,
            "max_seconds": round(max(r), 1) if r else None,
        }

    def as_dict(self, top: int = 30) -> Dict[str, Any]:
        tz = local_tz(self.offset_hours)
        forms = []
        for name in sorted(self.forms, key=lambda n: (n not in FORM_TITLES, list(FORM_TITLES).index(n) if n in FORM_TITLES else 0, n)):
            f = self.forms[name]
            forms.append({
                "form": name, "title": FORM_TITLES.get(name, name), "started": f.started,
                "finished": f.finished, "cancelled": f.cancelled, "switched": f.switched,
                "silent": f.silent,
                "questions": [{"slot": q, "reached": s.reached, "dropped": s.dropped,
                               "cancelled": s.cancelled} for q, s in self.ordered_questions(name)],
            })
        return {
            "period": {"since": dt.datetime.fromtimestamp(self.since, tz).isoformat(),
                       "until": dt.datetime.fromtimestamp(self.until, tz).isoformat()},
            "clients": {"total": self.clients, "new": self.new_clients, "returning": self.returning_clients,
                        "sessions": self.sessions, "messages": self.client_messages},
            "days": [{"date": self.date_of(n).isoformat(), "clients": d.clients, "new": d.new,
                      "messages": d.messages, "handovers": d.handovers, "finished_forms": d.finished_forms}
                     for n, d in sorted(self.days.items())],
            "forms": forms,
            "faq": {"asked": self.faq_asked, "answered": self.faq_answered, "answers": self.faq_answers,
                    "topics": dict(self.faq_topics.most_common())},
            "manager": {"requests": self.manager_requests, "handovers": self.handovers,
                        **self.reply_summary()},
            "sources": [{"source": s, "channel": c, "clients": v[0], "new": v[1], "handovers": v[2]}
                        for (s, c), v in sorted(self.sources.items(), key=lambda kv: (-kv[1][0], kv[0]))],
            "not_understood": {"total": self.not_understood,
                               "groups": [{"text": t, "count": n} for t, n in self.top_texts(top)]},
        }


# ---------------------------------------------------------------- one conversation


class _Conversation:
    """The state of the conversation being read; folded into the report when it ends."""

    __slots__ = (
        "channel",
        "days",
        "fallbacks",
        "faq_answered",
        "faq_asked",
        "first_day",
        "form",
        "form_questions",
        "handovers",
        "in_session_start",
        "last_action",
        "last_user",
        "last_user_counted",
        "messages",
        "names",
        "pending_handovers",
        "question",
        "sender",
        "source",
    )

    def __init__(self, sender: str):
        self.sender = sender
        self.messages = 0
        self.channel: Optional[str] = None
        self.source: Optional[str] = None
        self.names: Set[str] = set()
        self.fallbacks: List[str] = []
        self.days: Set[int] = set()
        self.first_day: Optional[int] = None
        self.form: Optional[str] = None
        self.form_questions: List[str] = []
        self.question: Optional[str] = None
        self.last_action: Optional[str] = None
        self.in_session_start = False
        self.last_user: Optional[str] = None  # raw JSON of the client's last message
        self.last_user_counted = False
        self.faq_asked = False
        self.faq_answered = False
        self.pending_handovers: List[float] = []
        self.handovers = 0


class Collector:
    """Feed rows (sender_id, type_name, timestamp, intent_name, action_name, data) ordered by
    conversation; `finish()` returns the report. `existed_before(senders)` answers which of
    the conversations have events before the period (None: all are taken as new)."""

    def __init__(self, since: float, until: float, offset_hours: Optional[float] = None,
                 existed_before: Optional[Callable[[Sequence[str]], Set[str]]] = None):
        self.report = Report(since=since, until=until,
                             offset_hours=utc_offset() if offset_hours is None else offset_hours)
        self._offset_s = self.report.offset_hours * 3600
        self._existed_before = existed_before
        self._pending: List[_Conversation] = []  # finished conversations awaiting the new/returning answer
        self._conv: Optional[_Conversation] = None

    def _day(self, ts: float) -> int:
        return int((ts + self._offset_s) // 86400)

    def feed(self, rows: Iterable[Sequence[Any]]) -> Collector:
        conv = self._conv
        for sender, kind, ts, intent, action, data in rows:
            if conv is None or conv.sender != sender:
                if conv is not None:
                    self._close(conv)
                conv = self._conv = _Conversation(sender)
            ts = float(ts or 0.0)
            if kind == "user":
                self._user(conv, ts, intent, data)
            elif kind == "action":
                self._action(conv, ts, RENAMED_ACTIONS.get(action, action))
            elif kind == "slot":
                self._slot(conv, ts, data)
            elif kind == "active_loop":
                self._loop(conv, ts, data)
            elif kind == "bot":
                self._bot(conv, data)
            elif kind in ("session_started", "restart"):
                self._end_form(conv, "silent")
                if kind == "session_started":
                    self.report.sessions += 1
                    conv.in_session_start = True
        return self

    def finish(self) -> Report:
        if self._conv is not None:
            self._close(self._conv)
            self._conv = None
        self._flush()
        return self.report

    # ------------------------------------------------------------ events

    def _user(self, conv: _Conversation, ts: float, intent: Optional[str], data: Optional[str]) -> None:
        intent = intent or ""
        if intent.startswith(EXTERNAL_PREFIX):
            return
        conv.in_session_start = False
        conv.messages += 1
        day = self._day(ts)
        if conv.first_day is None:
            conv.first_day = day
        conv.days.add(day)
        self.report.day(day).messages += 1
        conv.last_user, conv.last_user_counted = data, False
        need = conv.channel is None or intent in FALLBACK_INTENTS or (data and (
            '"lead_source"' in data or '"person_name"' in data))
        event = _loads(data) if need else None
        if event is not None:
            if conv.channel is None and event.get("input_channel"):
                conv.channel = str(event["input_channel"])
            self._names_from_user(conv, event)
            source = (event.get("metadata") or {}).get("lead_source")
            if source and conv.source is None:
                conv.source = str(source)
        if intent in FAQ_INTENTS:
            conv.faq_asked = True
        if intent in FALLBACK_INTENTS:
            self._not_understood(conv, event)

    def _names_from_user(self, conv: _Conversation, event: Dict[str, Any]) -> None:
        meta = event.get("metadata") or {}
        telegram = meta.get("telegram")
        profile = telegram if isinstance(telegram, dict) else {}
        for key in ("first_name", "last_name", "username"):
            if profile.get(key):
                conv.names.add(str(profile[key]))
        for entity in (event.get("parse_data") or {}).get("entities") or ():
            if isinstance(entity, dict) and entity.get("entity") in NAME_ENTITIES and entity.get("value"):
                conv.names.add(str(entity["value"]))

    def _not_understood(self, conv: _Conversation, event: Optional[Dict[str, Any]]) -> None:
        if conv.last_user_counted:
            return
        conv.last_user_counted = True
        if event is None:
            event = _loads(conv.last_user)
        if event is None:
            return
        self._names_from_user(conv, event)
        text = str(event.get("text") or "").strip()
        if text and not text.startswith("/"):
            conv.fallbacks.append(text)

    def _action(self, conv: _Conversation, ts: float, action: Optional[str]) -> None:
        if not action:
            return
        conv.last_action = action
        if action == LISTEN_ACTION:
            conv.in_session_start = False
        elif action == SESSION_START_ACTION:
            conv.in_session_start = True
        elif action in FALLBACK_ACTIONS:
            if conv.last_user is not None:
                self._not_understood(conv, None)
        elif action in FAQ_ACTIONS or action.startswith(FAQ_ACTION + "/"):
            self.report.faq_answers += 1
            conv.faq_answered = True
        elif action == HANDOVER_ACTION:
            self.report.manager_requests += 1
        elif action == MANAGER_REPLY_ACTION:
            for started in conv.pending_handovers:
                self.report.reply_seconds.append(max(0.0, ts - started))
            conv.pending_handovers.clear()

    def _slot(self, conv: _Conversation, ts: float, data: Optional[str]) -> None:
        event = _loads(data)
        if event is None:
            return
        event = migrate_event(event)  # a question asked before a rename counts with today's
        name, value = event.get("name"), event.get("value")
        if conv.in_session_start and name in (REQUESTED_SLOT, CRM_EVENT_SLOT):
            return  # carried over into a new session: nothing happened (the source still counts)
        if name == REQUESTED_SLOT:
            if conv.form is not None and value:
                question = str(value)
                conv.question = question
                if question not in conv.form_questions:
                    conv.form_questions.append(question)
        elif name == SOURCE_SLOT:
            if value and conv.source is None:
                conv.source = str(value)
        elif name == NAME_SLOT:
            if isinstance(value, str) and value.strip():
                conv.names.add(value.strip())
        elif name == CRM_EVENT_SLOT:
            if isinstance(value, dict) and value.get("type") == "handover":
                self.report.handovers += 1
                self.report.day(self._day(ts)).handovers += 1
                conv.handovers += 1
                conv.pending_handovers.append(ts)

    def _loop(self, conv: _Conversation, ts: float, data: Optional[str]) -> None:
        event = _loads(data)
        if event is None:
            return
        event = migrate_event(event)
        name = event.get("name")
        if name:
            if name == conv.form:
                return  # the form announcing itself again
            self._end_form(conv, "switched")
            conv.form, conv.form_questions, conv.question = str(name), [], None
            self.report.form(conv.form).started += 1
        elif conv.form is not None:
            if conv.last_action == conv.form:
                self._end_form(conv, "finished", ts)
            else:
                self._end_form(conv, "cancelled")

    def _bot(self, conv: _Conversation, data: Optional[str]) -> None:
        event = _loads(data)  # only the FAQ answers' data is selected
        if event is None:
            return
        topic = str((event.get("metadata") or {}).get("utter_action") or "")
        if topic.startswith(FAQ_ACTION + "/"):
            self.report.faq_topics[topic[len(FAQ_ACTION) + 1:]] += 1

    def _end_form(self, conv: _Conversation, how: str, ts: Optional[float] = None) -> None:
        if conv.form is None:
            return
        stats = self.report.form(conv.form)
        for position, question in enumerate(conv.form_questions):
            q = stats.question(question)
            q.reached += 1
            q.position_sum += position
        if how == "finished":
            stats.finished += 1
            if ts is not None:
                self.report.day(self._day(ts)).finished_forms += 1
        else:
            setattr(stats, how, getattr(stats, how) + 1)
            q = stats.question(conv.question or NO_QUESTION)
            q.dropped += 1
            if how == "cancelled":
                q.cancelled += 1
        conv.form, conv.form_questions, conv.question = None, [], None

    def _close(self, conv: _Conversation) -> None:
        self._end_form(conv, "silent")
        r = self.report
        if conv.faq_asked:
            r.faq_asked += 1
        if conv.faq_answered:
            r.faq_answered += 1
        for text in conv.fallbacks:
            r.add_text(mask_text(text, conv.names))
        conv.fallbacks = []
        if conv.messages == 0:
            return  # no word from the client in the period: not a client of it
        r.clients += 1
        r.client_messages += conv.messages
        for day in conv.days:
            r.day(day).clients += 1
        self._pending.append(conv)
        if len(self._pending) >= LOOKUP_BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        old = self._existed_before([c.sender for c in self._pending]) if self._existed_before else set()
        r = self.report
        for conv in self._pending:
            new = conv.sender not in old
            if new:
                r.new_clients += 1
                assert conv.first_day is not None  # set by the conversation's first event
                r.day(conv.first_day).new += 1
            else:
                r.returning_clients += 1
            key = (conv.source or NO_SOURCE, conv.channel or NO_SOURCE)
            entry = r.sources.setdefault(key, [0, 0, 0])
            entry[0] += 1
            entry[1] += int(new)
            entry[2] += conv.handovers
        self._pending = []


def _loads(data: Optional[str]) -> Optional[Dict[str, Any]]:
    if not data:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# ---------------------------------------------------------------- the database


class StatsError(Exception):
    """The store cannot be read (a clear message for the operator)."""


class NoEvents(StatsError):
    """No file or no `events` table yet: the bot has not stored a conversation."""


def tracker_store_url() -> str:
    from wewall.settings import get_settings

    settings = get_settings()
    return settings.tracker_store_url or f"sqlite:///{settings.data_dir / 'tracker.db'}"


def read_only_engine(url: str) -> sa.engine.Engine:
    """An engine that cannot write: SQLite opened `mode=ro`, PostgreSQL read-only transactions."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:":
            raise StatsError("нужен файл SQLite, а не база в памяти")
        if not os.path.exists(path):
            raise NoEvents(f"нет файла хранилища диалогов: {path}")
        from urllib.parse import quote

        return sa.create_engine(f"sqlite:///file:{quote(os.path.abspath(path))}?mode=ro&uri=true",
                                poolclass=sa.pool.NullPool)
    kwargs: Dict[str, Any] = {"poolclass": sa.pool.NullPool}
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    return sa.create_engine(parsed, **kwargs)


def _select(engine: sa.engine.Engine) -> sa.TextClause:
    quote = engine.dialect.identifier_preparer.quote
    c = {name: quote(name) for name in ("id", "sender_id", "type_name", "timestamp", "intent_name",
                                        "action_name", "data")}
    types = ", ".join(f"'{t}'" for t in EVENT_TYPES)
    # Actions need only their name; of the bot's messages only FAQ answers are read.
    return sa.text(
        f"SELECT {c['sender_id']}, {c['type_name']}, {c['timestamp']}, {c['intent_name']}, "
        f"{c['action_name']}, CASE WHEN {c['type_name']} = 'action' THEN NULL "
        f"WHEN {c['type_name']} = 'bot' AND {c['data']} NOT LIKE '%utter_faq/%' THEN NULL "
        f"ELSE {c['data']} END "
        f"FROM events WHERE {c['timestamp']} >= :since AND {c['timestamp']} < :until "
        f"AND {c['type_name']} IN ({types}) ORDER BY {c['sender_id']}, {c['id']}")


def _existed_before(engine: sa.engine.Engine, since: float) -> Callable[[Sequence[str]], Set[str]]:
    quote = engine.dialect.identifier_preparer.quote
    query = sa.text(f"SELECT DISTINCT {quote('sender_id')} FROM events WHERE {quote('sender_id')} IN :senders "
                    f"AND {quote('timestamp')} < :since").bindparams(sa.bindparam("senders", expanding=True))

    def lookup(senders: Sequence[str]) -> Set[str]:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(query, {"senders": list(senders), "since": since})}

    return lookup


def compute(url: str, since: float, until: float, offset_hours: Optional[float] = None,
            batch: int = 5000) -> Report:
    """The report of [since, until) (Unix seconds) from the tracker store at `url`."""
    engine = read_only_engine(url)
    try:
        if not sa.inspect(engine).has_table("events"):
            raise NoEvents("в хранилище нет таблицы events: бот ещё не записал ни одного диалога")
        collector = Collector(since, until, offset_hours, existed_before=_existed_before(engine, since))
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(
                _select(engine), {"since": since, "until": until})
            while True:
                rows = result.fetchmany(batch)
                if not rows:
                    break
                collector.feed(rows)
        return collector.finish()
    except sa.exc.SQLAlchemyError as exc:
        raise StatsError(f"хранилище диалогов недоступно: {exc.__class__.__name__}: {mask(str(exc))[:300]}")
    finally:
        engine.dispose()

