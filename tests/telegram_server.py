"""A local Telegram Bot API server for tests: real HTTP on loopback, in a thread.

    with TelegramServer(token="123:ABC…") as tg:          # http://127.0.0.1:<port>
        env = {"TELEGRAM_API_BASE_URL": tg.base_url, ...}
        tg.wait_for("setWebhook")                          # the bot registered itself
        tg.send_text(chat_id=42, text="/start promo42")    # POSTs an update to the webhook
        tg.wait_for("sendMessage", chat_id=42)

It answers the methods the bot uses (getMe, setWebhook, deleteWebhook, setMyCommands,
sendMessage, sendPhoto, sendDocument, answerCallbackQuery, getChatMember,
editMessageReplyMarkup) the way Telegram does (`{"ok": true, "result": …}`, 401 for a wrong
token, 404 for an unknown method), records every call with its parameters (JSON, urlencoded or
multipart; uploaded files as name and size), and posts updates to the webhook the bot set, with
the secret it gave (or any other headers, for the refusal tests).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import aiohttp
from aiohttp import web


@dataclass
class Call:
    method: str
    params: Dict[str, Any]
    files: Dict[str, int] = field(default_factory=dict)  # field name -> uploaded bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> Optional[str]:
        value = self.params.get("chat_id")
        return None if value is None else str(value)


def _decode(value: str) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class TelegramServer:
    def __init__(self, token: str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", username: str = "wewall_test_bot"):
        self.token = token
        self.username = username
        self.calls: List[Call] = []
        self.members: Dict[int, str] = {}  # user_id -> status in the subscription channel
        self.webhook: Dict[str, Any] = {}
        self.sent_per_chat: collections.Counter[str] = collections.Counter()  # send* calls per chat
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._runner: Optional[web.AppRunner] = None
        self._session: Optional[aiohttp.ClientSession] = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TelegramServer:
        started = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._start())
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="telegram-server", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the local Bot API server did not start")
        return self

    async def _start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))

    def stop(self) -> None:
        if not self._loop:
            return

        async def _stop() -> None:
            if self._session:
                await self._session.close()
            if self._runner:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)
        self._loop = None

    def __enter__(self) -> TelegramServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- the Bot API -----------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params: Dict[str, Any] = dict(request.query)
        files: Dict[str, int] = {}
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = len(value.file.read())
                    params[key] = f"<upload {value.filename}>"
                else:
                    params[key] = _decode(value)
        call = Call(method, params, files)
        with self._cond:
            self.calls.append(call)
            if method.lower().startswith("send") and call.chat_id is not None:
                self.sent_per_chat[call.chat_id] += 1
            self._cond.notify_all()
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found: method not found"}, status=404)
        result = handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _user(self) -> Dict[str, Any]:
        return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "WeWall", "username": self.username}

    def _m_getme(self, _: Dict[str, Any]) -> Any:
        return self._user()

    def _m_setwebhook(self, params: Dict[str, Any]) -> Any:
        self.webhook = dict(params)
        return True

    def _m_deletewebhook(self, _: Dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    def _m_setmycommands(self, _: Dict[str, Any]) -> Any:
        return True

    def _m_answercallbackquery(self, _: Dict[str, Any]) -> Any:
        return True

    def _message(self, params: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]) if str(params.get("chat_id", "")).lstrip("-").isdigit() else 0, "type": "private"},
            "from": self._user(),
        }
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        message.update(extra)
        return message

    def _m_sendmessage(self, params: Dict[str, Any]) -> Any:
        if not str(params.get("text", "")).strip():
            return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}, status=400)
        if len(str(params["text"])) > 4096:
            return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}, status=400)
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []) if isinstance(markup, dict) else []:
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > 64:
                    return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: BUTTON_DATA_INVALID"}, status=400)
        return self._message(params, text=params["text"])

    def _m_sendphoto(self, params: Dict[str, Any]) -> Any:
        return self._message(params, photo=[{"file_id": "photo1", "file_unique_id": "p1", "width": 800, "height": 600}])

    def _m_senddocument(self, params: Dict[str, Any]) -> Any:
        return self._message(params, document={"file_id": "doc1", "file_unique_id": "d1"})

    def _m_editmessagereplymarkup(self, params: Dict[str, Any]) -> Any:
        return self._message(params)

    def _m_getchatmember(self, params: Dict[str, Any]) -> Any:
        user_id = int(params.get("user_id", 0))
        status = self.members.get(user_id, "left")
        return {"user": {"id": user_id, "is_bot": False, "first_name": "Клиент"}, "status": status}

    # --- what the tests use --------------------------------------------------------------------
    def calls_of(self, method: str, chat_id: Any = None, since: int = 0) -> List[Call]:
        with self._lock:
            return [
                c for c in self.calls[since:]
                if c.method.lower() == method.lower() and (chat_id is None or c.chat_id == str(chat_id))
            ]

    def sent_to(self, chat_id: Any) -> int:
        """How many messages (sendMessage, sendPhoto, …) the bot has sent to chat_id so far."""
        with self._lock:
            return self.sent_per_chat[str(chat_id)]

    def forget_calls(self) -> None:
        """Drops the recorded calls (long load tests); the per-chat counters stay."""
        with self._lock:
            self.calls.clear()

    def mark(self) -> int:
        """Index to pass as `since` to see only the calls made after now."""
        with self._lock:
            return len(self.calls)

    def wait_for(self, method: str, chat_id: Any = None, since: int = 0, count: int = 1,
                 timeout: float = 60, where: Optional[Callable[[Call], bool]] = None) -> List[Call]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [
                    c for c in self.calls[since:]
                    if c.method.lower() == method.lower()
                    and (chat_id is None or c.chat_id == str(chat_id))
                    and (where is None or where(c))
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.chat_id) for c in self.calls[since:]][-20:]
                    raise AssertionError(f"no {count}× {method} to {chat_id} in {timeout}s; calls: {seen}")
                self._cond.wait(min(left, 0.5))

    def post_raw(self, body: bytes, headers: Optional[Dict[str, str]] = None, url: Optional[str] = None,
                 timeout: float = 120) -> tuple[int, Any]:
        """POSTs bytes to the webhook; (status, JSON or text)."""
        target = url or self.webhook.get("url")
        if not target:
            raise AssertionError("the bot has not called setWebhook")

        async def post() -> tuple[int, Any]:
            assert self._session is not None
            async with self._session.post(target, data=body, headers=headers or {}) as reply:
                text = await reply.text()
                try:
                    return reply.status, json.loads(text)
                except ValueError:
                    return reply.status, text

        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(post(), self._loop).result(timeout)

    def post_update(self, update: Dict[str, Any], secret: Optional[str] = "<webhook>", **kw: Any) -> tuple[int, Any]:
        """An update as Telegram sends it: with the secret the bot registered unless told otherwise."""
        headers = {"Content-Type": "application/json"}
        if secret == "<webhook>":
            secret = self.webhook.get("secret_token")
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        update.setdefault("update_id", next(self._update_ids))
        return self.post_raw(json.dumps(update, ensure_ascii=False).encode("utf-8"), headers, **kw)

    @staticmethod
    def _from(user_id: int) -> Dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Иван", "username": f"user{user_id}", "language_code": "ru"}

    def text_update(self, chat_id: int, text: str) -> Dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "Иван"},
                "from": self._from(chat_id),
                "text": text,
            },
        }

    def send_text(self, chat_id: int, text: str, **kw: Any) -> tuple[int, Any]:
        return self.post_update(self.text_update(chat_id, text), **kw)

    def press(self, chat_id: int, callback_data: str, message: Optional[Dict[str, Any]] = None, **kw: Any) -> tuple[int, Any]:
        """A tap on an inline button (a callback_query), on `message` if given (the bot's message)."""
        message = message or {"message_id": next(self._message_ids), "date": int(time.time()),
                               "chat": {"id": chat_id, "type": "private"}, "text": "…"}
        update = {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": f"cb{next(self._update_ids)}",
                "from": self._from(chat_id),
                "chat_instance": "1",
                "message": message,
                "data": callback_data,
            },
        }
        return self.post_update(update, **kw)

    def last_keyboard(self, chat_id: Any, since: int = 0) -> List[Dict[str, Any]]:
        """The inline buttons of the newest message with an inline keyboard sent to chat_id."""
        for call in reversed(self.calls_of("sendMessage", chat_id, since)):
            markup = call.params.get("reply_markup")
            if isinstance(markup, dict) and markup.get("inline_keyboard"):
                return [b for row in markup["inline_keyboard"] for b in row]
        return []

    def texts(self, chat_id: Any, since: int = 0) -> List[str]:
        return [str(c.params.get("text", "")) for c in self.calls_of("sendMessage", chat_id, since)]
