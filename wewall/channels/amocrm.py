"""The amoCRM input channel: webhooks from amoCRM reach the client's conversation.

Named in credentials.yml as `wewall.channels.amocrm.AmoCrmInput:`; settings come from the
AMOCRM_* environment (docs/amocrm.md), optional keys there override:
`max_body_bytes` (default 65536), `talk_token` (default AMOCRM_WEBHOOK_TOKEN).

Routes (Rasa mounts a channel under /webhooks/<name>/):
- `POST /webhooks/amocrm/webhook/<scope_id>`  the Chats API webhook URL to register;
- `POST /webhooks/amocrm/location/<scope_id>`  the old bot's path, under the same prefix (an
  amoCRM channel still registered with `https://host/location` needs a proxy rewrite of
  `/location/` to `/webhooks/amocrm/location/`; see docs/amocrm.md, «Адреса вебхуков»);
- `GET  /webhooks/amocrm/`                     health: is the CRM configured.

Both POST routes take the two kinds of webhook amoCRM sends:
- JSON "manager wrote in the chat", signed: `X-Signature` = hex(hmac_sha1(channel secret, raw
  body)). A missing or wrong signature → 401 and nothing changes; a body over the limit →
  413; not JSON or without the message → 400.
- form-encoded "Беседа изменена" (talk updated), unsigned by amoCRM: accepted only when the
  path's scope_id is ours (AMOCRM_SCOPE_ID) and, if AMOCRM_WEBHOOK_TOKEN is set, the URL's
  `?token=` matches it; otherwise 401. It can only give a conversation back to the bot.

A valid webhook is stored in the inbox table first (amoCRM sends it once and never retries),
then answered 200 at once; the inbox processor (a task of this Rasa server) handles it:
- a manager's message: the conversation is found by our conversation id (or amojo's chat id)
  in the mapping; `action_relay_manager_message` runs in it (not a fake user intent: the
  client said nothing) and its reply goes out on the client's own channel, the latest input
  channel of the tracker (Telegram, socket.io; REST has no push: the message is in the
  tracker, see GET /conversations/<id>/tracker); then the bot listens again, silent while
  `manager_active` is set (wewall.policies.ManagerChatPolicy);
- a talk no longer in work: `action_manager_chat_closed` in the conversation of that chat, if
  it is with a manager.
A failure (the action server down, the client's channel failing) is retried with backoff;
rows left by a stopped server are picked up when it starts again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple
from urllib.parse import parse_qsl

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from wewall import logs
from wewall.channels import guard, identity
from wewall.channels.base import NamedChannel
from wewall.crm.config import CrmSettings, get_crm_settings
from wewall.crm.signing import verify_webhook
from wewall.crm.store import DONE, SKIPPED, CrmStore, get_store
from wewall.slots import MANAGER_ACTIVE

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 64 * 1024
MANAGER_MESSAGE = "manager_message"
TALK_UPDATE = "talk_update"
RELAY_ACTION = "action_relay_manager_message"
CLOSED_ACTION = "action_manager_chat_closed"
MANAGER_SLOT = "manager_message"


class BadWebhook(ValueError):
    """A webhook we refuse (400)."""


def parse_manager_message(body: bytes) -> Dict[str, Any]:
    """The parts of a "manager wrote" webhook we use; BadWebhook when they are not there."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadWebhook("body is not JSON")
    message = payload.get("message") if isinstance(payload, dict) else None
    if not isinstance(message, dict):
        raise BadWebhook("no message")
    conversation = message.get("conversation")
    inner = message.get("message")
    if not isinstance(conversation, dict) or not isinstance(inner, dict):
        raise BadWebhook("no message.conversation or message.message")
    client_id, chat_id = conversation.get("client_id"), conversation.get("id")
    if not (isinstance(client_id, str) and client_id) and not (isinstance(chat_id, str) and chat_id):
        raise BadWebhook("no conversation id")
    text = raw if isinstance(raw := inner.get("text"), str) else ""
    media = raw if isinstance(raw := inner.get("media"), str) else ""
    if not text.strip() and not media:
        raise BadWebhook("a message without text or media")
    sender = raw if isinstance(raw := message.get("sender"), dict) else {}
    return {
        "client_id": client_id if isinstance(client_id, str) else None,
        "chat_id": chat_id if isinstance(chat_id, str) else None,
        "id": str(inner.get("id") or "") or None,
        "text": text.strip(),
        "media": media,
        "file_name": raw if isinstance(raw := inner.get("file_name"), str) else "",
        "manager": raw if isinstance(raw := sender.get("name"), str) else None,
    }


def parse_talk_updates(body: bytes) -> List[Dict[str, str]]:
    """`talk[update][N][field]=value` pairs → one dict per talk; BadWebhook if none."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise BadWebhook("form is not UTF-8")
    talks: Dict[str, Dict[str, str]] = {}
    for key, value in pairs:
        if not key.startswith("talk[update]["):
            continue
        rest = key[len("talk[update]["):]
        index, _, field = rest.partition("][")
        field = field.rstrip("]")
        if index and field:
            talks.setdefault(index, {})[field] = value
    updates = [talks[k] for k in sorted(talks, key=lambda k: (len(k), k))]
    if not updates:
        raise BadWebhook("no talk[update]")
    return updates


def _truthy(value: Optional[str]) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "y", "yes", "on")


class AmoCrmInput(NamedChannel):
    channel_name = "amocrm"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> AmoCrmInput:
        credentials = credentials or {}
        settings = get_crm_settings()
        token = settings.webhook_token.get_secret_value() if settings.webhook_token else None
        return cls(
            settings,
            max_body_bytes=int(credentials.get("max_body_bytes") or DEFAULT_MAX_BODY),
            talk_token=credentials.get("talk_token") or token,
        )

    def __init__(self, settings: Optional[CrmSettings] = None, *,
                 max_body_bytes: int = DEFAULT_MAX_BODY, talk_token: Optional[str] = None,
                 store: Optional[CrmStore] = None, process_inbox: bool = True):
        logs.install()  # the server builds its channels at start: masked logs from then on
        self.settings = settings or get_crm_settings()
        self.process_inbox = process_inbox
        self.max_body_bytes = max_body_bytes
        self.talk_token = (talk_token or "").strip() or None
        self._store = store
        self.processor: Optional[InboxProcessor] = None
        if not self.settings.enabled:  # the event broker says it once, with the reason
            log.debug("amoCRM is off: its webhooks get 503")

    @property
    def store(self) -> CrmStore:
        if self._store is None:
            self._store = get_store()
        return self._store

    # ------------------------------------------------------------------ routes

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("amocrm_webhook", __name__)

        @bp.listener("after_server_start")
        async def _start(app, _loop) -> None:
            if self.settings.enabled and self.process_inbox:
                self.processor = InboxProcessor(app, self.store)
                self.processor.start()

        @bp.listener("before_server_stop")
        async def _stop(app, _loop) -> None:
            if self.processor is not None:
                await self.processor.stop()

        @bp.route("/", methods=["GET"])
        async def health(_: Request):
            return response.json({"status": "ok", "crm": self.settings.enabled})

        @bp.route("/webhook/<scope_id>", methods=["POST"])
        async def webhook(request: Request, scope_id: Text):
            return await self.receive(request, scope_id)

        @bp.route("/location/<scope_id>", methods=["POST"])
        async def location(request: Request, scope_id: Text):
            return await self.receive(request, scope_id)

        return guard.attach(bp)

    async def receive(self, request: Request, scope_id: str):
        if not self.settings.enabled or not self.settings.channel_secret:
            return response.json({"error": "amoCRM integration is off"}, status=503)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            return response.json({"error": "body too large"}, status=413)
        body = request.body or b""
        if len(body) > self.max_body_bytes:
            return response.json({"error": "body too large"}, status=413)
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded":
            return await self._talk_update(request, scope_id, body)
        secret = self.settings.channel_secret.get_secret_value()
        if not verify_webhook(secret, body, request.headers.get("X-Signature")):
            log.warning("amoCRM webhook with a bad signature refused (%d bytes, scope %s)",
                        len(body), scope_id[:80])
            return response.json({"error": "bad signature"}, status=401)
        try:
            parsed = parse_manager_message(body)
        except BadWebhook as exc:
            return response.json({"error": str(exc)}, status=400)
        if self.settings.scope_id and scope_id != self.settings.scope_id:
            log.warning("amoCRM webhook for scope %s, ours is %s: accepted (signed)",
                        scope_id[:80], self.settings.scope_id)
        # Without amojo's message id a replayed signed webhook would be relayed again: the hash
        # of the signed body stands in for it.
        external_id = parsed.get("id") or "sha256:" + hashlib.sha256(body).hexdigest()
        return await self._persist(MANAGER_MESSAGE, body, external_id)

    async def _talk_update(self, request: Request, scope_id: str, body: bytes):
        ours = self.settings.scope_id
        scope_ok = bool(ours and hmac.compare_digest(scope_id.encode(), ours.encode()))
        token_ok = True
        if self.talk_token:
            given = (request.args.get("token") or "").encode()
            token_ok = hmac.compare_digest(given, self.talk_token.encode())
        if not (scope_ok and token_ok):
            log.warning("amoCRM talk webhook refused: wrong scope or token")
            return response.json({"error": "unauthorised"}, status=401)
        try:
            updates = parse_talk_updates(body)
        except BadWebhook as exc:
            return response.json({"error": str(exc)}, status=400)
        key = ",".join(f"{u.get('talk_id')}@{u.get('updated_at')}:{u.get('is_in_work')}"
                       for u in updates)
        return await self._persist(TALK_UPDATE, body, f"talk:{key}"[:128])

    async def _persist(self, kind: str, body: bytes, external_id: Optional[str]):
        try:
            row_id = await self.store.run(self.store.inbox_add, kind,
                                          body.decode("utf-8", "replace"), external_id)
        except Exception:
            log.exception("amoCRM webhook could not be stored")
            return response.json({"error": "storage unavailable"}, status=503)
        if row_id is None:
            return response.json({"status": "duplicate"})
        if self.processor is not None:
            self.processor.wake()
        return response.json({"status": "accepted", "id": row_id})


# ====================================================================== processing


class InboxProcessor:
    """Handles stored webhooks in this Rasa server, oldest first; retries what fails."""

    def __init__(self, app, store: CrmStore, *, poll_seconds: float = 2.0,
                 lease_seconds: float = 120.0, max_attempts: int = 10):
        self.app = app
        self.store = store
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._task: Optional[asyncio.Task] = None
        self._stopped = False
        self.processed = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 10)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._task.cancel()

    async def _run(self) -> None:
        while not self._stopped:
            try:
                rows = await self.store.run(self.store.inbox_claim, time.time(),
                                            self.lease_seconds)
            except Exception:
                log.exception("inbox: cannot read the inbox")
                rows = []
            for row in rows:
                if self._stopped:
                    break
                await self.process(row)
            if not rows:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                except asyncio.TimeoutError:
                    pass

    async def process(self, row: Dict[str, Any]) -> None:
        try:
            agent = getattr(self.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                raise RuntimeError("the model is not loaded yet")
            body = row["body"].encode("utf-8")
            if row["kind"] == MANAGER_MESSAGE:
                status, result = await self._manager_message(agent, parse_manager_message(body))
            elif row["kind"] == TALK_UPDATE:
                status, result = await self._talk_updates(agent, parse_talk_updates(body))
            else:
                status, result = SKIPPED, f"unknown kind {row['kind']}"
        except BadWebhook as exc:
            status, result = SKIPPED, str(exc)
        except Exception as exc:
            attempts = int(row.get("attempts") or 0) + 1
            delay = min(300.0, 2.0 ** attempts) * (0.75 + 0.5 * random.random())
            state = await self.store.run(self.store.inbox_retry, row["id"], repr(exc),
                                         time.time() + delay, self.max_attempts)
            log.warning("inbox: webhook %s failed (%s), %s", row["id"], exc,
                        "given up" if state != "pending" else f"retry in {delay:.0f}s")
            return
        await self.store.run(self.store.inbox_finish, row["id"], status, result)
        self.processed += 1
        log.info("inbox: webhook %s (%s): %s", row["id"], row["kind"], result)

    # ------------------------------------------------------------------ kinds

    async def _manager_message(self, agent, msg: Dict[str, Any]) -> Tuple[str, str]:
        conv = await self.store.run(self.store.find_conversation,
                                    conversation_id=msg.get("client_id"), chat_id=msg.get("chat_id"))
        if conv is None:
            return SKIPPED, f"no conversation for chat {msg.get('chat_id')} / {msg.get('client_id')}"
        text = msg["text"]
        if msg.get("media"):
            attachment = f"{msg.get('file_name') or 'Файл'}: {msg['media']}"
            text = f"{text}\n{attachment}" if text else attachment
        value = {"text": text, "manager": msg.get("manager"), "id": msg.get("id")}
        await self.run_action(agent, conv["sender_id"], RELAY_ACTION, {MANAGER_SLOT: value},
                              expect_reply=True)
        return DONE, f"relayed to {conv['sender_id']}"

    async def _talk_updates(self, agent, updates: List[Dict[str, str]]) -> Tuple[str, str]:
        results = []
        for update in updates:
            if _truthy(update.get("is_in_work")):
                results.append(f"talk {update.get('talk_id')} in work")
                continue
            conv = await self.store.run(self.store.find_conversation, chat_id=update.get("chat_id"))
            if conv is None:
                results.append(f"talk {update.get('talk_id')}: unknown chat")
                continue
            sender_id = conv["sender_id"]
            tracker = await agent.processor.get_tracker(sender_id)
            if not tracker.get_slot(MANAGER_ACTIVE):
                results.append(f"talk {update.get('talk_id')}: {sender_id} not with a manager")
                continue
            await self.run_action(agent, sender_id, CLOSED_ACTION, {}, expect_reply=True)
            results.append(f"talk {update.get('talk_id')}: {sender_id} back to the bot")
        return DONE, "; ".join(results)

    # ------------------------------------------------------------------ running an action

    async def run_action(self, agent, sender_id: str, action_name: str,
                         slots: Dict[str, Any], *, expect_reply: bool) -> None:
        """Run one action in a conversation (under its lock), then listen again.

        The action's messages go to the client's latest channel. Rasa's processor swallows
        a failing action; `expect_reply` turns "no message came out" into an error, so the
        webhook is retried instead of being lost.
        """
        # the turn's log lines name its conversation, as the client channels' turns do
        with logs.bind_conversation(identity.short(sender_id), channel="amocrm"):
            await self._run_action(agent, sender_id, action_name, slots, expect_reply=expect_reply)

    async def _run_action(self, agent, sender_id: str, action_name: str,
                          slots: Dict[str, Any], *, expect_reply: bool) -> None:
        from rasa.core.policies.policy import PolicyPrediction
        from rasa.shared.core.constants import ACTION_LISTEN_NAME
        from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet

        processor = agent.processor
        async with agent.lock_store.lock(sender_id):
            tracker = await processor.get_tracker(sender_id)
            output = self.output_channel(tracker.get_latest_input_channel())
            if slots:
                tracker = await processor.fetch_tracker_and_update_session(sender_id, output)
                for name, value in slots.items():
                    tracker.update(SlotSet(name, value))
                await processor.save_tracker(tracker)
            prediction = PolicyPrediction.for_action_name(processor.domain, action_name, "AmoCrmInput")
            tracker = await processor.execute_action(sender_id, action_name, output,
                                                     processor.nlg, prediction)
            events = list(tracker.events)
            start = max(i for i, e in enumerate(events)
                        if isinstance(e, ActionExecuted) and e.action_name == action_name)
            if expect_reply and not any(isinstance(e, BotUttered) for e in events[start:]):
                raise RuntimeError(f"{action_name} produced no message (is the action server up?)")
            listen = PolicyPrediction.for_action_name(processor.domain, ACTION_LISTEN_NAME,
                                                      "AmoCrmInput")
            await processor.execute_action(sender_id, ACTION_LISTEN_NAME, output,
                                           processor.nlg, listen)

    def output_channel(self, channel_name: Optional[str]) -> OutputChannel:
        """The client's channel, able to push; REST and unknown ones collect into the tracker."""
        for channel in getattr(self.app.ctx, "input_channels", None) or []:
            if channel.name() != channel_name:
                continue
            try:
                from rasa.core.channels.telegram import TelegramInput, TelegramOutput

                if type(channel).get_output_channel is TelegramInput.get_output_channel:
                    # Rasa's own calls asyncio.run() to set the webhook (RasaHQ/rasa#10666),
                    # which fails inside the server's loop: the output alone is enough here.
                    return TelegramOutput(channel.access_token)
            except ImportError:  # pragma: no cover - aiogram is a rasa dependency
                pass
            try:
                out = channel.get_output_channel()
            except Exception:
                log.exception("inbox: the %s channel cannot push; the message stays in the tracker",
                              channel_name)
                out = None
            if out is not None:
                return out
        return CollectingOutputChannel()
