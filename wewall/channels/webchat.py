"""The web chat page, served by the Rasa server itself: `GET /webhooks/webchat/`.

Named in credentials.yml, so Rasa mounts it at `/webhooks/webchat`. The page talks to the
socket.io channel of the same server (`socketio` in credentials.yml); its client library is
`socket.io-client` from the npm registry (`web/package.json`, installed by `make install` with
`npm ci`), the small interface is ours (`web/static/`). Nothing comes from a CDN.

Only the files listed in `ASSETS` are served, looked up by exact name: no directory listing,
no paths, so nothing outside them can be reached.

Options in credentials.yml (all optional):
  title, subtitle, placeholder  — texts of the page (Russian by default);
  init_payload                  — sent once when a new visitor opens the page (the greeting);
  socketio_path                 — must match the socketio channel (default `/socket.io`);
  web_dir                       — the `web/` folder (default: next to the `wewall` package).
The page may be embedded in an <iframe> on the origins listed in WEWALL_CORS_ORIGINS.

`SocketIOInput` here is Rasa's socket.io channel with one fix, and credentials.yml names it
instead of `socketio`: Rasa 3.6 calls `sio.enter_room()` without `await`, which python-socketio
≥ 5.10 made a coroutine, so with `session_persistence: true` the socket never joins the session's
room and no answer ever reaches the browser (RasaHQ/rasa#13027, unfixed in 3.6). It also issues
the session ids and binds them to their socket (see the class). Same name (`socketio`), options,
events and URLs as Rasa's channel.
"""

from __future__ import annotations

import html
import inspect
import json
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request

from wewall import logs
from wewall.channels import guard, identity, replies
from wewall.channels.base import NamedChannel, page_headers
from wewall.channels.rest import clean_text, guard_payload
from wewall.settings import get_settings

MAX_MESSAGE = 4096

DEFAULT_WEB_DIR = Path(__file__).resolve().parents[2] / "web"

# name in the URL -> (path inside web/, content type)
ASSETS: Dict[str, tuple] = {
    "webchat.js": ("static/webchat.js", "text/javascript; charset=utf-8"),
    "webchat.css": ("static/webchat.css", "text/css; charset=utf-8"),
    "logo.svg": ("static/logo.svg", "image/svg+xml"),
    "socket.io.min.js": ("node_modules/socket.io-client/dist/socket.io.min.js", "text/javascript; charset=utf-8"),
}
PAGE = "static/index.html"

DEFAULTS = {
    "title": "WEWALL — чат с ассистентом",
    "subtitle": "Коммерческая недвижимость Москвы: офисы и торговые помещения",
    "placeholder": "Напишите сообщение…",
    "init_payload": "/greet",
    "socketio_path": "/socket.io",
    "user_message_evt": "user_uttered",
    "bot_message_evt": "bot_uttered",
}


def frame_ancestors(origins: Optional[str]) -> str:
    """CSP frame-ancestors from WEWALL_CORS_ORIGINS: the site that may embed the chat."""
    items = [o for o in (origins or "").replace(",", " ").split() if o]
    if "*" in items:
        return "*"
    return " ".join(["'self'"] + items)


def security_headers(origins: Optional[str]) -> Dict[str, str]:
    csp = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            # the chart may live behind WEWALL_PUBLIC_BASE_URL on another host (nginx)
            "img-src 'self' data: http: https:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"frame-ancestors {frame_ancestors(origins)}",
        ]
    )
    return page_headers(csp, referrer="same-origin", cache="no-cache")


class WebChatInput(NamedChannel):
    channel_name = "webchat"

    def __init__(self, web_dir: Optional[str] = None, **options: Any) -> None:
        unknown = set(options) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"webchat: неизвестные параметры в credentials.yml: {sorted(unknown)}")
        self.web_dir = Path(web_dir) if web_dir else DEFAULT_WEB_DIR
        self.options = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}

    def page_config(self) -> Dict[str, str]:
        o = self.options
        return {
            "title": o["title"],
            "subtitle": o["subtitle"],
            "placeholder": o["placeholder"],
            "initPayload": o["init_payload"],
            "socketPath": o["socketio_path"],
            "userEvent": o["user_message_evt"],
            "botEvent": o["bot_message_evt"],
        }

    def render_page(self) -> Optional[str]:
        path = self.web_dir / PAGE
        if not path.is_file():
            return None
        config = json.dumps(self.page_config(), ensure_ascii=False)
        # inside <script type="application/json">: nothing may close the tag
        config = config.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        text = path.read_text(encoding="utf-8")
        return text.replace("__WEWALL_TITLE__", html.escape(self.options["title"])).replace(
            "__WEWALL_CONFIG__", config
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        chat = Blueprint("wewall_webchat", __name__)
        headers = security_headers(get_settings().cors_origins)

        def not_found(what: str = "нет такого файла") -> response.HTTPResponse:
            return response.json({"error": what}, status=404, headers={"X-Content-Type-Options": "nosniff"})

        def page() -> response.HTTPResponse:
            text = self.render_page()
            if text is None:
                return not_found("страница веб-чата не найдена")
            return response.html(text, headers=headers)

        @chat.route("/", methods=["GET"])
        async def root(request: Request):
            if not request.path.endswith("/"):
                # the page's asset URLs are relative: they need the trailing slash
                return response.redirect(request.path + "/")
            return page()

        # `/webhooks/webchat/` itself arrives here with an empty name
        @chat.route("/<name>", methods=["GET"])
        async def asset(_: Request, name: str):
            if name == "":
                return page()
            entry = ASSETS.get(name)
            if entry is None:
                return not_found()
            relative, content_type = entry
            path = self.web_dir / relative
            if not path.is_file():
                hint = " (выполните `make install`: npm ci в web/)" if "node_modules" in relative else ""
                return not_found(f"нет файла {relative}{hint}")
            return await response.file(
                str(path), mime_type=content_type, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
            )

        return guard.attach(chat)


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io channel with server-issued sessions bound to their socket.

    * `session_request` really joins the session's room (Rasa forgets the `await`);
    * session ids are issued by the server (wewall/channels/identity.py): a client may bring back
      one it was given (a reload continues the conversation), anything else gets a new one;
    * the conversation of a message is the one bound to the socket that sent it: the
      `session_id` inside a message is ignored, so no socket can write into another's
      conversation or receive its answers;
    * the conversation key is `web:<id>`; the client's `metadata` is kept under
      `metadata.socketio` (nothing takes it for the client's name or phone);
    * a message whose handling failed gets an apology instead of silence (replies.turn).
    """

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        logs.install()  # the server builds its channels at start: masked logs from then on
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        sessions: Dict[str, str] = {}  # socket id -> conversation key
        identity.secret()  # read (or created) at start, not in the first request
        self.sessions = sessions

        async def bind(sid: Text, requested: Any) -> None:
            token = requested if identity.verify(identity.WEB, requested) and self.session_persistence else None
            token = token or identity.issue(identity.WEB)
            key = identity.verify(identity.WEB, token)
            assert key is not None  # the token verified above or was just issued
            previous = sessions.get(sid)
            if previous and previous != key:
                left = sio.leave_room(sid, previous, namespace=self.namespace)
                if inspect.isawaitable(left):
                    await left
            sessions[sid] = key
            joined = sio.enter_room(sid, key, namespace=self.namespace)
            if inspect.isawaitable(joined):  # python-socketio >= 5.10
                await joined
            await sio.emit("session_confirm", token, room=sid, namespace=self.namespace)

        # registering an event again replaces Rasa's handler
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            await bind(sid, data.get("session_id") if isinstance(data, dict) else None)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            sessions.pop(sid, None)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                return
            if sid not in sessions:  # a client that skipped session_request: give it one
                await bind(sid, None)
            key = sessions[sid]
            text = guard_payload(clean_text(data["message"][:MAX_MESSAGE]))
            metadata = data.get(self.metadata_key)
            metadata = {"socketio": metadata} if isinstance(metadata, dict) and metadata else None
            output = SocketIOOutput(sio, self.bot_message_evt)
            with logs.bind_conversation(identity.short(key), channel="socketio"):  # not in full
                async with replies.turn(output, key, text) as out:
                    await on_new_message(UserMessage(text, out, key, input_channel=self.name(), metadata=metadata))

        return guard.attach(socketio_webhook)
