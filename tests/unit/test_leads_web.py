"""The leads page behind a token: off without one, refused without it, filters, CSV, escaping."""

import csv
import io
import itertools
import re

import pytest
from rasa.core.channels.channel import register
from sanic import Sanic
from sanic_testing.testing import SanicTestClient

from wewall.leads.book import EMAIL, HANDLED, get_book, reset_books
from wewall.leads.web import COOKIE, LeadsPageInput

TOKEN = "t0ken-for-managers"
_names = itertools.count()


@pytest.fixture(autouse=True)
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("WEWALL_LEADS_URL", f"sqlite:///{tmp_path / 'leads.db'}")
    monkeypatch.setenv("WEWALL_LEADS_WEB_TOKEN", TOKEN)
    reset_books()
    yield monkeypatch
    reset_books()


@pytest.fixture
def client():
    app = Sanic(f"leads_test_{next(_names)}")
    register([LeadsPageInput()], app, route="/webhooks/")
    return SanicTestClient(app, port=None)


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def keep(**kw):
    lead = {"kind": "viewing", "sender_id": "u1", "channel": "telegram", "name": "Анна",
            "phone": "+79161234567", "summary": "Клиент хочет записаться на просмотр."}
    destinations = kw.pop("destinations", [])
    now = kw.pop("now", None)
    lead.update(kw)
    return get_book().add(lead, destinations, now=now)


def ids(text):
    return [int(x) for x in re.findall(r'<tr class="lead" data-id="(\d+)"', text)]


def test_off_without_a_token(client, env):
    env.delenv("WEWALL_LEADS_WEB_TOKEN")
    _, res = client.get("/webhooks/leads/")
    assert res.status == 404 and "WEWALL_LEADS_WEB_TOKEN" in res.text


@pytest.mark.parametrize("headers, url, status", [
    ({}, "/webhooks/leads/", 401),
    ({"Authorization": "Bearer wrong"}, "/webhooks/leads/", 401),
    ({}, "/webhooks/leads/?token=wrong", 403),
    ({}, "/webhooks/leads/leads.csv", 401),
])
def test_refused_without_the_right_token(client, headers, url, status):
    keep()
    _, res = client.get(url, headers=headers)
    assert res.status == status and "Анна" not in res.text


def test_a_token_in_the_link_becomes_a_cookie_and_leaves_the_url(client):
    _, res = client.get(f"/webhooks/leads/?token={TOKEN}&status=all", allow_redirects=False)
    assert res.status == 302 and res.headers["location"] == "/webhooks/leads/?status=all"
    cookie = res.headers["set-cookie"]
    assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    _, page = client.get("/webhooks/leads/?status=all", cookies={COOKIE: TOKEN})
    assert page.status == 200


def test_the_list_with_filters(client):
    a = keep(now=1_764_000_000)
    b = keep(kind="callback", name="Иван", phone="+79031112233", sender_id="u2", now=1_764_100_000,
             destinations=[EMAIL])
    c = keep(kind="request", name="<script>alert(1)</script>", phone=None,
             telegram_username="olga", sender_id="u3", now=1_764_200_000)
    get_book().mark(a["id"], HANDLED, by="Ольга")
    _, res = client.get("/webhooks/leads/", headers=AUTH)
    assert res.status == 200 and ids(res.text) == [c["id"], b["id"]]  # open ones, newest first
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in res.text and "<script>" not in res.text
    assert "default-src 'none'" in res.headers["content-security-policy"]
    assert "почта: ждёт" in res.text and 'href="https://t.me/olga"' in res.text
    for query, expected in [
        ("status=all", [c["id"], b["id"], a["id"]]),
        ("status=handled", [a["id"]]),
        ("status=all&kind=callback", [b["id"]]),
        ("status=all&since=2025-11-25", [c["id"], b["id"]]),
        ("status=all&q=8 903 111-22-33", [b["id"]]),
        ("status=all&q=@olga", [c["id"]]),
        ("status=all&q=анна", [a["id"]]),
    ]:
        _, res = client.get(f"/webhooks/leads/?{query}", headers=AUTH)
        assert ids(res.text) == expected, query


def test_bad_filters_get_a_clear_answer(client):
    keep()
    _, res = client.get("/webhooks/leads/?since=вчера", headers=AUTH)
    assert res.status == 400 and "ГГГГ-ММ-ДД" in res.text


def test_csv_with_the_pages_filters(client):
    keep(name="Анна")
    keep(kind="callback", name="Иван", sender_id="u2")
    _, res = client.get("/webhooks/leads/leads.csv?kind=callback", headers=AUTH)
    assert res.status == 200 and res.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(res.body.decode("utf-8-sig"))))
    assert [r[4] for r in rows[1:]] == ["Иван"]
