"""`wewall stats`: scripted conversations written by the bot's own tracker store → exact figures.

Every test runs on SQLite (the embedded default) and on PostgreSQL (production); the store is
filled through WewallSQLTrackerStore with the events Rasa appends in those conversations.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from typing import Any, Dict, List, Optional

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from tests.unit.test_crm_outbox import pg_url, sql_url  # noqa: F401 (fixtures)
from wewall import cli
from wewall.stats.cli import period
from wewall.stats.collect import StatsError, compute, group_key, mask_text
from wewall.tracker_store import WewallSQLTrackerStore

MSK = dt.timezone(dt.timedelta(hours=3))
SINCE = dt.datetime(2026, 11, 10, tzinfo=MSK).timestamp()
UNTIL = dt.datetime(2026, 11, 12, tzinfo=MSK).timestamp()
DAY1 = dt.datetime(2026, 11, 10, 10, 0, tzinfo=MSK).timestamp()
DAY2 = dt.datetime(2026, 11, 11, 15, 0, tzinfo=MSK).timestamp()

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [start, greet, inform, cancel, faq, show_faq, request_manager, out_of_scope, EXTERNAL_follow_up]
slots:
  lead_source: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  calc_kind: {type: any, influence_conversation: false, mappings: [{type: custom}]}
  calc_area_m2: {type: any, influence_conversation: false, mappings: [{type: custom}]}
  search_type: {type: any, influence_conversation: false, mappings: [{type: custom}]}
  search_budget: {type: any, influence_conversation: false, mappings: [{type: custom}]}
  person_name: {type: any, influence_conversation: false, mappings: [{type: custom}]}
  crm_event: {type: any, influence_conversation: false, mappings: [{type: custom}]}
  manager_active: {type: bool, influence_conversation: false, mappings: [{type: custom}]}
forms:
  calculation_form: {required_slots: [calc_kind, calc_area_m2]}
  search_form: {required_slots: [search_type, search_budget]}
responses:
  utter_default: [{text: "Не понял"}]
""")


class Talk:
    """One client's conversation, event by event, as the Rasa server appends them."""

    def __init__(self, sender: str, at: float, channel: str = "telegram", profile: Optional[Dict] = None):
        self.sender, self.ts, self.channel, self.profile = sender, at, channel, profile
        self.events: List[Any] = []
        self.form: Optional[str] = None
        self.session()

    def _t(self, seconds: float = 2.0) -> float:
        self.ts += seconds
        return self.ts

    def at(self, ts: float) -> Talk:
        self.ts = ts
        return self

    def session(self, carried: Optional[Dict[str, Any]] = None) -> Talk:
        self.events += [ActionExecuted("action_session_start", timestamp=self._t()),
                        SessionStarted(timestamp=self._t(0.01))]
        self.events += [SlotSet(k, v, timestamp=self._t(0.01)) for k, v in (carried or {}).items()]
        self.events.append(ActionExecuted("action_listen", timestamp=self._t(0.01)))
        return self

    def user(self, text: str, intent: str, entities=(), metadata: Optional[Dict] = None) -> Talk:
        meta = dict(metadata or {})
        if self.profile and self.channel == "telegram":
            meta["telegram"] = self.profile
        parse = {"text": text, "intent": {"name": intent, "confidence": 0.9},
                 "entities": [{"entity": e, "value": v, "start": 0, "end": 1} for e, v in entities]}
        self.events.append(UserUttered(text, parse["intent"], parse["entities"], parse_data=parse,
                                       timestamp=self._t(30), input_channel=self.channel, metadata=meta))
        return self

    def act(self, name: str, *events: Any, says: Optional[str] = None, utter: Optional[str] = None) -> Talk:
        self.events.append(ActionExecuted(name, timestamp=self._t(0.5)))
        for e in events:
            e.timestamp = self._t(0.01)
            self.events.append(e)
        if says:
            self.events.append(BotUttered(says, metadata={"utter_action": utter or name}, timestamp=self._t(0.01)))
        return self

    def listen(self) -> Talk:
        return self.act("action_listen")

    # forms, as Rasa's FormAction writes them

    def form_start(self, form: str, question: str) -> Talk:
        self.form = form
        return self.act(form, ActiveLoop(form), SlotSet("requested_slot", question), says="вопрос",
                        utter=f"utter_ask_{question}").listen()

    def answer(self, slot: str, value: Any, next_question: Optional[str]) -> Talk:
        self.user(str(value), "inform")
        if next_question:
            return self.act(self.form, SlotSet(slot, value), SlotSet("requested_slot", next_question),
                            says="вопрос", utter=f"utter_ask_{next_question}").listen()
        self.act(self.form, SlotSet(slot, value), SlotSet("requested_slot", None), ActiveLoop(None))
        self.form = None
        return self.act("action_result", says="результат").listen()

    def cancel(self, action: str) -> Talk:
        self.user("отмена", "cancel")
        self.form = None
        return self.act(action, ActiveLoop(None), SlotSet("requested_slot", None), says="отменено").listen()

    def handover(self) -> Talk:
        self.user("позовите менеджера", "request_manager")
        return self.act("action_handover", SlotSet("crm_event", {"type": "handover", "summary": "…"}),
                        SlotSet("crm_event", None), says="передаю").listen()

    def manager_writes(self, after: float) -> Talk:
        self._t(after)
        return self.act("action_relay_manager_message", SlotSet("manager_active", True),
                        says="Менеджер WEWALL: здравствуйте").listen()

    def not_understood(self, text: str, intent: str = "nlu_fallback", entities=()) -> Talk:
        self.user(text, intent, entities)
        return self.act("utter_default", says="Не понял").listen()


def scripted() -> List[Talk]:
    talks = []
    # 1. Telegram /start promo42, a finished calculation, then an FAQ answer.
    t = Talk("tg-1", DAY1, profile={"first_name": "Анна", "username": "anna_k"})
    t.user('/start{"lead_source": "promo42"}', "start", [("lead_source", "promo42")], {"lead_source": "promo42"})
    t.act("action_start", SlotSet("lead_source", "promo42"), says="Здравствуйте!").listen()
    t.user("расчёт", "request_calculation").form_start("calculation_form", "calc_kind")
    t.answer("calc_kind", "office", "calc_area_m2").answer("calc_area_m2", 120, None)
    t.user("вопросы", "show_faq").act("utter_faq_topics", says="темы").listen()
    t.user("что такое IRR", "faq").act("utter_faq", says="IRR — …", utter="utter_faq/irr").listen()
    talks.append(t)
    # 2. Telegram, no source: silent at the second question; the bot's fallback once (a name).
    t = Talk("tg-2", DAY1 + 600, profile={"first_name": "Борис"})
    t.user("посчитать", "request_calculation").form_start("calculation_form", "calc_kind")
    t.answer("calc_kind", "retail", "area_m2")  # stored before the rename (issue #21): counts as calc_area_m2
    t.not_understood("Борис я, а вы кто такие")
    talks.append(t)
    # 3. Web chat: cancels the calculation at its first question, then a search switched to a
    #    calculation (finished on day 2), a hand-over answered by the manager after 5 minutes.
    t = Talk("web-3", DAY1 + 1200, channel="socketio")
    t.user("расчёт", "request_calculation").form_start("calculation_form", "calc_kind")
    t.cancel("action_calc_cancel")
    t.user("подбор", "request_search").form_start("search_form", "search_type")
    t.answer("search_type", "office", "search_budget")
    t.at(DAY2).user("а лучше расчёт", "request_calculation").form_start("calculation_form", "calc_kind")
    t.answer("calc_kind", "office", "calc_area_m2").answer("calc_area_m2", 50, None)
    t.not_understood("позвоните мне +7 999 123-45-67, я Пётр", entities=[("person_name", "Пётр")])
    t.handover().manager_writes(after=300)
    talks.append(t)
    # 4. Returning Telegram client (spoke before the period; source carried over in a new
    #    session): asked FAQ but got no answer, not understood once, out of scope once.
    t = Talk("tg-4", SINCE - 5 * 86400)
    t.user("/start", "start").act("action_start", SlotSet("lead_source", "ads"), says="Здравствуйте!").listen()
    t.at(DAY2 + 60).session(carried={"lead_source": "ads"})
    t.user("вопросы", "show_faq").act("utter_faq_topics", says="темы").listen()
    t.not_understood("Как дела у вас?!")
    t.user("погода в Москве", "out_of_scope").act("utter_out_of_scope", says="не по теме").listen()
    talks.append(t)
    # 5. Telegram, source promo42, a hand-over nobody answered, the same question reworded.
    t = Talk("tg-5", DAY2 + 120)
    t.user('/start{"lead_source": "promo42"}', "start", [("lead_source", "promo42")], {"lead_source": "promo42"})
    t.act("action_start", SlotSet("lead_source", "promo42"), says="Здравствуйте!").listen()
    t.not_understood("как у вас дела")
    t.handover()
    talks.append(t)
    # 6. Only the worker's reminder in the period: not a client.
    t = Talk("tg-6", DAY2 + 200)
    t.user("EXTERNAL: follow up", "EXTERNAL_follow_up").act("action_follow_up", says="напоминание").listen()
    talks.append(t)
    # 7. After the period: not counted at all.
    t = Talk("tg-7", UNTIL + 10)
    t.user("расчёт", "request_calculation").form_start("calculation_form", "calc_kind")
    talks.append(t)
    return talks


async def _fill(url: str, talks: List[Talk]) -> None:
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    for talk in talks:
        tracker = DialogueStateTracker.from_events(talk.sender, talk.events, DOMAIN.slots)
        await store.save(tracker)
    store.engine.dispose()


@pytest.fixture
def store_url(sql_url):
    asyncio.run(_fill(sql_url, scripted()))
    return sql_url


def test_scripted_conversations_give_exact_figures(store_url):
    r = compute(store_url, SINCE, UNTIL, offset_hours=3).as_dict()
    assert r["clients"] == {"total": 5, "new": 4, "returning": 1, "sessions": 6, "messages": 24}
    forms = {f["form"]: f for f in r["forms"]}
    assert set(forms) == {"calculation_form", "search_form"}
    calc = forms["calculation_form"]
    assert (calc["started"], calc["finished"], calc["cancelled"], calc["switched"], calc["silent"]) == (4, 2, 1, 0, 1)
    assert calc["questions"] == [
        {"slot": "calc_kind", "reached": 4, "dropped": 1, "cancelled": 1},
        {"slot": "calc_area_m2", "reached": 3, "dropped": 1, "cancelled": 0},
    ]
    search = forms["search_form"]
    assert (search["started"], search["finished"], search["switched"]) == (1, 0, 1)
    assert search["questions"] == [
        {"slot": "search_type", "reached": 1, "dropped": 0, "cancelled": 0},
        {"slot": "search_budget", "reached": 1, "dropped": 1, "cancelled": 0},
    ]
    assert r["faq"] == {"asked": 2, "answered": 1, "answers": 1, "topics": {"irr": 1}}
    assert r["manager"] == {"requests": 2, "handovers": 2, "answered": 1, "median_seconds": 301.0,
                            "mean_seconds": 301.0, "max_seconds": 301.0}
    assert r["sources"] == [
        {"source": "promo42", "channel": "telegram", "clients": 2, "new": 2, "handovers": 1},
        {"source": "ads", "channel": "telegram", "clients": 1, "new": 0, "handovers": 0},
        {"source": "—", "channel": "socketio", "clients": 1, "new": 1, "handovers": 1},
        {"source": "—", "channel": "telegram", "clients": 1, "new": 1, "handovers": 0},
    ]
    nu = r["not_understood"]
    assert nu["total"] == 5
    assert nu["groups"][0] == {"text": "как дела у вас", "count": 2}  # the first spelling of a tie
    texts = {g["text"]: g["count"] for g in nu["groups"]}
    assert sum(texts.values()) == 5 and len(texts) == 4
    assert "<имя> я, а вы кто такие" in texts
    assert "позвоните мне +7******67, я <имя>" in texts
    assert "погода в москве" in texts
    assert not any("Борис" in t or "Пётр" in t or "123" in t for t in texts)
    assert r["days"] == [
        {"date": "2026-11-10", "clients": 3, "new": 3, "messages": 13, "handovers": 0, "finished_forms": 1},
        {"date": "2026-11-11", "clients": 3, "new": 1, "messages": 11, "handovers": 2, "finished_forms": 1},
    ]


@pytest.mark.parametrize("since,until,clients,new", [
    (SINCE, SINCE + 86400, 3, 3),      # day 1 only
    (SINCE + 86400, UNTIL, 3, 1),      # day 2: web-3 spoke on day 1, tg-4 long before
    (UNTIL, UNTIL + 86400, 1, 1),      # the day after: tg-7 alone
    (SINCE - 86400, SINCE, 0, 0),      # an empty day
])
def test_the_period_bounds_what_is_counted(store_url, since, until, clients, new):
    r = compute(store_url, since, until, offset_hours=3).as_dict()
    assert (r["clients"]["total"], r["clients"]["new"]) == (clients, new)


def test_cli_prints_table_json_and_csv(store_url, capsys):
    base = ["stats", "--url", store_url, "--since", "2026-11-10", "--until", "2026-11-11"]
    assert cli.main(base + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["clients"]["total"] == 5 and data["period"]["since"].startswith("2026-11-10T00:00:00")
    assert cli.main(base + ["--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["section", "name", "detail", "value"]
    assert ["form", "calculation_form", "finished", "2"] in rows
    assert ["question", "calculation_form.calc_area_m2", "dropped", "1"] in rows
    assert ["source", "promo42", "telegram.clients", "2"] in rows
    assert cli.main(base) == 0
    out = capsys.readouterr().out
    assert "Расчёт доходности" in out and "Где бросают" in out and "5 сообщений" in out
    assert "Борис" not in out and "123-45" not in out


def test_unreadable_store_and_bad_dates_get_a_clear_answer(tmp_path, capsys):
    assert cli.main(["stats", "--url", f"sqlite:///{tmp_path / 'none.db'}"]) == 2
    assert "нет файла" in capsys.readouterr().err
    empty = tmp_path / "empty.db"
    import sqlite3

    sqlite3.connect(empty).close()
    with pytest.raises(StatsError, match="нет таблицы events"):
        compute(f"sqlite:///{empty}", SINCE, UNTIL)
    assert cli.main(["stats", "--url", f"sqlite:///{empty}", "--since", "10.11.2026"]) == 2
    assert "не понимаю дату" in capsys.readouterr().err


def test_stats_never_writes_to_the_store(store_url):
    import sqlalchemy as sa

    from wewall.stats.collect import read_only_engine

    engine = read_only_engine(store_url)
    with pytest.raises(sa.exc.SQLAlchemyError):
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM events"))
    engine.dispose()


@pytest.mark.parametrize("since,until,days,expected", [
    (None, None, None, (1_000_000 - 30 * 86400, 1_000_000)),
    (None, None, 7, (1_000_000 - 7 * 86400, 1_000_000)),
    ("2026-11-10", "2026-11-11", None, (SINCE, UNTIL)),
    ("2026-11-10", None, 1, (SINCE, SINCE + 86400)),
    ("2026-11-10T12:00", "2026-11-10T18:30", None, (SINCE + 12 * 3600, SINCE + 18.5 * 3600)),
])
def test_period_arguments(since, until, days, expected):
    assert period(since, until, days, MSK, now=1_000_000) == expected


@pytest.mark.parametrize("since,until,days", [("2026-11-12", "2026-11-10", None), (None, None, 0), ("завтра", None, None)])
def test_bad_periods_are_refused(since, until, days):
    with pytest.raises(ValueError):
        period(since, until, days, MSK, now=1_000_000)


@pytest.mark.parametrize("text,names,masked", [
    ("Позвоните 8 (916) 123-45-67", (), "Позвоните +7******67"),
    ("я Анна, anna_k в телеграме", ("Анна", "anna_k"), "я <имя>, <имя> в телеграме"),
    ("Аннушка спросила", ("Анна",), "Аннушка спросила"),  # only the whole name
    ("договор 123456789", (), "договор N"),
    ("  много   пробелов ", (), "много пробелов"),
    ("пишите на ivan.petrov+1@mail.ru или @ivan_petrov", (), "пишите на <email> или <имя>"),
])
def test_masking(text, names, masked):
    assert mask_text(text, names) == masked


@pytest.mark.parametrize("a,b,same", [
    ("Как дела у вас?!", "как у вас дела", True),
    ("Где ваш офис?", "где ваши офисы", True),
    ("ещё", "еще", True),
    ("сколько стоит парковка", "где парковка", False),
])
def test_similar_texts_share_a_group(a, b, same):
    assert (group_key(a) == group_key(b)) is same


@pytest.mark.parametrize("n,word", [(1, "сообщение"), (3, "сообщения"), (5, "сообщений"), (11, "сообщений"),
                                    (21, "сообщение"), (112, "сообщений"), (0, "сообщений")])
def test_counts_agree_with_their_number(n, word):
    from wewall.text import agree

    assert agree(n, "сообщение") == word
