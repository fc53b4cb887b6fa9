"""Telegram channel: Rasa's connector, hardened and completed for WeWall.

Named in credentials.yml as `wewall.channels.telegram.WewallTelegramInput`; updates arrive at
`POST /webhooks/telegram/webhook`. Configuration comes from the environment (credentials.yml
keys, if given, win): TELEGRAM_TOKEN, TELEGRAM_BOT_USERNAME, TELEGRAM_WEBHOOK_URL,
TELEGRAM_SECRET_TOKEN, TELEGRAM_API_BASE_URL (default https://api.telegram.org),
TELEGRAM_SUBSCRIPTION_CHANNEL (empty: no gate), TELEGRAM_SUBSCRIPTION_URL, TELEGRAM_SET_WEBHOOK.
Without TELEGRAM_TOKEN the channel is inert (the webhook answers 503), so `make run` and the
tests need no Telegram.

What differs from `rasa.core.channels.telegram.TelegramInput`:
* no `asyncio.run()` in `get_output_channel()` (RasaHQ/rasa#10666): one output channel per
  process, created lazily; setWebhook (with `secret_token`) and setMyCommands run once after the
  server starts, in the server's loop, retried in the background;
* no `getMe` per update: updates are authenticated by `X-Telegram-Bot-Api-Secret-Token`
  (401 without it, 403 when wrong); getMe is called once at start and cached;
* bodies are checked: over TELEGRAM_MAX_BODY_BYTES → 413, not a JSON update → 400, always JSON;
  a failure while handling a valid update is logged and answered 200 (Telegram would otherwise
  redeliver the same update for hours); repeated update_ids are dropped;
* `/start <payload>` becomes `/start{"lead_source": "<payload>"}` (intent `start`, slot
  `lead_source`, and `metadata.lead_source`); menu commands map to intents; any other typed
  "/…" is plain text (no intent injection: buttons come back as callback_data);
* inline keyboards laid out for long Russian titles, payloads over Telegram's 64-byte
  callback_data limit sent as a hash and resolved back; `button_type: reply` (or a custom
  `{"reply_keyboard": [...]}`) sends a reply keyboard whose taps are mapped back to payloads;
* images and custom `{"document": url}` upload our own files (WEWALL_PUBLIC_BASE_URL) directly,
  so Telegram need not reach the files URL; other URLs are passed through;
* an optional subscription gate (getChatMember) with «Подписаться» / «Проверить подписку».
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import time
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text, Tuple

import aiohttp
from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils import exceptions as tg_errors
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from wewall import logs
from wewall.channels import guard, identity, replies
from wewall.channels.base import NamedChannel
from wewall.channels.rest import guard_payload

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CALLBACK_DATA_LIMIT = 64  # bytes, Bot API
TEXT_LIMIT = 4096  # characters of one Telegram message
HASH_PREFIX = "#h:"
SUBSCRIPTION_CHECK = "#sub"

# The command menu (setMyCommands) and what each command means to the bot.
COMMANDS: List[Tuple[str, str]] = [
    ("start", "Главное меню"),
    ("estate_search", "Подбор недвижимости"),
    ("finance_model", "Оценка доходности"),
    ("manager", "Связаться с менеджером"),
]
COMMAND_INTENTS: Dict[str, str] = {
    "estate_search": "/request_search",
    "finance_model": "/request_calculation",
    "manager": "/request_manager",
    "help": "/help",
    "menu": "/help",
    "restart": "/start",  # Rasa's /restart would wipe the conversation (and the lead source)
}
DEEP_LINK_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

NON_TEXT_REPLY = (
    "Пока я понимаю только текстовые сообщения. Напишите, пожалуйста, словами или выберите пункт меню."
)
GATE_TEXT = "Бот доступен подписчикам канала {channel}. Подпишитесь и нажмите «Проверить подписку»."
GATE_NOT_YET = "Подписка пока не видна. Подпишитесь на канал и нажмите ещё раз."


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


@dataclasses.dataclass
class TelegramConfig:
    token: str = ""
    bot_username: str = ""
    webhook_url: str = ""
    secret_token: str = ""
    api_base_url: str = "https://api.telegram.org"
    subscription_channel: str = ""
    subscription_url: str = ""
    set_webhook: bool = True
    max_body_bytes: int = 65536
    remove_keyboard_on_tap: bool = True
    # Buttons with only these payloads go out as a reply keyboard (the manager chat's «Закрыть…»).
    reply_keyboard_payloads: Tuple[str, ...] = ("/close_manager_chat",)

    @classmethod
    def from_env(cls, credentials: Optional[Dict[Text, Any]] = None) -> TelegramConfig:
        creds = {k: v for k, v in (credentials or {}).items() if v not in (None, "")}
        channel = str(creds.get("subscription_channel", _env("TELEGRAM_SUBSCRIPTION_CHANNEL")))
        url = str(creds.get("subscription_url", _env("TELEGRAM_SUBSCRIPTION_URL")))
        if channel and not url and channel.startswith("@"):
            url = f"https://t.me/{channel[1:]}"
        return cls(
            token=str(creds.get("access_token", _env("TELEGRAM_TOKEN"))),
            bot_username=str(creds.get("verify", _env("TELEGRAM_BOT_USERNAME"))).lstrip("@"),
            webhook_url=str(creds.get("webhook_url", _env("TELEGRAM_WEBHOOK_URL"))),
            secret_token=str(creds.get("secret_token", _env("TELEGRAM_SECRET_TOKEN"))),
            api_base_url=str(creds.get("api_base_url", _env("TELEGRAM_API_BASE_URL") or cls.api_base_url)),
            subscription_channel=channel,
            subscription_url=url,
            set_webhook=_env("TELEGRAM_SET_WEBHOOK", "true").lower() not in ("0", "false", "no"),
            max_body_bytes=int(_env("TELEGRAM_MAX_BODY_BYTES", "65536")),
            remove_keyboard_on_tap=_env("TELEGRAM_REMOVE_KEYBOARD_ON_TAP", "true").lower() not in ("0", "false", "no"),
            reply_keyboard_payloads=tuple(
                p.strip() for p in _env("TELEGRAM_REPLY_KEYBOARD_PAYLOADS", "/close_manager_chat").split(",") if p.strip()
            ),
        )


def clean_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """What the bot may store: valid UTF-8, no NUL/control characters (PostgreSQL refuses NUL)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", text)[:limit]


def command_to_text(text: str, bot_username: str = "") -> Tuple[str, Optional[str]]:
    """A Telegram command as the bot understands it, and the deep-link payload of /start."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text, None
    head, _, rest = stripped.partition(" ")
    if "{" in head or "@" in head[1:2]:
        return stripped.lstrip("/"), None  # a typed Rasa payload such as /inform{"…": …}: text
    command, _, mention = head[1:].partition("@")
    if mention and bot_username and mention.lower() != bot_username.lower():
        return text, None  # a command for another bot in a group
    command = command.lower()
    rest = rest.strip()
    if command == "start":
        payload = re.sub(r"[^A-Za-z0-9_-]", "", rest)[:64] if rest else ""
        if payload and DEEP_LINK_PAYLOAD.match(payload):
            return "/start" + json.dumps({"lead_source": payload}), payload
        return "/start", None
    if command in COMMAND_INTENTS and not rest:
        return COMMAND_INTENTS[command], None
    # Any other "/…" typed by a client is text, not an intent: buttons come as callback_data.
    return stripped.lstrip("/"), None


class _LRU(collections.OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class ButtonRegistry:
    """Maps what Telegram sends back (hashed callback_data, reply keyboard titles) to payloads.

    Filled from the domain's responses (so every Rasa process resolves the same hashes) and from
    the buttons this process sends (actions' dynamic buttons).
    """

    def __init__(self) -> None:
        self.by_hash = _LRU(20000)
        self.reply_titles = _LRU(2000)
        self.domain_loaded = False

    @staticmethod
    def callback_data(payload: str) -> str:
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(HASH_PREFIX):
            return payload
        return HASH_PREFIX + hashlib.sha1(payload.encode("utf-8")).hexdigest()[:24]

    def register(self, payload: str) -> str:
        data = self.callback_data(payload)
        if data != payload:
            self.by_hash.put(data, payload)
        return data

    def register_reply(self, title: str, payload: str) -> None:
        self.reply_titles.put(title.strip(), payload)

    def load_domain(self, domain: Any) -> None:
        if self.domain_loaded or domain is None:
            return
        self.domain_loaded = True
        for variations in (getattr(domain, "responses", None) or {}).values():
            for variation in variations or []:
                reply = variation.get("button_type") == "reply"
                for button in variation.get("buttons") or []:
                    payload = str(button.get("payload") or button.get("title") or "")
                    if not payload:
                        continue
                    self.register(payload)
                    if reply and button.get("title"):
                        self.register_reply(str(button["title"]), payload)

    def resolve_callback(self, data: str, message: Optional[dict]) -> Optional[str]:
        if not data.startswith(HASH_PREFIX):
            return data
        if data in self.by_hash:
            return self.by_hash[data]
        # Sent by another process with a dynamic payload: fall back to the button's title.
        for row in ((message or {}).get("reply_markup") or {}).get("inline_keyboard") or []:
            for button in row or []:
                if isinstance(button, dict) and button.get("callback_data") == data:
                    return str(button.get("text") or "") or None
        return None

    def resolve_reply(self, text: str) -> str:
        return self.reply_titles.get(text.strip(), text)


def _title(button: Dict[str, Any]) -> str:
    return str(button.get("title") or button.get("payload") or "…")[:64]


class WewallTelegramOutput(TelegramOutput):
    """aiogram Bot + Rasa OutputChannel, pointed at TELEGRAM_API_BASE_URL."""

    def __init__(self, config: TelegramConfig, registry: ButtonRegistry) -> None:
        # TelegramOutput.__init__ would use the production server: initialise the Bot ourselves.
        Bot.__init__(
            self,
            config.token,
            server=TelegramAPIServer.from_base(config.api_base_url),
            timeout=aiohttp.ClientTimeout(total=30),
        )
        self.config = config
        self.registry = registry
        self._me: Optional[Dict[str, Any]] = None
        # Chats whose reply keyboard was just used: the next plain message removes it.
        self.remove_reply_keyboard: set = set()

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    # --- calls with the error policy of the bot -------------------------------------------
    async def _call(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """One Bot API call: waits out a 429 once; a failure is logged, never raised.

        Rasa saves the turn only after every bot message went out: an exception here would lose
        the client's message and the bot's state, which is worse than one undelivered reply.
        """
        for attempt in (1, 2):
            try:
                return await call()
            except tg_errors.RetryAfter as exc:
                if attempt == 2:
                    logger.error("telegram %s: still rate-limited, message dropped", what)
                    return None
                await asyncio.sleep(min(float(exc.timeout), 10.0))
            except (tg_errors.BotBlocked, tg_errors.UserDeactivated, tg_errors.ChatNotFound,
                    tg_errors.CantInitiateConversation, tg_errors.BotKicked) as exc:
                logger.warning("telegram %s: recipient unavailable (%s)", what, exc)
                return None
            except (tg_errors.TelegramAPIError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
                logger.error("telegram %s failed, message dropped: %s", what, exc)
                return None
        return None

    async def get_me_cached(self) -> Dict[str, Any]:
        if self._me is None:
            me = await self.get_me()
            self._me = me.to_python()
        return self._me

    # --- Rasa OutputChannel ------------------------------------------------------------------
    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        recipient_id = identity.telegram_chat(recipient_id)  # `tg:<chat>` keys
        markup = None
        if str(recipient_id) in self.remove_reply_keyboard:
            self.remove_reply_keyboard.discard(str(recipient_id))
            markup = ReplyKeyboardRemove()
        for part in _split(text):
            await self._call(
                "sendMessage", functools.partial(self.send_message, recipient_id, part, reply_markup=markup)
            )
            markup = None

    async def send_text_with_buttons(
        self,
        recipient_id: Text,
        text: Text,
        buttons: List[Dict[Text, Any]],
        button_type: Optional[Text] = "inline",
        **kwargs: Any,
    ) -> None:
        recipient_id = identity.telegram_chat(recipient_id)
        text = text or "Выберите, пожалуйста:"
        parts = _split(text)
        for part in parts[:-1]:
            await self._call("sendMessage", functools.partial(self.send_message, recipient_id, part))
        payloads = {str(b.get("payload") or "") for b in buttons}
        if button_type == "reply" or (buttons and payloads <= set(self.config.reply_keyboard_payloads)):
            markup: Any = self.reply_keyboard(buttons)
        else:
            markup = self.inline_keyboard(buttons, button_type or "inline")
        await self._call(
            "sendMessage", lambda: self.send_message(recipient_id, parts[-1], reply_markup=markup)
        )

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        recipient_id = identity.telegram_chat(recipient_id)  # `tg:<chat>` keys
        await self._call("sendPhoto", lambda: self.send_photo(recipient_id, _local_file(image) or image))

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        recipient_id = identity.telegram_chat(recipient_id)  # `tg:<chat>` keys
        if isinstance(attachment, str) and attachment.startswith(("http://", "https://")):
            await self._call(
                "sendDocument", lambda: self.send_document(recipient_id, _local_file(attachment) or attachment)
            )
        else:
            await self.send_text_message(recipient_id, f"Вложение: {attachment}")

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        recipient_id = identity.telegram_chat(recipient_id)  # `tg:<chat>` keys
        message = dict(json_message or {})
        chat_id = message.pop("chat_id", recipient_id)
        if message.get("document"):
            url = str(message.pop("document"))
            caption = message.pop("caption", None)
            await self._call(
                "sendDocument",
                lambda: self.send_document(chat_id, _local_file(url) or url, caption=caption),
            )
            return
        if message.get("photo"):
            url = str(message.pop("photo"))
            caption = message.pop("caption", None)
            await self._call("sendPhoto", lambda: self.send_photo(chat_id, _local_file(url) or url, caption=caption))
            return
        if "reply_keyboard" in message:
            buttons = [b if isinstance(b, dict) else {"title": str(b), "payload": str(b)}
                       for b in message.get("reply_keyboard") or []]
            text = str(message.get("text") or "…")
            await self._call(
                "sendMessage", lambda: self.send_message(chat_id, text, reply_markup=self.reply_keyboard(buttons))
            )
            return
        if message.get("remove_keyboard"):
            text = str(message.get("text") or "…")
            await self._call(
                "sendMessage", lambda: self.send_message(chat_id, text, reply_markup=ReplyKeyboardRemove())
            )
            return
        message["chat_id"] = chat_id
        await super().send_custom_json(recipient_id, message, **kwargs)

    # --- keyboards ---------------------------------------------------------------------------
    def inline_keyboard(self, buttons: Iterable[Dict[str, Any]], button_type: str = "inline") -> InlineKeyboardMarkup:
        items: List[InlineKeyboardButton] = []
        for b in buttons:
            if b.get("url"):
                items.append(InlineKeyboardButton(_title(b), url=str(b["url"])))
            else:
                payload = str(b.get("payload") or b.get("title") or "")
                items.append(InlineKeyboardButton(_title(b), callback_data=self.registry.register(payload)))
        markup = InlineKeyboardMarkup()
        if button_type == "horizontal":
            per_row = len(items) or 1
        elif button_type == "vertical":
            per_row = 1
        else:  # short titles two by two, long ones (most of ours) one per row
            per_row = 2 if all(len(i.text) <= 14 for i in items) and len(items) > 2 else 1
        for start in range(0, len(items), per_row):
            markup.row(*items[start:start + per_row])
        return markup

    def reply_keyboard(self, buttons: Iterable[Dict[str, Any]]) -> ReplyKeyboardMarkup:
        markup = ReplyKeyboardMarkup(resize_keyboard=True, one_time_keyboard=True)
        for b in buttons:
            title = _title(b)
            self.registry.register_reply(title, str(b.get("payload") or title))
            markup.row(KeyboardButton(title))
        return markup


def _split(text: str) -> List[str]:
    """Telegram's 4096-character limit, cutting at paragraph or line ends where possible."""
    text = (text or "").strip() or "…"
    parts = []
    while len(text) > TEXT_LIMIT:
        cut = max(text.rfind("\n\n", 0, TEXT_LIMIT), text.rfind("\n", 0, TEXT_LIMIT))
        cut = cut if cut > TEXT_LIMIT // 2 else TEXT_LIMIT
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    parts.append(text)
    return [p for p in parts if p] or ["…"]


def _local_file(url: str) -> Optional[InputFile]:
    """Our own chart or spreadsheet as an upload, when the URL points at WEWALL_PUBLIC_BASE_URL."""
    try:
        from wewall.channels.files import SAFE_NAME
        from wewall.settings import get_settings

        settings = get_settings()
        base = settings.public_base_url.rstrip("/") + "/"
        if not url.startswith(base):
            return None
        name = url[len(base):]
        if not SAFE_NAME.match(name):
            return None
        path = settings.files_dir / name
        return InputFile(str(path), filename=name) if path.is_file() else None
    except Exception:  # never lose the message over the upload optimisation
        logger.exception("cannot resolve a local file for %s", url)
        return None


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


@dataclasses.dataclass
class Incoming:
    sender_id: str
    text: Optional[str]
    metadata: Dict[str, Any]
    user_id: Optional[int] = None
    callback: Optional[dict] = None


class WewallTelegramInput(NamedChannel, TelegramInput):
    """Rasa's Telegram input channel for WeWall (see the module docstring)."""

    channel_name = "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> WewallTelegramInput:
        return cls(TelegramConfig.from_env(credentials))

    def __init__(self, config: TelegramConfig) -> None:
        super().__init__(config.token, config.bot_username, config.webhook_url, debug_mode=False)
        logs.install()  # the server builds its channels at start: masked logs from then on
        self.config = config
        self.registry = ButtonRegistry()
        self.domain: Any = None
        self._output: Optional[WewallTelegramOutput] = None
        self._seen_updates = _LRU(4096)
        self._subscribed = _LRU(50000)  # user_id -> (is_member, valid_until)
        if self.enabled and not config.secret_token:
            logger.warning("TELEGRAM_SECRET_TOKEN is empty: anyone who knows the URL can post updates")

    @property
    def enabled(self) -> bool:
        return bool(self.config.token)

    # --- output ---------------------------------------------------------------------------------
    def get_output_channel(self) -> OutputChannel:
        """The process's one output channel; no network call here (RasaHQ/rasa#10666)."""
        if not self.enabled:
            return CollectingOutputChannel()
        if self._output is None:
            self._output = WewallTelegramOutput(self.config, self.registry)
        return self._output

    async def register_webhook(self) -> bool:
        """getMe, setWebhook (with the secret) and setMyCommands; True when all succeeded."""
        out = self.get_output_channel()
        assert isinstance(out, WewallTelegramOutput)
        me = await out.get_me_cached()
        username = me.get("username") or ""
        if self.config.bot_username and username.lower() != self.config.bot_username.lower():
            logger.warning("TELEGRAM_BOT_USERNAME is %s but the token belongs to %s", self.config.bot_username, username)
        if self.config.webhook_url and self.config.set_webhook:
            params: Dict[str, Any] = {
                "url": self.config.webhook_url,
                "allowed_updates": json.dumps(["message", "edited_message", "callback_query"]),
                "max_connections": 40,
            }
            if self.config.secret_token:
                params["secret_token"] = self.config.secret_token
            await out.request("setWebhook", params)
        await out.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
        logger.info("telegram ready: @%s, webhook %s", username, "set" if self.config.webhook_url else "not set")
        return True

    async def _register_with_retries(self) -> None:
        delay = 1.0
        for attempt in range(1, 9):
            try:
                await self.register_webhook()
                return
            except tg_errors.Unauthorized:
                logger.error("telegram: TELEGRAM_TOKEN is rejected by the Bot API; the channel stays silent")
                return
            except Exception as exc:  # network, 5xx: keep the server up and retry
                logger.warning("telegram setup failed (attempt %d): %s", attempt, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
        logger.error("telegram: could not set the webhook; POST /webhooks/telegram/set_webhook to retry")

    # --- input ----------------------------------------------------------------------------------
    def _check_secret(self, headers: Any) -> Optional[Tuple[int, Dict[str, Any]]]:
        if not self.config.secret_token:
            return None
        given = None
        for key, value in headers.items():
            if key.lower() == SECRET_HEADER.lower():
                given = value
                break
        if not given:
            return 401, {"error": f"нет заголовка {SECRET_HEADER}"}
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.config.secret_token.encode("utf-8")):
            return 403, {"error": f"неверный {SECRET_HEADER}"}
        return None

    def parse_update(self, update: Dict[str, Any]) -> Optional[Incoming]:
        """The user message an update carries, or None for updates the bot does not answer."""
        callback = update.get("callback_query")
        if isinstance(callback, dict):
            shown = raw if isinstance(raw := callback.get("message"), dict) else {}
            chat = raw if isinstance(raw := shown.get("chat"), dict) else {}
            sender = raw if isinstance(raw := callback.get("from"), dict) else {}
            chat_id = chat.get("id", sender.get("id"))
            if not isinstance(chat_id, (int, str)) or not isinstance(callback.get("data", ""), str):
                return None
            data = callback.get("data") or ""
            return Incoming(str(chat_id), data, self._metadata(update, chat, sender), _int(sender.get("id")), callback)
        message = update.get("message") or update.get("edited_message")
        if not isinstance(message, dict):
            return None
        chat = raw if isinstance(raw := message.get("chat"), dict) else {}
        sender = raw if isinstance(raw := message.get("from"), dict) else {}
        chat_id = chat.get("id")
        if not isinstance(chat_id, (int, str)) or isinstance(chat_id, bool):
            return None
        metadata = self._metadata(update, chat, sender)
        text = message.get("text")
        if not isinstance(text, str):
            contact = message.get("contact")
            caption = message.get("caption")
            if isinstance(contact, dict) and isinstance(contact.get("phone_number"), str):
                text = contact["phone_number"]  # «Поделиться контактом» answers the phone question
                metadata["contact"] = True
            elif isinstance(caption, str):
                text = caption
            else:
                text = None  # a sticker, photo, voice…: answered by the channel itself
        return Incoming(str(chat_id), text, metadata, _int(sender.get("id")))

    @staticmethod
    def _metadata(update: Dict[str, Any], chat: Dict[str, Any], sender: Dict[str, Any]) -> Dict[str, Any]:
        info = {
            "update_id": update.get("update_id"),
            "chat_id": chat.get("id"),
            "user_id": sender.get("id"),
            "username": sender.get("username"),
            "first_name": sender.get("first_name"),
            "last_name": sender.get("last_name"),
            "language_code": sender.get("language_code"),
        }
        return {"telegram": {k: (clean_text(v, 256) if isinstance(v, str) else v) for k, v in info.items()
                             if v is not None and isinstance(v, (str, int))}}

    async def _is_subscribed(self, user_id: Optional[int], fresh: bool = False) -> bool:
        if not self.config.subscription_channel or user_id is None:
            return True
        now = time.monotonic()
        cached = self._subscribed.get(user_id)
        if cached and not fresh and cached[1] > now:
            return cached[0]
        out = self.get_output_channel()
        try:
            member = await out.get_chat_member(self.config.subscription_channel, user_id)
            status = member.status
            ok = status in ("creator", "administrator", "member") or (
                status == "restricted" and bool(getattr(member, "is_member", False))
            )
        except tg_errors.BadRequest:  # "user not found" and the like: not a member
            ok = False
        except Exception as exc:  # the gate must not lock everyone out when Telegram or config fails
            logger.error("getChatMember failed, letting the user in: %s", exc)
            return True
        self._subscribed.put(user_id, (ok, now + (600.0 if ok else 5.0)))
        return ok

    async def _send_gate(self, out: WewallTelegramOutput, chat_id: str, lead_source: Optional[str]) -> None:
        buttons = []
        if self.config.subscription_url:
            buttons.append({"title": "Подписаться", "url": self.config.subscription_url})
        buttons.append({"title": "Проверить подписку", "payload": SUBSCRIPTION_CHECK + (lead_source or "")[:59]})
        await out.send_text_with_buttons(
            chat_id, GATE_TEXT.format(channel=self.config.subscription_channel), buttons, button_type="vertical"
        )

    async def _answer_callback(self, out: WewallTelegramOutput, callback: dict, text: Optional[str] = None,
                               alert: bool = False, remove_keyboard: bool = True) -> None:
        calls = []
        if isinstance(callback.get("id"), str):
            calls.append(out.answer_callback_query(callback["id"], text=text, show_alert=alert or None))
        message = raw if isinstance(raw := callback.get("message"), dict) else None
        if remove_keyboard and self.config.remove_keyboard_on_tap and message and isinstance(message.get("message_id"), int):
            chat = message.get("chat") or {}
            calls.append(out.edit_message_reply_markup(chat.get("id"), message["message_id"], reply_markup=None))
        for result in await asyncio.gather(*calls, return_exceptions=True):
            if isinstance(result, Exception) and not isinstance(result, tg_errors.MessageNotModified):
                logger.info("telegram callback housekeeping failed: %s", result)

    async def handle_update(
        self, update: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> str:
        from wewall.leads import telegram as managers_chat

        if managers_chat.managers_chat_id() and (
            managers_chat.is_managers_chat(update) or managers_chat.is_lead_callback(update)
        ):
            return await managers_chat.handle_update(update)  # managers' buttons, not a dialogue
        incoming = self.parse_update(update)
        if incoming is None:
            return "ignored"
        out = self.get_output_channel()
        assert isinstance(out, WewallTelegramOutput)
        key = identity.telegram_key(incoming.sender_id)
        user = incoming.metadata.get("telegram") or {}
        names = [user.get(k) for k in ("first_name", "last_name", "username")]
        with logs.bind_conversation(key, channel="telegram"), logs.known_names(*names):
            text = incoming.text
            lead_source: Optional[str] = None
            if incoming.callback is not None:
                data = text or ""
                if data.startswith(SUBSCRIPTION_CHECK):
                    if not await self._is_subscribed(incoming.user_id, fresh=True):
                        await self._answer_callback(out, incoming.callback, GATE_NOT_YET, alert=True, remove_keyboard=False)
                        return "gated"
                    await self._answer_callback(out, incoming.callback, "Спасибо за подписку!")
                    source = data[len(SUBSCRIPTION_CHECK):]
                    text, lead_source = command_to_text("/start " + source if source else "/start", self.config.bot_username)
                else:
                    await self._answer_callback(out, incoming.callback)
                    text = self.registry.resolve_callback(data, incoming.callback.get("message"))
                    if not text:
                        return "ignored"
                    text = guard_payload(clean_text(text), self.domain)
            elif text is not None:
                text, lead_source = command_to_text(clean_text(text), self.config.bot_username)
                resolved = self.registry.resolve_reply(text)
                if resolved != text:
                    out.remove_reply_keyboard.add(incoming.sender_id)
                text = resolved
            if text is None:
                await out.send_text_message(incoming.sender_id, NON_TEXT_REPLY)
                return "non-text"
            if not await self._is_subscribed(incoming.user_id):
                await self._send_gate(out, incoming.sender_id, lead_source)
                return "gated"
            metadata = incoming.metadata
            if lead_source:
                metadata["lead_source"] = lead_source
            logger.info("telegram update %s: %d chars", metadata["telegram"].get("update_id"), len(text))
            # A failure is logged and answered 200 anyway: Telegram would redeliver the update
            # again and again. The client gets an apology instead of silence (replies.turn).
            async with replies.turn(out, key, text) as counting:
                await on_new_message(UserMessage(text, counting, key, input_channel=self.name(), metadata=metadata))
        return "failed" if counting.raised else "ok"

    async def process_webhook(
        self,
        headers: Any,
        body: bytes,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        domain: Any = None,
    ) -> Tuple[int, Dict[str, Any]]:
        """(HTTP status, JSON answer) for one POST to the webhook."""
        if not self.enabled:
            return 503, {"error": "Telegram не настроен: задайте TELEGRAM_TOKEN"}
        refused = self._check_secret(headers)
        if refused:
            return refused
        if len(body) > self.config.max_body_bytes:
            return 413, {"error": f"слишком большое тело запроса (больше {self.config.max_body_bytes} байт)"}
        try:
            update = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return 400, {"error": "тело запроса — не JSON"}
        except RecursionError:
            return 400, {"error": "тело запроса вложено слишком глубоко"}
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return 400, {"error": "это не обновление Telegram: нужен объект с целым update_id"}
        if update["update_id"] in self._seen_updates:
            return 200, {"status": "duplicate"}
        self._seen_updates.put(update["update_id"], True)
        if domain is not None and self.domain is None:
            self.domain = domain
            self.registry.load_domain(domain)
        try:
            return 200, {"status": await self.handle_update(update, on_new_message)}
        except Exception:  # 200 anyway: Telegram would redeliver the update again and again
            logger.exception("telegram: an update could not be handled")
            return 200, {"status": "failed"}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("wewall_telegram", __name__)

        @bp.listener("after_server_start")
        async def _setup(app: Any, loop: Any) -> None:
            if self.enabled:
                app.add_task(self._register_with_retries())

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.enabled})

        @bp.route("/set_webhook", methods=["POST"])
        async def set_webhook(request: Request) -> HTTPResponse:
            if not self.enabled:
                return _error(503, "Telegram не настроен: задайте TELEGRAM_TOKEN")
            refused = self._check_secret(request.headers)
            if refused:
                return _error(refused[0], refused[1]["error"])
            try:
                await self.register_webhook()
            except Exception as exc:
                return _error(502, f"Bot API: {logs.mask(str(exc))}")
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            status, payload = await self.process_webhook(
                request.headers, request.body or b"", on_new_message, getattr(agent, "domain", None)
            )
            return response.json(payload, status=status)

        return guard.attach(bp)


def _int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
