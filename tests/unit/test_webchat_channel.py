"""The web chat channel: the page and its assets are served, nothing else is."""

import itertools
import json
import logging
import re
from pathlib import Path

import pytest
import pytest_asyncio
from rasa.core.channels.channel import register
from sanic import Sanic
from sanic_testing.testing import SanicTestClient

from wewall.channels.webchat import ASSETS, DEFAULT_WEB_DIR, WebChatInput, frame_ancestors

_names = itertools.count()


def make_client(channel: WebChatInput) -> SanicTestClient:
    app = Sanic(f"webchat_test_{next(_names)}")
    register([channel], app, route="/webhooks/")
    return SanicTestClient(app, port=None)


@pytest.fixture
def web_dir(tmp_path) -> Path:
    """A web/ folder like the real one, with a fake socket.io bundle (no npm needed)."""
    static = tmp_path / "web" / "static"
    static.mkdir(parents=True)
    for name in ("index.html", "webchat.js", "webchat.css", "logo.svg"):
        (static / name).write_bytes((DEFAULT_WEB_DIR / "static" / name).read_bytes())
    vendor = tmp_path / "web" / "node_modules" / "socket.io-client" / "dist"
    vendor.mkdir(parents=True)
    (vendor / "socket.io.min.js").write_text("/* socket.io */ window.io = function () {};")
    (tmp_path / "secret.txt").write_text("не для посторонних")
    return tmp_path / "web"


@pytest.fixture
def client(web_dir) -> SanicTestClient:
    return make_client(WebChatInput(web_dir=str(web_dir)))


def page_config(text: str) -> dict:
    match = re.search(r'<script id="wewall-config" type="application/json">(.*?)</script>', text, re.S)
    assert match, text
    return json.loads(match.group(1))


def test_the_page_is_served_in_russian(client):
    _, res = client.get("/webhooks/webchat/")
    assert res.status == 200
    assert res.headers["content-type"].startswith("text/html")
    assert "<title>WEWALL — чат с ассистентом</title>" in res.text
    config = page_config(res.text)
    assert config["placeholder"] == "Напишите сообщение…"
    assert config["initPayload"] == "/greet"
    assert config["socketPath"] == "/socket.io"
    assert (config["userEvent"], config["botEvent"]) == ("user_uttered", "bot_uttered")
    assert '<script src="socket.io.min.js"></script>' in res.text
    assert "__WEWALL_" not in res.text


def test_the_page_allows_nothing_from_outside(client):
    _, res = client.get("/webhooks/webchat/")
    csp = res.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "style-src 'self'" in csp
    assert res.headers["x-content-type-options"] == "nosniff"
    assert "http" not in re.sub(r"img-src[^;]*", "", csp)
    assert not re.search(r"(src|href)=\"(https?:)?//", res.text), "the page must not load anything from a CDN"


def test_without_the_trailing_slash_it_redirects(client):
    _, res = client.get("/webhooks/webchat", allow_redirects=False)
    assert res.status in (301, 302, 307, 308)
    assert res.headers["location"].endswith("/webhooks/webchat/")


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_every_asset_is_served_with_its_type(client, web_dir, name):
    _, res = client.get(f"/webhooks/webchat/{name}")
    assert res.status == 200, res.text
    assert res.headers["content-type"].split(";")[0] == ASSETS[name][1].split(";")[0]
    assert res.body == (web_dir / ASSETS[name][0]).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/webchat/nope.js",
        "/webhooks/webchat/index.html",
        "/webhooks/webchat/static/webchat.js",
        "/webhooks/webchat/package.json",
        "/webhooks/webchat/..%2Fsecret.txt",
        "/webhooks/webchat/%2e%2e%2fsecret.txt",
        "/webhooks/webchat/..%2F..%2Fsecret.txt",
        "/webhooks/webchat/../secret.txt",
        "/webhooks/webchat/static%2F..%2F..%2Fsecret.txt",
        "/webhooks/webchat/node_modules%2Fsocket.io-client%2Fpackage.json",
        "/webhooks/webchat/%2Fetc%2Fpasswd",
        "/webhooks/webchat/webchat.js%00.png",
        "/webhooks/webchat/WEBCHAT.JS",
    ],
)
def test_unknown_paths_are_404_and_nothing_leaks(client, path):
    _, res = client.get(path)
    assert res.status == 404
    assert "не для посторонних" not in res.text
    assert "root:" not in res.text


def test_a_missing_npm_install_says_what_to_do(web_dir):
    (web_dir / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js").unlink()
    _, res = make_client(WebChatInput(web_dir=str(web_dir))).get("/webhooks/webchat/socket.io.min.js")
    assert res.status == 404
    assert "make install" in res.json["error"]


def test_options_from_credentials_reach_the_page_safely(web_dir):
    channel = WebChatInput.from_credentials(
        {"web_dir": str(web_dir), "title": "Чат </script><b>", "init_payload": "/start"}
    )
    _, res = make_client(channel).get("/webhooks/webchat/")
    assert "</script><b>" not in res.text
    assert "<title>Чат &lt;/script&gt;&lt;b&gt;</title>" in res.text
    config = page_config(res.text)
    assert config["title"] == "Чат </script><b>"
    assert config["initPayload"] == "/start"


def test_unknown_options_are_rejected():
    with pytest.raises(ValueError, match="titel"):
        WebChatInput.from_credentials({"titel": "опечатка"})


def test_credentials_yml_registers_the_channel():
    from rasa.core.run import create_http_input_channels

    root = Path(__file__).resolve().parents[2]
    channels = create_http_input_channels(None, str(root / "credentials.yml"))
    assert "webchat" in [c.name() for c in channels]
    assert "socketio" in [c.name() for c in channels]


def test_the_real_web_folder_has_the_page_and_the_lockfile():
    assert (DEFAULT_WEB_DIR / "static" / "index.html").is_file()
    lock = json.loads((DEFAULT_WEB_DIR / "package-lock.json").read_text())
    assert "node_modules/socket.io-client" in lock["packages"]


@pytest.mark.parametrize(
    "origins, expected",
    [
        (None, "'self'"),
        ("", "'self'"),
        ("https://wewall.ru, https://www.wewall.ru", "'self' https://wewall.ru https://www.wewall.ru"),
        ("*", "*"),
    ],
)
def test_the_site_may_embed_the_chat(origins, expected):
    assert frame_ancestors(origins) == expected


# ---- the socket.io channel the page talks to ---------------------------------------------------


async def _serve(channel, handler):
    from tests.e2e.harness import free_port

    app = Sanic(f"socketio_test_{next(_names)}")
    app.blueprint(channel.blueprint(handler), url_prefix="/webhooks/socketio")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    return server, f"http://127.0.0.1:{port}"


class Client:
    """A socket.io client of the chat: its confirmed session ids and the bot messages it got."""

    def __init__(self, url):
        import asyncio

        import socketio

        self.url = url
        self.sio = socketio.AsyncClient()
        self.got, self.confirmed = asyncio.Queue(), asyncio.Queue()
        self.sio.on("bot_uttered", self.got.put)
        self.sio.on("session_confirm", self.confirmed.put)

    async def __aenter__(self):
        # polling: python-engineio's websocket client needs a newer aiohttp than rasa allows
        await self.sio.connect(self.url, socketio_path="/socket.io", transports=["polling"])
        return self

    async def __aexit__(self, *exc):
        # a polite disconnect waits for the pending long poll (20 s and more): drop it instead
        await self.sio.eio.disconnect(abort=True)

    async def session(self, requested):
        import asyncio

        await self.sio.emit("session_request", {"session_id": requested})
        return await asyncio.wait_for(self.confirmed.get(), 10)

    async def say(self, text, session_id):
        import asyncio

        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})
        return await asyncio.wait_for(self.got.get(), 10)


@pytest_asyncio.fixture
async def socket_chat(monkeypatch):
    from wewall.channels import identity
    from wewall.channels.webchat import SocketIOInput

    monkeypatch.setenv("WEWALL_SECRET_KEY", "test-secret")
    identity.reset()
    channel = SocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True}
    )
    assert channel.name() == "socketio"
    seen = []

    async def handler(message):
        seen.append((message.sender_id, message.text))
        logging.getLogger("wewall.test.webchat").info("handled %s", message.text)
        await message.output_channel.send_text_with_buttons(
            message.sender_id, f"ответ на «{message.text}»", [{"title": "Кнопка", "payload": "/greet"}]
        )

    server, url = await _serve(channel, handler)
    try:
        yield url, seen
    finally:
        for connection in list(server.connections):
            connection.abort()  # the dropped long polls: end them while the loop still runs
        server.close()
        await server.wait_closed()
    identity.reset()


@pytest.mark.asyncio
async def test_socketio_session_persistence_delivers_answers_and_survives_reconnect(socket_chat):
    """Rasa 3.6 forgets `await sio.enter_room()`: with session_persistence no answer would arrive."""
    from wewall.channels import identity

    url, seen = socket_chat

    async def converse(requested):
        async with Client(url) as client:
            token = await client.session(requested)
            return token, await client.say("привет", token)

    first, answer = await converse(None)
    key = identity.verify("web", first)
    assert key and re.fullmatch(r"web:[0-9a-f]{24}", key)
    assert answer == {
        "text": "ответ на «привет»",
        "quick_replies": [{"content_type": "text", "title": "Кнопка", "payload": "/greet"}],
    }
    again, _ = await converse(first)  # a reload: the same conversation
    assert again == first
    stranger, _ = await converse("../../etc/passwd")  # not an id: a fresh one instead
    assert stranger != "../../etc/passwd" and identity.verify("web", stranger)
    assert [s for s, _ in seen] == [key, key, identity.verify("web", stranger)]


@pytest.mark.asyncio
async def test_socketio_turns_log_their_conversation(socket_chat, caplog):
    """Every log line of a web chat turn names its conversation (shortened: the id is a secret)."""
    from wewall.channels import identity

    url, _ = socket_chat
    with caplog.at_level(logging.INFO, logger="wewall.test.webchat"):
        async with Client(url) as client:
            token = await client.session(None)
            await client.say("привет", token)
    (record,) = [r for r in caplog.records if r.name == "wewall.test.webchat"]
    key = identity.verify("web", token)
    assert record.conversation_id == identity.short(key) and record.conversation_id != key


@pytest.mark.asyncio
async def test_socketio_a_second_client_gets_nothing_of_the_first(socket_chat):
    """Issue #22: any socket could join any session id and write into it by naming it."""
    import asyncio

    from wewall.channels import identity

    url, seen = socket_chat
    async with Client(url) as first:
        token = await first.session(None)
        key = identity.verify("web", token)
        assert (await first.say("мой телефон", token))["text"] == "ответ на «мой телефон»"
        # the key as it may show in a tracker, a made-up id, a Telegram chat id: none is accepted
        for guess in (key, key.split(":")[1], token.split(".")[0] + ".AAAAAAAAAAAAAAAA", "777000666", "tg:777000666"):
            async with Client(url) as second:
                own = await second.session(guess)
                assert own != token and identity.verify("web", own)
                # a message naming the first session goes to the second's own conversation
                answer = await second.say("чужое", token)
                assert answer["text"] == "ответ на «чужое»"
                assert seen[-1] == (identity.verify("web", own), "чужое")
        # one that never asked for a session gets its own too
        async with Client(url) as third:
            await third.sio.emit("user_uttered", {"message": "без сессии", "session_id": token})
            await asyncio.wait_for(third.got.get(), 10)
            assert seen[-1][0] not in (key,) and seen[-1][0].startswith("web:")
        await asyncio.sleep(0.5)
        assert first.got.empty(), "the first client received another client's answer"
    assert [text for sender, text in seen if sender == key] == ["мой телефон"]
