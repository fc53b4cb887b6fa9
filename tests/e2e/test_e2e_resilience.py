"""Issue #22 end to end: never a silent turn, absurd numbers refused, no phone in the logs.

The real action server and Rasa server (tests/e2e/harness.py); the action server is stopped
half-way, as in an outage."""

from __future__ import annotations

from wewall.channels.replies import RETRY_TITLE, SORRY

ABSURD_PAYLOADS = [
    '/inform{"area_m2": NaN}',
    '/inform{"area_m2": 1e309}',
    '/inform{"area_m2": ' + "9" * 400 + "}",
    '/inform{"money_rub": -Infinity}',
    '/inform{"number": NaN}',
]


def _texts(reply):
    return [m.get("text") for m in reply]


def test_absurd_numbers_in_button_payloads_get_a_real_answer(bot):
    sender = "absurd"
    assert bot.send(sender, "/request_calculation")
    assert bot.send(sender, '/inform{"calc_kind":"finished_office"}')
    for payload in ABSURD_PAYLOADS:
        reply = bot.send(sender, payload)
        assert reply and SORRY not in _texts(reply), (payload, reply)
    assert "Traceback" not in bot.log("actions")
    # the conversation goes on
    reply = bot.send(sender, "700 квадратов")
    assert reply and SORRY not in _texts(reply), reply


def test_an_outage_of_the_action_server_gets_an_apology_and_a_retry(bot):
    sender = "outage"
    assert bot.send(sender, "привет")
    bot.stop_process("actions")
    try:
        reply = bot.send(sender, "/request_calculation")  # the form's validation is a custom action
        # whatever the policies said instead, the client learns that it did not work
        assert reply and reply[-1]["text"] == SORRY, reply
        assert reply[-1]["buttons"] == [{"title": RETRY_TITLE, "payload": "/request_calculation"}]
        assert bot.send(sender, "мой телефон 916 555 12 34")  # never an empty answer
    finally:
        bot.start_actions()
        bot.wait_ready()
    again = bot.send(sender, "/request_calculation")  # the «Повторить» button
    assert again and SORRY not in _texts(again)
    log = bot.log("rasa")
    assert "Failed to run custom action" in log or "Encountered an exception" in log
    for secret in ("555 12 34", "5551234"):
        assert secret not in log


def test_the_action_server_killed_at_the_calculation_keeps_the_answers_and_offers_a_retry(bot):
    """The issue's case: the form closed with no result and nothing offered a retry."""
    s = "killed-calc"
    bot.send(s, "хочу посчитать доходность офиса")
    for text in ('/inform{"calc_kind":"finished_office"}', "700 квадратов", "500 тысяч за метр", "класс а",
                 "Белорусская", "5 минут пешком", '/inform{"finish":"shell"}'):
        bot.send(s, text)
    summary = " | ".join(r.get("text", "") for r in bot.send(s, "5%"))
    assert "Проверьте" in summary, summary
    bot.procs["actions"].kill()  # killed, not stopped politely
    bot.procs["actions"].wait()
    bot.procs.pop("actions")
    try:
        reply = bot.send(s, "да")
        assert reply and reply[-1]["text"] == SORRY, reply
        assert reply[-1]["buttons"] == [{"title": RETRY_TITLE, "payload": "да"}]
        assert bot.tracker(s)["slots"]["calc_area_m2"] == 700  # the answers are kept
    finally:
        bot.start_actions()
        bot.wait_ready()
    result = " | ".join(r.get("text", "") for r in bot.send(s, "да"))  # «Повторить»
    assert "IRR при сдаче в аренду" in result, result


def test_a_corrupt_tracker_database_stops_the_server_with_a_clear_message(model, tmp_path):
    """Rasa would fall back to memory and lose every turn at the next restart."""
    import time

    from tests.e2e.harness import BotServers

    db = tmp_path / "tracker.db"
    db.write_bytes(b"this is not a database" * 500)
    servers = BotServers(model, tmp_path / "bot", env={"WEWALL_TRACKER_STORE_URL": f"sqlite:///{db}"})
    servers.start_rasa()
    try:
        deadline = time.monotonic() + 300
        while servers.procs["rasa"].poll() is None and time.monotonic() < deadline:
            time.sleep(1)
        assert servers.procs["rasa"].poll() is not None, "Rasa kept running on a corrupt tracker database"
        assert servers.procs["rasa"].returncode != 0
        log = servers.log("rasa")
        assert str(db) in log and "Сервер остановлен" in log, log[-3000:]
    finally:
        servers.stop()


def test_a_tracker_database_lost_while_running_gets_an_apology_not_a_memory_fallback(model, tmp_path):
    """Rasa's FailSafeTrackerStore met it with an empty conversation kept in memory: the client
    was greeted as a stranger and every turn was gone at the next restart."""
    import requests

    from tests.e2e.harness import BotServers

    servers = BotServers(model, tmp_path / "bot")
    servers.load_demo()
    with servers:
        assert servers.send("lost", "привет")
        db = servers.workdir / "tracker.db"
        for path in (db, db.with_name("tracker.db-wal"), db.with_name("tracker.db-shm")):
            path.unlink(missing_ok=True)
        reply = servers.send("lost", "хочу посчитать доходность офиса")
        assert reply and reply[-1]["text"] == SORRY, reply
        assert reply[-1]["buttons"] == [{"title": RETRY_TITLE, "payload": "хочу посчитать доходность офиса"}]
        read = requests.get(f"{servers.url}/conversations/rest:e2e:lost/tracker", timeout=30)
        assert read.status_code == 500  # not an empty conversation from memory
        log = servers.log("rasa")
        assert "CRITICAL" in log and "недоступно" in log and str(db) in log, log[-3000:]
        assert "Falling back" not in log
