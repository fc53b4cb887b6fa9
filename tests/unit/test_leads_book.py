"""The lead book on SQLite (the default) and PostgreSQL (production): kept, listed, marked,
delivered with leases and retries, exported."""

from __future__ import annotations

import csv
import io
import threading

import pytest

from tests.e2e.harness import pg_database
from wewall.leads.book import (
    AMOCRM,
    DONE,
    EMAIL,
    FAILED,
    HANDLED,
    NEW,
    NO_ANSWER,
    PENDING,
    TAKEN,
    TELEGRAM,
    LeadBook,
    leads_url,
)
from wewall.settings import reset_settings


@pytest.fixture
def pg_url():
    """A throw-away PostgreSQL database (skipped when there is no server)."""
    with pg_database("wewall_leads") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def book(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'leads.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    b = LeadBook(url)
    yield b
    b.dispose()


def lead(**kw):
    base = {"kind": "viewing", "sender_id": "u1", "channel": "telegram", "name": "Анна",
            "phone": "+79161234567", "telegram_username": "anna", "telegram_user_id": 42,
            "viewing_time": "в четверг после 15:00", "lead_source": "promo42",
            "summary": "WEWALL AI: передача клиента менеджеру.\nКлиент хочет записаться на просмотр."}
    base.update(kw)
    return base


def test_default_url_is_sqlite_in_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("WEWALL_LEADS_URL", raising=False)
    assert leads_url() == f"sqlite:///{tmp_path / 'wewall-data' / 'leads.db'}"
    monkeypatch.setenv("WEWALL_LEADS_URL", "postgresql://x@db/leads")
    reset_settings()  # read once per process
    assert leads_url() == "postgresql://x@db/leads"


def test_a_lead_is_kept_with_its_deliveries(book):
    kept = book.add(lead(), [TELEGRAM, EMAIL])
    again = book.get(kept["id"])
    for key in ("name", "phone", "telegram_username", "telegram_user_id", "viewing_time",
                "lead_source", "channel", "summary"):
        assert again[key] == lead()[key], key
    assert again["status"] == NEW and again["history"] == []
    assert [(d["destination"], d["status"]) for d in again["deliveries"]] == [
        (TELEGRAM, PENDING), (EMAIL, PENDING)]
    # another book on the same URL (another process) sees it
    other = LeadBook(book.url)
    try:
        assert other.get(kept["id"])["phone"] == "+79161234567"
    finally:
        other.dispose()


def test_the_same_request_is_kept_once(book):
    first = book.add(lead(ref="r-1"), [TELEGRAM])
    second = book.add(lead(ref="r-1", name="Другое имя"), [TELEGRAM])
    assert second["id"] == first["id"] and second["name"] == "Анна"
    assert len(book.list()) == 1


@pytest.mark.parametrize("bad, message", [
    ({"kind": "dinner"}, "unknown lead kind"),
    ({"sender_id": ""}, "sender_id"),
])
def test_bad_leads_are_refused_with_a_reason(book, bad, message):
    with pytest.raises(ValueError, match=message):
        book.add(lead(**bad))
    assert book.list() == []


def test_an_unknown_destination_keeps_nothing(book):
    with pytest.raises(ValueError, match="destination"):
        book.add(lead(), ["pigeon"])
    assert book.list() == []  # one transaction: no lead without its deliveries


def test_list_filters_and_order(book):
    a = book.add(lead(sender_id="a", phone="+79160000001"), now=1_000)
    b = book.add(lead(sender_id="b", kind="callback"), now=2_000)
    c = book.add(lead(sender_id="c"), now=3_000)
    book.mark(b["id"], HANDLED, by="Ольга")
    assert [r["id"] for r in book.list()] == [c["id"], b["id"], a["id"]]
    assert [r["id"] for r in book.list(newest_first=False)] == [a["id"], b["id"], c["id"]]
    assert [r["id"] for r in book.list(status=[NEW])] == [c["id"], a["id"]]
    assert [r["id"] for r in book.list(since=2_000)] == [c["id"], b["id"]]
    assert [r["id"] for r in book.list(phone="+79160000001")] == [a["id"]]
    assert [r["id"] for r in book.list(limit=1)] == [c["id"]]


def test_managers_marks_are_kept_in_order(book):
    kept = book.add(lead())
    book.mark(kept["id"], NO_ANSWER, by="@olga", now=100)
    book.mark(kept["id"], TAKEN, by="@ivan", now=200)
    done = book.mark(kept["id"], HANDLED, by="Иван", note="договорились на четверг", now=300)
    assert done["status"] == HANDLED and done["handled_by"] == "Иван"
    assert done["note"] == "договорились на четверг"
    assert [(h["status"], h["by"]) for h in done["history"]] == [
        (NO_ANSWER, "@olga"), (TAKEN, "@ivan"), (HANDLED, "Иван")]
    assert book.mark(kept["id"] + 100, TAKEN) is None
    with pytest.raises(ValueError):
        book.mark(kept["id"], "lost")


def test_deliveries_are_leased_retried_and_finished(book):
    one = book.add(lead(sender_id="1"), [TELEGRAM, EMAIL])
    two = book.add(lead(sender_id="2"), [TELEGRAM])
    claimed = book.claim_deliveries([TELEGRAM], now=1_000)
    assert [(d["lead_id"], d["destination"]) for d in claimed] == [(one["id"], TELEGRAM),
                                                                   (two["id"], TELEGRAM)]
    assert book.claim_deliveries([TELEGRAM], now=1_001) == []  # leased
    book.delivery_failed(claimed[0]["id"], "Bot API: HTTP 502", retry_at=1_050)
    book.delivered(claimed[1]["id"], {"message_id": 7})
    assert book.claim_deliveries([TELEGRAM], now=1_040) == []  # backing off
    (again,) = book.claim_deliveries([TELEGRAM], now=1_060)
    assert again["id"] == claimed[0]["id"] and again["attempts"] == 1
    assert again["last_error"] == "Bot API: HTTP 502"
    book.delivered(again["id"], {"message_id": 8})
    assert book.claim_deliveries([TELEGRAM], now=1e12) == []
    assert [d["destination"] for d in book.claim_deliveries([EMAIL], now=1_100)] == [EMAIL]
    assert book.get(two["id"])["deliveries"][0]["external"] == {"message_id": 7}


def test_an_abandoned_lease_is_taken_over(book):
    book.add(lead(), [EMAIL])
    (first,) = book.claim_deliveries([EMAIL], now=1_000, lease_seconds=60)
    (second,) = book.claim_deliveries([EMAIL], now=1_061, lease_seconds=60)  # the first died
    assert first["id"] == second["id"]


def test_two_workers_never_hold_the_same_delivery(book):
    for i in range(20):
        book.add(lead(sender_id=str(i)), [TELEGRAM])
    got, lock = [], threading.Lock()

    def worker():
        for _ in range(10):
            mine = book.claim_deliveries([TELEGRAM], now=1_000, limit=3)
            with lock:
                got.extend(d["id"] for d in mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 20 and len(set(got)) == 20


def test_a_delivery_set_aside_can_be_requeued(book):
    kept = book.add(lead(), [EMAIL])
    (d,) = book.claim_deliveries([EMAIL], now=1)
    book.delivery_failed(d["id"], "550 no such user", retry_at=2, give_up=True)
    assert book.get(kept["id"])["deliveries"][0]["status"] == FAILED
    assert book.claim_deliveries([EMAIL], now=1e12) == []
    assert book.requeue_failed() == 1
    assert len(book.claim_deliveries([EMAIL], now=3)) == 1


def test_amocrm_reports_by_our_request_id(book):
    kept = book.add(lead(ref="req-42"), [AMOCRM])
    assert book.claim_deliveries([TELEGRAM, EMAIL], now=1e12) == []  # amoCRM is not the job's
    assert book.mark_delivered_by_ref("req-42", AMOCRM, {"contact_id": 5, "lead_id": 9})
    (d,) = book.get(kept["id"])["deliveries"]
    assert (d["status"], d["external"]) == (DONE, {"contact_id": 5, "lead_id": 9})
    assert not book.mark_delivered_by_ref("nobody", AMOCRM)
    # a lead kept before amoCRM was configured gets its row when the relay reports
    late = book.add(lead(ref="req-43"))
    assert book.mark_delivered_by_ref("req-43", AMOCRM, {"lead_id": 10})
    assert [(d["destination"], d["status"]) for d in book.get(late["id"])["deliveries"]] == [
        (AMOCRM, DONE)]


def test_export_csv_has_every_lead_and_its_state(book):
    a = book.add(lead(name="Анна, «Ромашка»"), [EMAIL], now=1_764_000_000)
    book.add(lead(kind="callback", name=None, telegram_username=None, phone="+79031112233"),
             now=1_764_000_100)
    book.mark(a["id"], TAKEN, by="@olga")
    out = io.StringIO()
    assert book.export_csv(out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][:4] == ["id", "создана (МСК)", "вид", "статус"]
    first, second = rows[1], rows[2]
    assert first[1] == "24.11.2025 19:00"  # Moscow time
    assert first[2:6] == ["Просмотр объекта", "взята", "Анна, «Ромашка»", "+79161234567"]
    assert first[6] == "@anna" and first[10] == "@olga" and first[12] == "email: pending"
    assert "Клиент хочет записаться на просмотр." in first[13]
    assert second[2] == "Обратный звонок" and second[5] == "+79031112233"


def test_the_same_request_again_soon_is_one_lead(book):
    first = book.add(lead(kind="request", summary="Сводка\nВремя: 05.12.2026 10:00."), [EMAIL],
                     now=1_000, repeat_window=1800)
    again = book.add(lead(kind="request", summary="Сводка\nВремя: 05.12.2026 10:03."), [EMAIL],
                     now=1_180, repeat_window=1800)
    assert again["id"] == first["id"] and again["repeated"]
    assert len(book.claim_deliveries([EMAIL], now=2_000)) == 1  # one message to the managers
    # anything new is a new lead: other contacts, another summary, later, or already handled
    for changes, now in [({"phone": "+79030000000"}, 1_200), ({"summary": "Другая сводка"}, 1_200),
                         ({}, 1_000 + 1801)]:
        other = book.add(lead(**{"kind": "request", "summary": "Сводка\nВремя: 05.12.2026 10:00.",
                                 **changes}), now=now, repeat_window=1800)
        assert other["id"] != first["id"] and not other.get("repeated"), changes
    handled = book.add(lead(sender_id="h", kind="request"), now=5_000)
    book.mark(handled["id"], HANDLED)
    assert book.add(lead(sender_id="h", kind="request"), now=5_010,
                    repeat_window=1800)["id"] != handled["id"]
