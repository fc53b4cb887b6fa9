"""Leads end to end over REST on the plain `make run` setup (no amoCRM, no destination):
a viewing, a phone typed outside a form and a bare «Связаться с менеджером» each leave a row
in the lead book before the client is answered, and `wewall leads list` shows them.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import BIN, PROJECT_ROOT, BotServers, conversation_key
from wewall.leads.book import LeadBook

pytestmark = pytest.mark.e2e

SAVED = "Заявка сохранена, менеджер свяжется с вами в рабочее время: пн–пт 10–19."
WEB_TOKEN = "e2e-managers-token"
CHROMIUM = Path(os.environ.get("WEWALL_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="module")
def leads_bot(model, tmp_path_factory):
    servers = BotServers(model, tmp_path_factory.mktemp("leads-bot"))
    for key in [k for k in servers.env if k.startswith(("AMOCRM_", "WEWALL_LEADS_"))
                and k != "WEWALL_LEADS_URL"]:
        servers.env.pop(key)
    servers.env["WEWALL_LEADS_WEB_TOKEN"] = WEB_TOKEN
    servers.load_demo(300)
    with servers:
        yield servers


def texts(replies):
    return [r.get("text") or "" for r in replies]


def book(bot):
    return LeadBook(bot.env["WEWALL_LEADS_URL"])


def leads_of(bot, sender):
    b = book(bot)
    try:
        return [lead for lead in b.list(newest_first=False) if lead["sender_id"] == conversation_key(sender)]
    finally:
        b.dispose()


def test_a_viewing_is_kept_and_the_client_told_the_truth(leads_bot):
    bot, me = leads_bot, "e2e-lead-viewing"
    bot.send(me, "/request_search")
    bot.send(me, "офис в аренду до 3 миллионов в месяц")
    for value in ('{"area_m2":"any"}', '{"distance_m":"any"}', '{"zone":"any"}',
                  '{"estate_class":"any"}', '{"finish":"any"}'):
        bot.send(me, f"/inform{value}")
    bot.send(me, "/deny")
    assert texts(bot.send(me, "/affirm"))[0].startswith("Нашёл")
    bot.send(me, "/book_viewing")
    bot.send(me, "Анна")
    bot.send(me, "8 (916) 123-45-67")
    bot.send(me, "завтра после 15:00")
    replies = texts(bot.send(me, "/affirm"))
    assert SAVED in replies, replies
    assert not any("не могу передать" in t for t in replies)
    (lead,) = leads_of(bot, me)
    assert (lead["kind"], lead["name"], lead["phone"], lead["viewing_time"], lead["channel"]) == (
        "viewing", "Анна", "+79161234567", "завтра после 15:00", "rest")
    assert "Ссылка:" in lead["summary"] and "аренда" in lead["summary"]
    assert lead["deliveries"] == []
    out = subprocess.run([str(BIN / "wewall"), "leads", "list"], cwd=PROJECT_ROOT, env=bot.env,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert f"№{lead['id']} " in out and "Просмотр объекта" in out and "Анна, +79161234567" in out


def test_a_phone_typed_outside_a_form_becomes_a_callback_after_consent(leads_bot):
    bot, me = leads_bot, "e2e-lead-callback"
    replies = bot.send(me, "запишите мой номер 89161234567 пусть перезвонят")
    offer = "\n".join(texts(replies))
    assert "+7 916 123-45-67" in offer and "Отправляя данные, вы соглашаетесь на их обработку" in offer
    assert [b["title"] for r in replies for b in r.get("buttons") or []] == ["Отправить", "Не нужно"]
    assert leads_of(bot, me) == []  # nothing is passed on before the consent
    assert SAVED in texts(bot.send(me, "/affirm"))
    (lead,) = leads_of(bot, me)
    assert (lead["kind"], lead["phone"]) == ("callback", "+79161234567")
    assert "просит перезвонить" in lead["summary"]


def test_a_manager_request_without_contacts_asks_for_a_phone(leads_bot):
    bot, me = leads_bot, "e2e-lead-request"
    replies = texts(bot.send(me, "/request_manager"))
    assert any(t.startswith(SAVED) and "номер телефона" in t for t in replies), replies
    (request,) = leads_of(bot, me)
    assert request["kind"] == "request" and request["phone"] is None
    assert "+7 903 765-43-21" in "\n".join(texts(bot.send(me, "8 903 765-43-21")))
    assert "никому не передаю" in "\n".join(texts(bot.send(me, "/deny")))
    assert [lead["kind"] for lead in leads_of(bot, me)] == ["request"]  # the refusal is kept


def test_the_leads_page_in_chromium(leads_bot, tmp_path):
    missing = [what for what, ok in (
        (str(CHROMIUM), CHROMIUM.exists()), ("node", shutil.which("node")),
        ("web/node_modules/playwright-core",
         (PROJECT_ROOT / "web" / "node_modules" / "playwright-core").is_dir())) if not ok]
    if missing:
        message = "нет инструментов для браузерного теста: " + ", ".join(missing)
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    bot = leads_bot
    if not any(lead["kind"] == "callback" for lead in leads_of(bot, "e2e-lead-callback")):
        bot.send("e2e-lead-callback", "перезвоните мне на 89161234567")
        bot.send("e2e-lead-callback", "/affirm")
    report = tmp_path / "leads.json"
    proc = subprocess.run(
        ["node", str(PROJECT_ROOT / "web" / "e2e" / "leads-scenario.mjs"),
         "--url", f"{bot.url}/webhooks/leads/?token={WEB_TOKEN}&status=all",
         "--expect-phone", "+79161234567", "--report", str(report), "--chromium", str(CHROMIUM)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    steps = json.loads(report.read_text())["steps"] if report.exists() else []
    failed = [s for s in steps if not s["ok"]]
    assert steps and not failed and proc.returncode == 0, (failed, proc.stdout, proc.stderr)
    assert [s["name"] for s in steps][-1] == "без ошибок в консоли"
