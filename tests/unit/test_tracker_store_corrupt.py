"""Issue #22: a corrupt SQLite tracker database stops the server with a clear message instead of
Rasa's silent in-memory fallback (history gone for those clients, every new turn lost at restart)."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from wewall.tracker_store import TrackerStoreCorrupt, WewallSQLTrackerStore

DOMAIN = Domain.empty()


def _database_with_conversations(path):
    url = f"sqlite:///{path}"
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    for n in range(200):
        tracker = DialogueStateTracker.from_events(f"tg:{n}", [ActionExecuted("action_listen"),
                                                                UserUttered("привет " * 20, {"name": "greet"})])
        asyncio.run(store.save(tracker))
    store.engine.dispose()  # checkpoints the WAL into the file
    return url


def _garbage_over_pages(path):
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    assert len(data) > 4 * page
    data[page:len(data) - page] = b"\xa5" * (len(data) - 2 * page)  # header page kept
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["not_a_database", "pages"])
def test_a_corrupt_database_stops_the_server_with_its_name(tmp_path, damage, caplog):
    path = tmp_path / "tracker.db"
    url = _database_with_conversations(path)
    if damage == "not_a_database":
        path.write_bytes(b"this is not a database" * 500)
    else:
        _garbage_over_pages(path)
    for name in ("tracker.db-wal", "tracker.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    with pytest.raises(TrackerStoreCorrupt) as raised:
        # the way Rasa builds it from endpoints.yml: no fallback on the way
        create_tracker_store(EndpointConfig(url=url, type="wewall.tracker_store.WewallSQLTrackerStore"), DOMAIN)
    assert str(path) in str(raised.value) and "остановлен" in str(raised.value)
    assert str(path) in caplog.text
    assert isinstance(raised.value, SystemExit)  # no `except Exception` swallows it


def test_a_sound_database_starts_as_before(tmp_path):
    url = _database_with_conversations(tmp_path / "tracker.db")
    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)
    assert asyncio.run(store.retrieve("tg:7")) is not None


def test_the_message_hides_a_password():
    from wewall.tracker_store import _stop

    error = _stop("postgresql://wewall:s3cret-pass@db:5432/wewall", RuntimeError("boom"))
    assert "s3cret-pass" not in str(error) and "db:5432/wewall" in str(error)


def test_telegram_conversations_from_before_keep_their_history_and_amocrm_chat(tmp_path, monkeypatch):
    """Before issue #22 a Telegram conversation was keyed by the bare chat id."""
    import sqlalchemy as sa

    from wewall.crm.store import get_store as crm_store
    from wewall.followups import get_store as followup_store

    outbox_url = f"sqlite:///{tmp_path / 'outbox.db'}"
    monkeypatch.setenv("WEWALL_OUTBOX_URL", outbox_url)
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    old = WewallSQLTrackerStore(domain=DOMAIN, host=url)  # creates the table (nothing to rename yet)
    with old.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM wewall_migrations"))  # as a database from before would be
    for sender, channel in (("777000666", "telegram"), ("-100200", "telegram"), ("u1", "rest"), ("4242", "rest")):
        tracker = DialogueStateTracker.from_events(sender, [
            ActionExecuted("action_listen"), UserUttered("привет", {"name": "greet"}, input_channel=channel)])
        asyncio.run(old.save(tracker))
    crm = crm_store(outbox_url)
    crm.claim("777000666", "w", 0.0, 10.0, {})
    followup_store(outbox_url).record("777000666", "calculation_form", "telegram", 0.0, 60.0)
    old.engine.dispose()

    store = WewallSQLTrackerStore(domain=DOMAIN, host=url)  # the new version starts
    for key in ("tg:777000666", "tg:-100200", "u1", "4242"):
        assert asyncio.run(store.retrieve(key)) is not None, key
    assert asyncio.run(store.retrieve("777000666")) is None
    conv = crm.claim("tg:777000666", "w", 100.0, 10.0, {})
    assert conv["conversation_id"] == "777000666"  # the same amoCRM chat as before
    with sa.create_engine(outbox_url).connect() as conn:
        assert conn.execute(sa.text("SELECT sender_id FROM followups")).scalars().all() == ["tg:777000666"]
    # once per database: a later start does not scan again
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM wewall_migrations")).scalars().all() == ["telegram-keys-tg"]


# ---------------------------------------------------------------- failing after the start


def _damage(kind, path, pg_drop=None):
    if kind == "deleted":
        path.unlink()
    elif kind == "replaced":  # e.g. a backup copied over it: not the file the server opened
        copy = path.with_name("copy.db")
        copy.write_bytes(path.read_bytes())
        copy.replace(path)
    elif kind == "overwritten":
        path.write_bytes(b"\xa5" * path.stat().st_size)
    elif kind == "postgresql_gone":
        pg_drop()


@pytest.fixture(params=["deleted", "replaced", "overwritten", "postgresql_gone"])
def running_store(request, tmp_path):
    """Our store wrapped as Rasa's Agent wraps every tracker store, with `loud_failures` applied
    as our channels do at start; one conversation stored; then the database fails."""
    import types

    from rasa.core.agent import Agent

    from wewall.tracker_store import loud_failures

    kind = request.param
    path, drop = tmp_path / "tracker.db", None
    if kind == "postgresql_gone":
        from tests.e2e.harness import reachable

        if not reachable("127.0.0.1", 5432):
            pytest.skip("no PostgreSQL on 127.0.0.1:5432")
        import uuid

        import psycopg2

        name = f"wewall_tracker_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute(f"CREATE DATABASE {name}")
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"

        def drop():
            admin.cursor().execute(f"DROP DATABASE {name} WITH (FORCE)")

        request.addfinalizer(lambda: (admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                                      admin.close()))
    else:
        url = f"sqlite:///{path}"
    store = create_tracker_store(EndpointConfig(url=url, type="wewall.tracker_store.WewallSQLTrackerStore"), DOMAIN)
    failsafe = Agent._create_tracker_store(store, DOMAIN)
    loud_failures(types.SimpleNamespace(tracker_store=failsafe))
    asyncio.run(store.save(DialogueStateTracker.from_events(
        "tg:1", [ActionExecuted("action_listen"), UserUttered("меня зовут Анна", {"name": "inform"})])))
    yield failsafe, lambda: _damage(kind, path, drop), url
    store.engine.dispose()


def _rest_turn(failsafe, damage_between=None):
    """One REST turn the way Rasa's processor does it: load, answer, save."""
    from sanic import Sanic
    from sanic_testing.testing import SanicTestClient

    from wewall.channels.rest import SafeRestInput

    async def bot(message):
        tracker = await failsafe.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, {"name": "inform"}))
        await message.output_channel.send_text_message(message.sender_id, "Записал.")
        if damage_between:
            damage_between()
        await failsafe.save(tracker)

    channel = SafeRestInput()
    channel.tokens = {}
    app = Sanic(f"tracker_down_{id(failsafe)}_{damage_between is not None}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/rest")
    _, res = SanicTestClient(app, port=None).post("/webhooks/rest/webhook",
                                                  json={"sender": "1", "message": "завтра в 10"})
    return res


def test_a_database_failing_while_the_server_runs_gets_an_apology_and_a_loud_log(running_store, caplog):
    """Issue #22: Rasa met it with an empty conversation and an in-memory copy (lost at restart)."""
    from wewall.channels.replies import RETRY_TITLE, SORRY

    failsafe, damage, url = running_store
    failsafe._tracker_store.domain = DOMAIN
    damage()
    res = _rest_turn(failsafe)
    assert res.status == 200
    assert res.json == [{"recipient_id": "rest:local:1", "text": SORRY,
                         "buttons": [{"title": RETRY_TITLE, "payload": "завтра в 10"}]}]
    critical = [r.getMessage() for r in caplog.records if r.levelname == "CRITICAL"]
    assert critical and "недоступно" in critical[0], caplog.text
    assert url.split("/")[-1] in critical[0]  # the database is named
    assert failsafe._fallback_tracker_store is None  # nothing went to memory


def test_a_database_failing_mid_turn_loses_the_turn_loudly_not_silently(running_store, caplog):
    from wewall.channels.replies import SORRY

    failsafe, damage, url = running_store
    res = _rest_turn(failsafe, damage_between=damage)
    # what the bot said, then the apology: the client knows to say it again
    assert [m["text"] for m in res.json] == ["Записал.", SORRY]
    assert any(r.levelname == "CRITICAL" for r in caplog.records)
    assert failsafe._fallback_tracker_store is None
