"""The local amoCRM server itself: the webhooks it sends, and the checks it makes."""

import asyncio
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from tests.amocrm_server import AmoCrmServer, amocrm_env, amocrm_server  # noqa: F401
from wewall.crm import AmoChats, CrmSettings, verify_webhook
from wewall.crm.signing import dump_body, sign_request

CONV = "tg-100500"


class Sink:
    """A bot-side webhook endpoint in the test's own loop, recording what arrives."""

    def __init__(self):
        self.received = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.match_info.get("tail", ""), dict(request.headers),
                              await request.read()))
        return web.Response(text="ok")


@pytest_asyncio.fixture
async def sink():
    s = Sink()
    app = web.Application()
    app.router.add_post("/webhooks/amocrm/{tail:.*}", s.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    s.url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/amocrm"
    yield s
    await runner.cleanup()


@pytest.mark.asyncio
async def test_manager_webhook_is_signed_over_the_raw_body(amocrm_env, sink):
    server = amocrm_env
    async with AmoChats(CrmSettings(timeout_seconds=2)) as chats:
        await chats.connect(server.account_id)
        chat_id = await chats.create_chat(CONV, user_id="tg-user-1", name="Иван")
        await chats.send_client_message(conversation_id=CONV, msgid="m-1", user_id="tg-user-1",
                                        name="Иван", text="Хочу к менеджеру")

    status, _ = await server.asend_manager_message(f"{sink.url}/{server.scope_id}", CONV,
                                                   "Здравствуйте, я Анна")
    assert status == 200
    tail, headers, raw = sink.received[0]
    assert tail == server.scope_id
    assert verify_webhook(server.channel_secret, raw, headers["X-Signature"])
    data = json.loads(raw)
    m = data["message"]
    assert data["account_id"] == server.account_id
    assert m["conversation"] == {"id": chat_id, "client_id": CONV}
    assert m["receiver"]["client_id"] == "tg-user-1"
    assert m["message"]["type"] == "text" and m["message"]["text"] == "Здравствуйте, я Анна"
    assert [x["author"] for x in server.messages(CONV)] == ["client", "manager"]


@pytest.mark.asyncio
async def test_manager_webhook_variants(amocrm_server, sink):
    server = amocrm_server
    url = f"{sink.url}/{server.scope_id}"
    assert (await server.asend_manager_message(url, None, "Чат начат из amoCRM"))[0] == 200
    assert (await server.asend_manager_message(url, CONV, "Подделка", bad_signature=True))[0] == 200
    (_, h1, raw1), (_, h2, raw2) = sink.received
    assert "client_id" not in json.loads(raw1)["message"]["conversation"]
    assert verify_webhook(server.channel_secret, raw1, h1["X-Signature"])
    assert not verify_webhook(server.channel_secret, raw2, h2["X-Signature"])


@pytest.mark.asyncio
async def test_talk_update_webhook_is_form_encoded(amocrm_server, sink):
    status, _ = await amocrm_server.asend_talk_update(
        sink.url + "/talk", talk_id=17, chat_id="chat-uuid", contact_id=42, entity_id=99,
        is_in_work=False)
    assert status == 200
    _, headers, raw = sink.received[0]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    assert form["talk[update][0][talk_id]"] == "17"
    assert form["talk[update][0][chat_id]"] == "chat-uuid"
    assert form["talk[update][0][contact_id]"] == "42"
    assert form["talk[update][0][entity_id]"] == "99"
    assert form["talk[update][0][is_in_work]"] == "0"
    assert form["talk[update][0][is_read]"] == "1"


def test_sync_senders_work_from_a_plain_thread(amocrm_server):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append((self.path, self.headers.get("X-Signature"), self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
        assert amocrm_server.send_manager_message(url + "/scope", CONV, "Добрый день")[0] == 204
        assert amocrm_server.send_talk_update(url, talk_id=1, chat_id="c", contact_id=2)[0] == 204
    finally:
        httpd.shutdown()
        httpd.server_close()
    (path, signature, raw), (path2, _, _) = received
    assert path == "/hook/scope" and path2 == "/hook"
    assert verify_webhook(amocrm_server.channel_secret, raw, signature)


# ---------------------------------------------------------------- the server's own checks


@pytest.mark.asyncio
async def test_server_refuses_what_amojo_refuses(amocrm_server):
    server = amocrm_server
    path = f"/v2/origin/custom/{server.channel_id}/connect"
    body = dump_body({"account_id": server.account_id, "title": "t", "hook_api_version": "v2"})
    good = sign_request(server.channel_secret, "POST", path, body)
    cases = {
        "good": (body, good),
        "body changed after signing": (body.replace(b'"t"', b'"T"'), good),
        "md5 uppercase": (body, {**good, "Content-MD5": good["Content-MD5"].upper()}),
        "no signature": (body, {k: v for k, v in good.items() if k != "X-Signature"}),
        "stale date": (body, sign_request(server.channel_secret, "POST", path, body,
                                          date=time.time() - 20 * 60)),
        "path not signed": (body, sign_request(server.channel_secret, "POST", "/other", body)),
    }
    results = {}
    async with aiohttp.ClientSession() as http:
        for name, (data, headers) in cases.items():
            async with http.post(server.base_url + path, data=data, headers=headers) as resp:
                results[name] = (resp.status, (await resp.json()).get("error"))
    assert results["good"][0] == 200
    assert {k: v[0] for k, v in results.items() if k != "good"} == {
        k: 403 for k in cases if k != "good"}
    assert "Content-MD5" in results["body changed after signing"][1]
    assert "15 minutes" in results["stale date"][1]


@pytest.mark.asyncio
async def test_rest_needs_the_current_bearer_token(amocrm_server):
    server = amocrm_server
    url = server.base_url + "/api/v4/account"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as r1, \
                http.get(url, headers={"Authorization": "Bearer wrong"}) as r2, \
                http.get(url, headers={"Authorization": f"Bearer {server.access_token}"}) as r3:
            assert (r1.status, r2.status, r3.status) == (401, 401, 200)
            assert "amojo_id" not in await r3.json()  # only with ?with=amojo_id


@pytest.mark.asyncio
async def test_fault_window_closes(amocrm_server):
    server = amocrm_server
    server.fail("500", seconds=0.2)
    url = server.base_url + "/api/v4/leads/pipelines"
    headers = {"Authorization": f"Bearer {server.access_token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=headers) as resp:
            assert resp.status == 500
        await asyncio.sleep(0.25)
        async with http.get(url, headers=headers) as resp:
            assert resp.status == 200


def test_stop_is_quick_even_with_a_hanging_request():
    server = AmoCrmServer(hang_seconds=30).start()
    server.fail("timeout")
    done = threading.Event()

    def hang():
        import urllib.request
        try:
            urllib.request.urlopen(server.base_url + "/api/v4/account", timeout=5)
        except Exception:
            pass
        done.set()

    threading.Thread(target=hang, daemon=True).start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    assert done.wait(3)
