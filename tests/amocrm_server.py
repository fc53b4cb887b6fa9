"""A local amoCRM for tests: REST API v4, Chats API (amojo), and the webhooks amoCRM sends.

A real HTTP server on loopback (aiohttp.web in a background thread with its own loop), so
the clients are tested over real sockets, timeouts and all. Both APIs share one port:
point AMOCRM_API_BASE_URL and AMOCRM_CHATS_BASE_URL at `server.base_url` (`server.env()`).

It checks what amoCRM checks and does not import wewall.crm: the signature check below is
written out with hashlib/hmac, so a bug in the client's signing cannot be mirrored here and
pass unnoticed.

    server = AmoCrmServer().start()        # or the fixtures at the end of this file:
                                           # from tests.amocrm_server import amocrm_server
    ...  server.messages(conversation_id), server.leads, server.contacts, server.notes(lead_id)
    server.fail("500", requests=2)         # or seconds=0.3, or "429"/"timeout"/"disconnect"
    server.send_manager_message(url, conversation_id, "Здравствуйте!")
    server.stop()
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

MAIN_PIPELINE_ID = 7000001
APPEAL_PIPELINE_ID = 7000002
STATUS_CHAT_WITH_BOT = 70011
STATUS_HIGH_ENGAGEMENT = 70012
STATUS_ACTIVE_USER = 70013
STATUS_NEW_APPEAL = 70021
STATUS_CHAT_WITH_MANAGER = 70022
TG_USERNAME_FIELD_ID = 900001
LEAD_SOURCE_FIELD_ID = 900002

DEFAULT_PIPELINES = [
    {"id": MAIN_PIPELINE_ID, "name": "Основная воронка", "is_main": True, "statuses": [
        (STATUS_CHAT_WITH_BOT, "Чат с ботом"),
        (STATUS_HIGH_ENGAGEMENT, "Высокая вовлечённость"),
        (STATUS_ACTIVE_USER, "Активный пользователь"),
        (142, "Успешно реализовано"),
        (143, "Закрыто и не реализовано"),
    ]},
    {"id": APPEAL_PIPELINE_ID, "name": "Обращения", "is_main": False, "statuses": [
        (STATUS_NEW_APPEAL, "Новое обращение"),
        (STATUS_CHAT_WITH_MANAGER, "Чат с менеджером"),
        (142, "Успешно реализовано"),
        (143, "Закрыто и не реализовано"),
    ]},
]

FAULT_MODES = ("500", "502", "503", "504", "429", "timeout", "disconnect")


def _json(data: Any, status: int = 200, headers: Optional[Dict[str, str]] = None) -> web.Response:
    return web.Response(body=json.dumps(data, ensure_ascii=False).encode("utf-8"), status=status,
                        content_type="application/json", headers=headers)


def _problem(status: int, detail: str, **extra: Any) -> web.Response:
    return _json({"title": "error", "status": status, "detail": detail, **extra}, status)


class _Invalid(Exception):
    """A request amoCRM would answer with 400 (or the given status)."""

    def __init__(self, detail: str, status: int = 400):
        super().__init__(detail)
        self.detail = detail
        self.status = status


@dataclass
class _Fault:
    mode: str
    until: Optional[float]  # time.monotonic() deadline
    remaining: Optional[int]  # requests left to fail
    path_prefix: Optional[str]
    retry_after: Optional[str]
    after_processing: bool

    def active(self) -> bool:
        if self.until is not None and time.monotonic() >= self.until:
            return False
        return self.remaining is None or self.remaining > 0


class AmoCrmServer:
    def __init__(
        self,
        *,
        account_id: str = "6f2d7c52-amojo-account-wewall",
        account_numeric_id: int = 31415926,
        subdomain: str = "wewall",
        channel_id: str = "a3c2b1d0-wewall-channel",
        channel_secret: str = "channel-secret-for-tests-0123456789",
        client_id: str = "oauth-client-id-for-tests",
        client_secret: str = "oauth-client-secret-for-tests-0123456789",
        redirect_uri: str = "https://bot.example.test/oauth",
        access_token: str = "access-token-for-tests-0000000001",
        refresh_token: str = "refresh-token-for-tests-000000001",
        long_lived_token: Optional[str] = None,
        token_ttl: int = 86400,
        date_tolerance: float = 900.0,
        connected: bool = False,
        custom_field_ids: Optional[set] = frozenset({TG_USERNAME_FIELD_ID, LEAD_SOURCE_FIELD_ID}),
        pipelines: Optional[List[dict]] = None,
        hang_seconds: float = 10.0,
        host: str = "127.0.0.1",
    ):
        self.account_id = account_id
        self.account_numeric_id = account_numeric_id
        self.subdomain = subdomain
        self.channel_id = channel_id
        self.channel_secret = channel_secret
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.long_lived_token = long_lived_token
        self.token_ttl = token_ttl
        self.date_tolerance = date_tolerance
        self.custom_field_ids = custom_field_ids
        self.hang_seconds = hang_seconds
        self.host = host
        # Replace to test Date checks against a skewed clock.
        self.clock = time.time
        # True: every REST token gets 401, even a freshly refreshed one (a revoked integration).
        self.reject_all_tokens = False
        # Called (in a worker thread) after a request was carried out and before it is answered,
        # with (method, path, status): a crash test kills the client right there.
        self.after_handler: Optional[Any] = None

        self._lock = threading.RLock()
        self._ids = itertools.count(1000001)
        self._access_token = access_token
        self._access_expires = time.time() + token_ttl
        self._refresh_token = refresh_token
        self.refresh_count = 0
        self._pipelines = pipelines or DEFAULT_PIPELINES
        self._scopes = {self.scope_id} if connected else set()
        self._contacts: Dict[int, dict] = {}
        self._leads: Dict[int, dict] = {}
        self._notes: Dict[int, List[dict]] = {}
        self._chats: Dict[str, dict] = {}  # by our conversation_id
        self._chat_ids: Dict[str, str] = {}  # amojo chat id -> our conversation_id
        self._messages: Dict[str, List[dict]] = {}  # by our conversation_id, arrival order
        self._by_msgid: Dict[Tuple[str, str], dict] = {}  # (scope, our msgid) -> response
        self._chat_links: List[dict] = []
        self._requests: List[dict] = []
        self._faults: List[_Fault] = []

        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._runner: Optional[web.AppRunner] = None
        self._stopping: Optional[asyncio.Event] = None
        self._client: Optional[aiohttp.ClientSession] = None
        self.port: Optional[int] = None

    # ================================================================ lifecycle

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    @property
    def scope_id(self) -> str:
        return f"{self.channel_id}_{self.account_id}"

    def start(self) -> AmoCrmServer:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: List[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._startup())
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="amocrm-test-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("amoCRM test server did not start")
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> AmoCrmServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    async def _startup(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_post("/oauth2/access_token", self._oauth_token)
        r.add_get("/api/v4/account", self._account)
        r.add_get("/api/v4/contacts", self._find_contacts)
        r.add_post("/api/v4/contacts", self._create_contacts)
        r.add_patch("/api/v4/contacts", self._update_contacts)
        r.add_get(r"/api/v4/contacts/{contact_id:\d+}", self._get_contact)
        r.add_post("/api/v4/contacts/chats", self._link_chats)
        r.add_get("/api/v4/leads", self._find_leads)
        r.add_post("/api/v4/leads", self._create_leads)
        r.add_patch("/api/v4/leads", self._update_leads)
        r.add_get("/api/v4/leads/{lead_id}/notes", self._get_notes)
        r.add_post("/api/v4/leads/{lead_id}/notes", self._add_notes)
        r.add_get("/api/v4/leads/pipelines", self._get_pipelines)
        r.add_post("/v2/origin/custom/{channel_id}/connect", self._connect)
        r.add_post("/v2/origin/custom/{scope_id}/chats", self._create_chat)
        r.add_post("/v2/origin/custom/{scope_id}", self._new_message)
        # Short shutdown: a hanging "timeout" handler must not hold stop() for a minute.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))  # a free port chosen by the kernel, no race with others
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        self._stopping.set()
        if self._client is not None:
            await self._client.close()
        await self._runner.cleanup()

    # ================================================================ inspection

    @property
    def contacts(self) -> Dict[int, dict]:
        with self._lock:
            return copy.deepcopy(self._contacts)

    @property
    def leads(self) -> Dict[int, dict]:
        with self._lock:
            return copy.deepcopy(self._leads)

    @property
    def chats(self) -> Dict[str, dict]:
        with self._lock:
            return copy.deepcopy(self._chats)

    @property
    def chat_links(self) -> List[dict]:
        with self._lock:
            return [dict(x) for x in self._chat_links]

    @property
    def access_token(self) -> str:
        with self._lock:
            return self._access_token

    @property
    def refresh_token(self) -> str:
        with self._lock:
            return self._refresh_token

    def notes(self, lead_id: int) -> List[dict]:
        with self._lock:
            return [dict(n) for n in self._notes.get(int(lead_id), [])]

    def messages(self, conversation_id: str) -> List[dict]:
        """Messages of one of our conversations in arrival order (client, bot, manager)."""
        with self._lock:
            return copy.deepcopy(self._messages.get(conversation_id, []))

    def texts(self, conversation_id: str) -> List[str]:
        return [m["text"] for m in self.messages(conversation_id)]

    def requests(self, path_prefix: str = "", method: Optional[str] = None) -> List[dict]:
        """Every HTTP request in arrival order (also refused and failed ones).

        Each is {method, path, status, fault}; status is None while a request still hangs.
        """
        with self._lock:
            return [dict(r) for r in self._requests
                    if r["path"].startswith(path_prefix) and (method is None or r["method"] == method)]

    def expire_access_token(self) -> None:
        """The current access token now gets 401 (the client must refresh)."""
        with self._lock:
            self._access_expires = 0.0

    def env(self) -> Dict[str, str]:
        """Environment variables that point the bot's CRM settings at this server."""
        return {
            "AMOCRM_SUBDOMAIN": self.subdomain,
            "AMOCRM_API_BASE_URL": self.base_url,
            "AMOCRM_CHATS_BASE_URL": self.base_url,
            "AMOCRM_TOKEN": self.access_token,
            "AMOCRM_CLIENT_ID": self.client_id,
            "AMOCRM_CLIENT_SECRET": self.client_secret,
            "AMOCRM_REDIRECT_URI": self.redirect_uri,
            "AMOCRM_REFRESH_TOKEN": self.refresh_token,
            "AMOCRM_CHANNEL_ID": self.channel_id,
            "AMOCRM_CHANNEL_SECRET": self.channel_secret,
            "AMOCRM_SCOPE_ID": self.scope_id,
            "AMOCRM_BOT_ID": "wewall-bot-ref-0001",
            "AMOCRM_BOT_CLIENT_ID": "wewall-bot-0001",
            "AMOCRM_BOT_NAME": "WEWALL AI",
            "AMOCRM_MAIN_PIPELINE_ID": str(MAIN_PIPELINE_ID),
            "AMOCRM_APPEAL_PIPELINE_ID": str(APPEAL_PIPELINE_ID),
            "AMOCRM_STATUS_CHAT_WITH_BOT_ID": str(STATUS_CHAT_WITH_BOT),
            "AMOCRM_STATUS_HIGH_ENGAGEMENT_ID": str(STATUS_HIGH_ENGAGEMENT),
            "AMOCRM_STATUS_ACTIVE_USER_ID": str(STATUS_ACTIVE_USER),
            "AMOCRM_STATUS_CHAT_WITH_MANAGER_ID": str(STATUS_CHAT_WITH_MANAGER),
            "AMOCRM_TG_USERNAME_FIELD_ID": str(TG_USERNAME_FIELD_ID),
            "AMOCRM_LEAD_SOURCE_FIELD_ID": str(LEAD_SOURCE_FIELD_ID),
        }

    # ================================================================ faults

    def fail(self, mode: str = "500", seconds: Optional[float] = None,
             requests: Optional[int] = None, *, path_prefix: Optional[str] = None,
             retry_after: Optional[float] = None, after_processing: bool = False) -> None:
        """Fail matching requests for `seconds`, or the next `requests` of them (or until heal).

        mode: an HTTP status ("500", "429", …), "timeout" (hang until the client gives up) or
        "disconnect" (drop the connection). `after_processing` applies the change first and
        then fails the answer: what a lost response looks like, the case msgid dedup is for.
        """
        if mode not in FAULT_MODES and not mode.isdigit():
            raise ValueError(f"unknown fault mode {mode!r}")
        with self._lock:
            self._faults.append(_Fault(
                mode=mode,
                until=None if seconds is None else time.monotonic() + seconds,
                remaining=requests,
                path_prefix=path_prefix,
                retry_after=None if retry_after is None else _fmt_seconds(retry_after),
                after_processing=after_processing,
            ))

    def heal(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str) -> Optional[_Fault]:
        with self._lock:
            self._faults = [f for f in self._faults if f.active()]
            for fault in self._faults:
                if fault.path_prefix is None or path.startswith(fault.path_prefix):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    async def _apply_fault(self, request: web.Request, fault: _Fault) -> web.StreamResponse:
        if fault.mode == "timeout":
            try:  # long enough for any client timeout; stop() cuts it short
                await asyncio.wait_for(self._stopping.wait(), self.hang_seconds)
            except asyncio.TimeoutError:
                pass
            return _problem(504, "hung (test fault)")
        if fault.mode == "disconnect":
            request.transport.abort()
            return web.Response(status=500)
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
        return _json({"title": "test fault", "status": int(fault.mode)}, int(fault.mode), headers)

    # ================================================================ middleware

    @web.middleware
    async def _middleware(self, request: web.Request, handler) -> web.StreamResponse:
        raw = await request.read()
        request["raw"] = raw
        path = request.raw_path.split("?", 1)[0]
        fault = self._take_fault(path)
        # Logged on arrival (status filled in at the end): a hanging request shows up too.
        record = {"method": request.method, "path": path, "status": None,
                  "fault": fault.mode if fault else None}
        with self._lock:
            self._requests.append(record)
        response: Optional[web.StreamResponse] = None
        if fault is not None and not fault.after_processing:
            response = await self._apply_fault(request, fault)
        else:
            response = self._check_auth(request, path, raw)
            if response is None:
                try:
                    response = await handler(request)
                except _Invalid as exc:
                    response = _problem(exc.status, exc.detail)
                except web.HTTPException as exc:
                    response = _problem(exc.status, exc.reason)
                hook = self.after_handler
                if hook is not None:
                    await asyncio.get_running_loop().run_in_executor(
                        None, hook, request.method, path, response.status)
            if fault is not None:
                response = await self._apply_fault(request, fault)
        with self._lock:
            record["status"] = response.status
        return response

    def _check_auth(self, request: web.Request, path: str, raw: bytes) -> Optional[web.Response]:
        if path.startswith("/api/"):
            auth = request.headers.get("Authorization", "")
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
            with self._lock:
                valid = (token is not None and not self.reject_all_tokens and (
                    (token == self._access_token and time.time() < self._access_expires)
                    or (self.long_lived_token is not None and token == self.long_lived_token)))
            if not valid:
                return _problem(401, "Unauthorized")
        elif path.startswith("/v2/origin/custom/"):
            reason = self._signature_problem(request, path, raw)
            if reason:
                return _json({"error": reason}, 403)
        return None

    def _signature_problem(self, request: web.Request, path: str, raw: bytes) -> Optional[str]:
        """Why amojo would refuse this request, or None. Written out, not imported (see top)."""
        h = request.headers
        md5_hex, ctype, date, signature = (
            h.get("Content-MD5"), h.get("Content-Type"), h.get("Date"), h.get("X-Signature"))
        if not (md5_hex and ctype and date and signature):
            return "missing Date, Content-Type, Content-MD5 or X-Signature"
        if md5_hex != hashlib.md5(raw).hexdigest():
            return "Content-MD5 does not match the body"
        try:
            sent = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return "Date is not RFC 2822"
        if sent is None or sent.tzinfo is None:
            return "Date has no time zone"
        if abs(self.clock() - sent.timestamp()) > self.date_tolerance:
            return "Date is more than 15 minutes away"
        string = "\n".join([request.method, md5_hex, ctype, date, path])
        expected = hmac.new(self.channel_secret.encode("utf-8"), string.encode("utf-8"),
                            hashlib.sha1).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.lower().encode("utf-8")):
            return "bad signature"
        return None

    # ================================================================ REST API v4

    def _body_list(self, request: web.Request) -> List[dict]:
        try:
            data = json.loads(request["raw"] or b"null")
        except ValueError:
            raise _Invalid("body is not JSON")
        if not isinstance(data, list) or not data or not all(isinstance(x, dict) for x in data):
            raise _Invalid("body must be a non-empty JSON array of objects")
        if len(data) > 250:
            raise _Invalid("at most 250 entities per request")
        return data

    def _check_custom_fields(self, entity: dict) -> None:
        for cf in entity.get("custom_fields_values") or []:
            if isinstance(cf, dict) and cf.get("field_code") in ("PHONE", "EMAIL") \
                    and "field_id" not in cf:
                pass  # the account's standard multitext fields, named by code
            elif not isinstance(cf, dict) or not isinstance(cf.get("field_id"), int):
                raise _Invalid("custom_fields_values[].field_id must be an int")
            elif self.custom_field_ids is not None and cf["field_id"] not in self.custom_field_ids:
                raise _Invalid(f"unknown custom field {cf['field_id']}")
            values = cf.get("values")
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, dict) and "value" in v for v in values):
                raise _Invalid("custom_fields_values[].values must be [{'value': ...}]")

    def _pipeline(self, pipeline_id: Any) -> dict:
        for p in self._pipelines:
            if p["id"] == pipeline_id:
                return p
        raise _Invalid(f"unknown pipeline_id {pipeline_id}")

    def _check_status(self, pipeline: dict, status_id: Any) -> None:
        if status_id not in [s for s, _ in pipeline["statuses"]]:
            raise _Invalid(f"status {status_id} is not in pipeline {pipeline['id']}")

    async def _oauth_token(self, request: web.Request) -> web.Response:
        try:
            data = json.loads(request["raw"] or b"{}")
        except ValueError:
            raise _Invalid("body is not JSON")
        with self._lock:
            ok = (data.get("grant_type") == "refresh_token"
                  and data.get("client_id") == self.client_id
                  and data.get("client_secret") == self.client_secret
                  and data.get("redirect_uri") == self.redirect_uri
                  and data.get("refresh_token") == self._refresh_token)
            if not ok:
                return _json({"hint": "Token has been revoked", "title": "Некорректный запрос",
                              "status": 400}, 400)
            # amoCRM rotates both: the old refresh token is dead from now on.
            self.refresh_count += 1
            self._access_token = f"access-token-refreshed-{self.refresh_count:04d}-{uuid.uuid4().hex}"
            self._refresh_token = f"refresh-token-refreshed-{self.refresh_count:04d}-{uuid.uuid4().hex}"
            self._access_expires = time.time() + self.token_ttl
            return _json({"token_type": "Bearer", "expires_in": self.token_ttl,
                          "access_token": self._access_token,
                          "refresh_token": self._refresh_token})

    async def _account(self, request: web.Request) -> web.Response:
        data = {"id": self.account_numeric_id, "name": "WEWALL", "subdomain": self.subdomain}
        if "amojo_id" in request.query.get("with", "").split(","):
            data["amojo_id"] = self.account_id
        return _json(data)

    @staticmethod
    def _matches(entity: dict, query: str) -> bool:
        """amoCRM's `query`: a substring of the name or of any field value; phones by digits."""
        q = query.strip().lower()
        if not q:
            return True
        texts = [str(entity.get(k) or "") for k in ("name", "first_name", "last_name")]
        digits = "".join(c for c in q if c.isdigit())
        for cf in entity.get("custom_fields_values") or []:
            for v in cf.get("values") or []:
                value = str(v.get("value", ""))
                texts.append(value)
                if cf.get("field_code") == "PHONE" and len(digits) >= 10:
                    if "".join(c for c in value if c.isdigit())[-10:] == digits[-10:]:
                        return True
        return any(q in t.lower() for t in texts)

    async def _find_contacts(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "")
        with_leads = "leads" in request.query.get("with", "").split(",")
        with self._lock:
            found = [copy.deepcopy(c) for c in self._contacts.values() if self._matches(c, query)]
            for c in found:
                if with_leads:
                    c["_embedded"] = {"leads": [{"id": lid} for lid, lead in self._leads.items()
                                                if c["id"] in lead["contact_ids"]]}
        if not found:
            return web.Response(status=204)  # amoCRM answers an empty search with no content
        return _json({"_page": 1, "_embedded": {"contacts": found}})

    async def _find_leads(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "")
        with self._lock:
            found = []
            for lead in self._leads.values():
                if self._matches(lead, query):
                    item = {k: copy.deepcopy(v) for k, v in lead.items() if k != "history"}
                    item["_embedded"] = {"contacts": [{"id": c} for c in lead["contact_ids"]]}
                    found.append(item)
        if not found:
            return web.Response(status=204)
        return _json({"_page": 1, "_embedded": {"leads": found}})

    async def _get_notes(self, request: web.Request) -> web.Response:
        try:
            lead_id = int(request.match_info["lead_id"])
        except ValueError:
            raise _Invalid("lead id must be a number")
        with self._lock:
            if lead_id not in self._leads:
                raise _Invalid(f"lead {lead_id} not found", 404)
            notes = [{"id": n["id"], "entity_id": lead_id, "note_type": n["note_type"],
                      "params": {"text": n["text"]}} for n in self._notes[lead_id]]
        if not notes:
            return web.Response(status=204)
        return _json({"_page": 1, "_embedded": {"notes": notes}})

    async def _get_contact(self, request: web.Request) -> web.Response:
        with self._lock:
            contact = self._contacts.get(int(request.match_info["contact_id"]))
            if contact is None:
                raise _Invalid("contact not found", 404)
            return _json(copy.deepcopy(contact))

    async def _update_contacts(self, request: web.Request) -> web.Response:
        """As amoCRM: a field in `custom_fields_values` replaces that field's values."""
        items = self._body_list(request)
        for c in items:
            self._check_custom_fields(c)
        with self._lock:
            for c in items:
                if c.get("id") not in self._contacts:
                    raise _Invalid(f"unknown contact {c.get('id')}")
            out = []
            for c in items:
                contact = self._contacts[c["id"]]
                for key in ("name", "first_name", "last_name"):
                    if key in c:
                        contact[key] = c[key]
                fields = contact.setdefault("custom_fields_values", [])
                for cf in c.get("custom_fields_values") or []:
                    key = ("field_code", cf["field_code"]) if "field_code" in cf else ("field_id", cf["field_id"])
                    fields[:] = [f for f in fields if f.get(key[0]) != key[1]] + [copy.deepcopy(cf)]
                out.append({"id": contact["id"], "updated_at": int(time.time())})
        return _json({"_links": {}, "_embedded": {"contacts": out}})

    async def _create_contacts(self, request: web.Request) -> web.Response:
        items = self._body_list(request)
        for c in items:
            if not any(isinstance(c.get(k), str) and c.get(k) for k in ("name", "first_name", "last_name")):
                raise _Invalid("a contact needs name, first_name or last_name")
            self._check_custom_fields(c)
        out = []
        with self._lock:
            for i, c in enumerate(items):
                cid = next(self._ids)
                self._contacts[cid] = {"id": cid, **c}
                out.append({"id": cid, "request_id": str(c.get("request_id", i))})
        return _json({"_links": {}, "_embedded": {"contacts": out}})

    async def _create_leads(self, request: web.Request) -> web.Response:
        items = self._body_list(request)
        prepared = []
        with self._lock:
            for lead in items:
                pipeline = self._pipeline(lead.get("pipeline_id", self._pipelines[0]["id"]))
                status_id = lead.get("status_id", pipeline["statuses"][0][0])
                self._check_status(pipeline, status_id)
                self._check_custom_fields(lead)
                contacts = ((lead.get("_embedded") or {}).get("contacts")) or []
                for c in contacts:
                    if c.get("id") not in self._contacts:
                        raise _Invalid(f"unknown contact {c.get('id')}")
                prepared.append((lead, pipeline["id"], status_id, [c["id"] for c in contacts]))
            out = []
            for i, (lead, pipeline_id, status_id, contact_ids) in enumerate(prepared):
                lid = next(self._ids)
                self._leads[lid] = {
                    "id": lid, "name": lead.get("name", f"Сделка #{lid}"),
                    "pipeline_id": pipeline_id, "status_id": status_id,
                    "contact_ids": contact_ids,
                    "custom_fields_values": lead.get("custom_fields_values") or [],
                    "history": [(pipeline_id, status_id)],
                }
                self._notes[lid] = []
                out.append({"id": lid, "request_id": str(lead.get("request_id", i))})
        return _json({"_links": {}, "_embedded": {"leads": out}})

    async def _update_leads(self, request: web.Request) -> web.Response:
        items = self._body_list(request)
        with self._lock:
            for item in items:  # validate all before changing any, as one request
                if item.get("id") not in self._leads:
                    raise _Invalid(f"unknown lead {item.get('id')}")
                lead = self._leads[item["id"]]
                pipeline = self._pipeline(item.get("pipeline_id", lead["pipeline_id"]))
                if "status_id" in item:
                    self._check_status(pipeline, item["status_id"])
                elif pipeline["id"] != lead["pipeline_id"]:
                    raise _Invalid("moving to another pipeline needs a status_id")
            out = []
            for item in items:
                lead = self._leads[item["id"]]
                for key in ("name", "pipeline_id", "status_id"):
                    if key in item:
                        lead[key] = item[key]
                lead["history"].append((lead["pipeline_id"], lead["status_id"]))
                out.append({"id": lead["id"], "updated_at": int(time.time())})
        return _json({"_links": {}, "_embedded": {"leads": out}})

    async def _add_notes(self, request: web.Request) -> web.Response:
        try:
            lead_id = int(request.match_info["lead_id"])
        except ValueError:
            raise _Invalid("lead id must be a number")
        items = self._body_list(request)
        for n in items:
            if n.get("note_type") != "common":
                raise _Invalid("this test server knows only note_type 'common'")
            text = (n.get("params") or {}).get("text")
            if not isinstance(text, str) or not text:
                raise _Invalid("params.text is required")
        with self._lock:
            if lead_id not in self._leads:
                raise _Invalid(f"lead {lead_id} not found", 404)
            out = []
            for n in items:
                nid = next(self._ids)
                self._notes[lead_id].append({"id": nid, "entity_id": lead_id,
                                             "note_type": n["note_type"],
                                             "text": n["params"]["text"]})
                out.append({"id": nid, "entity_id": lead_id})
        return _json({"_links": {}, "_embedded": {"notes": out}})

    async def _link_chats(self, request: web.Request) -> web.Response:
        items = self._body_list(request)
        with self._lock:
            for item in items:
                if item.get("contact_id") not in self._contacts:
                    raise _Invalid(f"unknown contact {item.get('contact_id')}")
                if item.get("chat_id") not in self._chat_ids:
                    raise _Invalid(f"unknown chat {item.get('chat_id')}")
            out = []
            for item in items:
                known = [x for x in self._chat_links if x["chat_id"] == item["chat_id"]
                         and x["contact_id"] == item["contact_id"]]
                if known:  # linking again is a no-op in amoCRM
                    out.append(known[0])
                    continue
                link = {"id": next(self._ids), "chat_id": item["chat_id"],
                        "contact_id": item["contact_id"]}
                self._chat_links.append(link)
                out.append(link)
        return _json({"_total_items": len(out), "_embedded": {"chats": out}})

    async def _get_pipelines(self, request: web.Request) -> web.Response:
        pipelines = [{
            "id": p["id"], "name": p["name"], "is_main": p["is_main"],
            "_embedded": {"statuses": [{"id": s, "name": n, "pipeline_id": p["id"]}
                                       for s, n in p["statuses"]]},
        } for p in self._pipelines]
        return _json({"_total_items": len(pipelines), "_embedded": {"pipelines": pipelines}})

    # ================================================================ Chats API

    def _body_object(self, request: web.Request) -> dict:
        try:
            data = json.loads(request["raw"] or b"null")
        except ValueError:
            raise _Invalid("body is not JSON")
        if not isinstance(data, dict):
            raise _Invalid("body must be a JSON object")
        return data

    def _require_scope(self, request: web.Request) -> str:
        scope = request.match_info["scope_id"]
        with self._lock:
            if scope not in self._scopes:
                raise _Invalid(f"scope {scope} is not connected", 404)
        return scope

    async def _connect(self, request: web.Request) -> web.Response:
        if request.match_info["channel_id"] != self.channel_id:
            raise _Invalid("unknown channel", 404)
        data = self._body_object(request)
        if data.get("account_id") != self.account_id:
            raise _Invalid("unknown account_id")
        with self._lock:
            self._scopes.add(self.scope_id)
        return _json({"account_id": self.account_id, "scope_id": self.scope_id,
                      "title": data.get("title", ""),
                      "hook_api_version": data.get("hook_api_version", "v2"),
                      "is_time_window_disabled": False})

    def _ensure_chat(self, conversation_id: str, user: dict) -> dict:
        chat = self._chats.get(conversation_id)
        if chat is None:
            chat = {"id": str(uuid.uuid4()), "conversation_id": conversation_id,
                    "user": dict(user), "amojo_user_id": str(uuid.uuid4())}
            self._chats[conversation_id] = chat
            self._chat_ids[chat["id"]] = conversation_id
            self._messages.setdefault(conversation_id, [])
        return chat

    async def _create_chat(self, request: web.Request) -> web.Response:
        self._require_scope(request)
        data = self._body_object(request)
        conversation_id, user = data.get("conversation_id"), data.get("user")
        if not isinstance(conversation_id, str) or not conversation_id:
            raise _Invalid("conversation_id is required")
        if not isinstance(user, dict) or not user.get("id") or not user.get("name"):
            raise _Invalid("user.id and user.name are required")
        with self._lock:
            chat = self._ensure_chat(conversation_id, user)
        return _json({"id": chat["id"], "user": {
            "id": chat["amojo_user_id"], "client_id": chat["user"]["id"],
            "name": chat["user"]["name"], "profile": chat["user"].get("profile", {})}})

    async def _new_message(self, request: web.Request) -> web.Response:
        scope = self._require_scope(request)
        data = self._body_object(request)
        if data.get("event_type") != "new_message":
            raise _Invalid("event_type must be new_message")
        p = data.get("payload")
        if not isinstance(p, dict):
            raise _Invalid("payload is required")
        for key, kind in (("timestamp", int), ("msec_timestamp", int), ("msgid", str),
                          ("conversation_id", str), ("sender", dict), ("message", dict)):
            if not isinstance(p.get(key), kind) or isinstance(p.get(key), bool):
                raise _Invalid(f"payload.{key} is required ({kind.__name__})")
        sender, receiver, message = p["sender"], p.get("receiver"), p["message"]
        if not sender.get("id"):
            raise _Invalid("payload.sender.id is required")
        if message.get("type") != "text" or not isinstance(message.get("text"), str):
            raise _Invalid("this test server knows only text messages")
        is_bot = "ref_id" in sender
        if is_bot and not (isinstance(receiver, dict) and receiver.get("id")):
            raise _Invalid("a message from the bot needs a receiver")
        with self._lock:
            stored = self._by_msgid.get((scope, p["msgid"]))
            if stored is not None:  # a retry: same answer, no second message
                return _json(stored)
            client = receiver if is_bot else sender
            chat = self._ensure_chat(p["conversation_id"], client)
            amojo_msgid = str(uuid.uuid4())
            self._messages[p["conversation_id"]].append({
                "author": "bot" if is_bot else "client",
                "msgid": p["msgid"], "amojo_msgid": amojo_msgid, "chat_id": chat["id"],
                "conversation_id": p["conversation_id"], "sender": sender, "receiver": receiver,
                "text": message["text"], "timestamp": p["timestamp"],
                "msec_timestamp": p["msec_timestamp"], "silent": p.get("silent"),
            })
            answer = {"new_message": {"conversation_id": chat["id"], "msgid": amojo_msgid,
                                      "ref_id": p["msgid"]}}
            self._by_msgid[(scope, p["msgid"])] = answer
        return _json(answer)

    # ================================================================ webhooks to the bot

    def manager_message_webhook(
        self, conversation_id: Optional[str], text: str, *, chat_id: Optional[str] = None,
        manager_id: str = "manager-amojo-0001", manager_name: str = "Менеджер Анна",
        msgid: Optional[str] = None, timestamp: Optional[float] = None, record: bool = True,
        bad_signature: bool = False,
    ) -> Tuple[bytes, Dict[str, str]]:
        """Body and headers of a "manager wrote" webhook, as amojo signs it.

        `conversation_id=None` is a chat a manager started in amoCRM: no client_id in it.
        With `record`, the message also joins `messages(conversation_id)`.
        """
        ts = time.time() if timestamp is None else timestamp
        with self._lock:
            chat = self._chats.get(conversation_id) if conversation_id else None
        chat_id = chat_id or (chat["id"] if chat else str(uuid.uuid4()))
        receiver: Dict[str, Any] = {"id": chat["amojo_user_id"] if chat else str(uuid.uuid4())}
        conversation: Dict[str, Any] = {"id": chat_id}
        if conversation_id:
            conversation["client_id"] = conversation_id
            if chat:
                receiver["client_id"] = chat["user"]["id"]
                receiver["name"] = chat["user"].get("name", "")
        amojo_msgid = msgid or str(uuid.uuid4())
        payload = {
            "account_id": self.account_id,
            "time": int(ts),
            "message": {
                "receiver": receiver,
                "sender": {"id": manager_id, "name": manager_name},
                "conversation": conversation,
                "timestamp": int(ts),
                "msec_timestamp": int(ts * 1000),
                "message": {"id": amojo_msgid, "type": "text", "text": text, "markup": None,
                            "tag": "", "media": "", "thumbnail": "", "file_name": "",
                            "file_size": 0},
            },
        }
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        secret = ("wrong-" + self.channel_secret) if bad_signature else self.channel_secret
        signature = hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()
        if record and conversation_id:
            with self._lock:
                self._messages.setdefault(conversation_id, []).append({
                    "author": "manager", "msgid": None, "amojo_msgid": amojo_msgid,
                    "chat_id": chat_id, "conversation_id": conversation_id,
                    "sender": payload["message"]["sender"], "receiver": receiver, "text": text,
                    "timestamp": int(ts), "msec_timestamp": int(ts * 1000), "silent": None,
                })
        return body, {"Content-Type": "application/json", "X-Signature": signature}

    def talk_update_webhook(
        self, *, talk_id: int, chat_id: str, contact_id: int, is_in_work: bool = False,
        is_read: bool = True, entity_id: Optional[int] = None, entity_type: str = "leads",
        origin: str = "custom",
    ) -> Tuple[bytes, Dict[str, str]]:
        """Body and headers of the form-encoded "Беседа изменена" account webhook."""
        now = int(time.time())
        prefix = "talk[update][0]"
        fields = [
            (f"{prefix}[talk_id]", talk_id), (f"{prefix}[created_at]", now - 60),
            (f"{prefix}[updated_at]", now), (f"{prefix}[rate]", 0),
            (f"{prefix}[contact_id]", contact_id), (f"{prefix}[chat_id]", chat_id),
            (f"{prefix}[entity_id]", entity_id if entity_id is not None else ""),
            (f"{prefix}[entity_type]", entity_type),
            (f"{prefix}[is_in_work]", int(bool(is_in_work))), (f"{prefix}[is_read]", int(bool(is_read))),
            (f"{prefix}[origin]", origin),
            ("account[id]", self.account_numeric_id), ("account[subdomain]", self.subdomain),
            ("account[_links][self]", f"https://{self.subdomain}.amocrm.ru"),
        ]
        body = urlencode([(k, str(v)) for k, v in fields]).encode("ascii")
        return body, {"Content-Type": "application/x-www-form-urlencoded"}

    async def _post(self, url: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, str]:
        if self._client is None:
            self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        async with self._client.post(url, data=body, headers=headers) as resp:
            return resp.status, await resp.text()

    def _post_from_server_loop(self, url: str, body: bytes, headers: Dict[str, str]):
        return asyncio.run_coroutine_threadsafe(self._post(url, body, headers), self._loop)

    def send_manager_message(self, url: str, conversation_id: Optional[str], text: str,
                             **kwargs: Any) -> Tuple[int, str]:
        """POST a signed "manager wrote" webhook to `url` (the bot's `…/{scope_id}`).

        Blocks the calling thread: from async code whose loop serves `url`, use the `a…` form.
        """
        body, headers = self.manager_message_webhook(conversation_id, text, **kwargs)
        return self._post_from_server_loop(url, body, headers).result(30)

    async def asend_manager_message(self, url: str, conversation_id: Optional[str], text: str,
                                    **kwargs: Any) -> Tuple[int, str]:
        body, headers = self.manager_message_webhook(conversation_id, text, **kwargs)
        return await asyncio.wrap_future(self._post_from_server_loop(url, body, headers))

    def send_talk_update(self, url: str, **kwargs: Any) -> Tuple[int, str]:
        body, headers = self.talk_update_webhook(**kwargs)
        return self._post_from_server_loop(url, body, headers).result(30)

    async def asend_talk_update(self, url: str, **kwargs: Any) -> Tuple[int, str]:
        body, headers = self.talk_update_webhook(**kwargs)
        return await asyncio.wrap_future(self._post_from_server_loop(url, body, headers))


def _fmt_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


@pytest.fixture
def amocrm_server():
    """A started AmoCrmServer, stopped after the test."""
    server = AmoCrmServer().start()
    try:
        yield server
    finally:
        server.stop()


def clear_amocrm_env(monkeypatch) -> None:
    """No AMOCRM_* variable of the developer's environment reaches the test (the CRM is off)."""
    from wewall.crm.config import reset_crm_settings

    for key in [k for k in os.environ if k.startswith("AMOCRM_")]:
        monkeypatch.delenv(key)
    reset_crm_settings()


@pytest.fixture
def amocrm_env(amocrm_server, monkeypatch):
    """The server, with every AMOCRM_* variable pointing the bot's settings at it."""
    clear_amocrm_env(monkeypatch)
    for key, value in amocrm_server.env().items():
        monkeypatch.setenv(key, value)
    return amocrm_server
