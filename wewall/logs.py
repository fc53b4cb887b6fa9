"""Logging for both servers: no phone number or token in any log line, and the conversation id
on every record written while a message is handled.

`install()` is idempotent and cheap. The Rasa server calls it when it loads our channels
(credentials.yml), the action server when it imports `actions` (actions/logs.py). It:

* wraps the log record factory, so *every* record of every logger (Rasa's structlog output
  included: it goes through the standard `logging` module) is masked once, when it is created,
  whatever handlers are configured later;
* adds `record.conversation_id` from a context variable our channels set per message
  (`bind_conversation`), also bound into structlog's context vars so Rasa's own JSON lines carry it;
* with `WEWALL_LOG_FORMAT=json`, formats the root handlers' lines as one JSON object each
  (time, level, logger, conversation_id, message).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import time
from typing import Any, Iterator, Optional

__all__ = [
    "JsonFormatter",
    "bind_conversation",
    "conversation_id",
    "install",
    "install_action_server",
    "known_names",
    "mask",
    "names_in_tracker",
]

_conversation: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("wewall_conversation_id", default=None)

# Phone numbers in every spelling the NLU reads as a phone (wewall/nlu/contacts.py, phonenumbers
# region RU): +7 / 7 / 8 or nothing, then the ten national digits, grouped any way with up to
# three separators between two digits (spaces, no-break spaces, dashes of any kind, dots,
# slashes, brackets; also as escapes, `\\xa0` in a repr, `\\u2011` in JSON): +7 (999) 123-45-67,
# 8 999 123 45 67, 89991234567, 9165551234, +7 916 55 51 234, 916 555 12 34, 8(916)555-12-34,
# +7 97493 – 25738, 916/555.12.34.
# phonenumbers accepts all of these (tests/unit/test_logs_pii.py generates them). The national
# number starts with 3, 4, 8 or 9 (Russian area and mobile codes), which keeps timestamps (1…),
# prices and ids (7 1…) visible; a number glued to letters or after a decimal point (a
# confidence 0.9123456789) is not a phone.
_SEP = r"(?:[\s\-.\/()_\u2010-\u2015\u2212]|\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[tn])){0,3}"
_PHONE = re.compile(
    r"(?:(?<![\w+])|(?<=\\[ntr])|(?<=\\x[0-9a-fA-F]{2})|(?<=\\u[0-9a-fA-F]{4}))(?<!\d[.,])"  # an escape is no word
    r"(?:(?:\+\s?7|7|8)%s)?\(?[3489](?:%s\d){9}(?!\d)(?![.,]\d)" % (_SEP, _SEP)
)
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]{1,64})@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# Telegram bot tokens (123456789:AA…35 chars), also inside API URLs (/bot<token>/sendMessage).
_BOT_TOKEN = re.compile(r"\d{5,12}:[A-Za-z0-9_-]{30,}")
# Bearer / JWT / key=value secrets in URLs, headers and dumps.
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")
_KEY_VALUE = re.compile(
    r"(?i)((?:access_token|refresh_token|client_secret|secret_token|token|secret|password|api[_-]?key)"
    r"[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;}]{4,})"
)
_SECRET_HEADER = re.compile(r"(?i)(x-telegram-bot-api-secret-token[\"']?\s*[:=]\s*[\"']?)([^\s\"',;}]+)")
# A person's name as a JSON or Python dict value: Telegram's user fields, our slots, amoCRM contacts.
_NAME_FIELDS = r"person_name|client_name|contact_name|first_name|last_name|username|full_name|email"
_NAME_VALUE = re.compile(
    r"""(["'](?:%s)["']\s*:\s*)(["'])((?:\\.|(?!\2).){1,400}?)\2""" % _NAME_FIELDS, re.IGNORECASE
)
# {"entity": "person_name", …, "value": "Анна"} and {"event": "slot", "name": "phone", "value": …}:
# a flat dict whose entity or slot is personal has its value hidden.
_FLAT_DICT = re.compile(r"\{[^{}]{0,2000}\}")
_PERSONAL_ITEM = re.compile(
    r"""["'](?:entity|name)["']\s*:\s*["'](?:person_name|phone|email|client_name)["']""", re.IGNORECASE
)
_ITEM_VALUE = re.compile(r"""(["'](?:value|text)["']\s*:\s*)(["'])((?:\\.|(?!\2).){0,400}?)\2""")
# The body of a failed HTTP call as Rasa logs it (`ClientResponseError: 500, …, body='…'`): the
# action server's 500 answer carries the whole tracker of the conversation (`request_body`).
_HTTP_BODY = re.compile(r"(body=)(b?['\"]).*")
_ERROR_IN_BODY = re.compile(r'\\?"error\\?"\s*:\s*\\?"((?:[^"\\]|\\.){0,300}?)\\?"')

_names: contextvars.ContextVar[tuple] = contextvars.ContextVar("wewall_known_names", default=())


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return f"+7******{digits[-2:]}"


def _mask_email(match: re.Match[str]) -> str:
    return f"{match.group(1)[:1]}***@{match.group(2)}"


def _mask_flat_dict(match: re.Match[str]) -> str:
    text = match.group(0)
    if not _PERSONAL_ITEM.search(text):
        return text
    return _ITEM_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}***{m.group(2)}", text)


def _mask_http_body(match: re.Match[str]) -> str:
    rest = match.group(0)
    error = _ERROR_IN_BODY.search(rest)
    hint = f" error: {error.group(1)[:200]}" if error else ""
    return f"{match.group(1)}<{len(rest) - len(match.group(1))} символов тела не записаны>{hint}"


def mask(text: str) -> str:
    """The one masking function of every log path: phones (every spelling the NLU accepts; the
    last two digits stay), e-mails, names (in JSON/dict fields, personal entities and slots, and
    the names the channel knows in this conversation), secrets, and HTTP bodies (trackers)."""
    if not text:
        return text
    text = _HTTP_BODY.sub(_mask_http_body, text)
    text = _BOT_TOKEN.sub("<token>", text)
    text = _JWT.sub("<token>", text)
    text = _BEARER.sub(r"\1<token>", text)
    text = _SECRET_HEADER.sub(r"\1<secret>", text)
    text = _KEY_VALUE.sub(r"\1<secret>", text)
    text = _NAME_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}***{m.group(2)}", text)
    if "{" in text:
        text = _FLAT_DICT.sub(_mask_flat_dict, text)
    for name in _names.get():
        text = text.replace(name, "***")
    text = _EMAIL.sub(_mask_email, text)
    return _PHONE.sub(_mask_phone, text)


@contextlib.contextmanager
def known_names(*names: Any) -> Iterator[None]:
    """Names of the client of the current message (e.g. Telegram's first/last name): every log
    record written meanwhile has them masked, wherever they appear."""
    usable = tuple(str(n) for n in names if isinstance(n, str) and len(n.strip()) >= 3)
    token = _names.set(_names.get() + usable)
    try:
        yield
    finally:
        _names.reset(token)


def conversation_id() -> Optional[str]:
    return _conversation.get()


@contextlib.contextmanager
def bind_conversation(sender_id: Any, **extra: Any) -> Iterator[None]:
    """Marks every log record of the current task (and what it awaits) with the conversation."""
    token = _conversation.set(None if sender_id is None else str(sender_id))
    bound = False
    try:
        import structlog.contextvars as scv

        scv.bind_contextvars(conversation_id=None if sender_id is None else str(sender_id), **extra)
        bound = True
    except Exception:  # structlog is Rasa's; the action server may not configure it
        pass
    try:
        yield
    finally:
        _conversation.reset(token)
        if bound:
            import structlog.contextvars as scv

            scv.unbind_contextvars("conversation_id", *extra)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what a log collector needs to filter by conversation."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "conversation_id": getattr(record, "conversation_id", None),
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(self.formatException(record.exc_info))
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class MaskingFilter(logging.Filter):
    """For handlers configured outside `install()` (e.g. a logging config file)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


def _mask_record(record: logging.LogRecord) -> None:
    if getattr(record, "_wewall_masked", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the record as it is
        message = str(record.msg)
    record.msg = mask(message)
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
    if not hasattr(record, "conversation_id"):
        record.conversation_id = _conversation.get()
    record._wewall_masked = True


_installed = False


def install() -> None:
    """Masks every log record from now on; optional JSON lines (WEWALL_LOG_FORMAT=json)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            _mask_record(record)
        except Exception:  # logging must never break the bot
            pass
        return record

    logging.setLogRecordFactory(factory)
    from wewall.settings import get_settings

    settings = get_settings()
    if settings.log_format.lower() == "json":
        root = logging.getLogger()
        if not root.handlers:
            logging.basicConfig(level=settings.log_level.upper())
        for handler in root.handlers:
            handler.setFormatter(JsonFormatter())


_NAME_KEYS = ("person_name", "client_name", "contact_name")


def names_in_tracker(tracker: Any) -> list:
    """The client's names a tracker (Rasa's JSON) holds: name slots, name entities, Telegram's
    first/last/user name; whole and word by word, longest first (a whole name is hidden before
    its parts)."""
    if not isinstance(tracker, dict):
        return []
    found = [(tracker.get("slots") or {}).get(key) for key in _NAME_KEYS]
    for event in tracker.get("events") or []:
        if not isinstance(event, dict) or event.get("event") != "user":
            continue
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            if isinstance(entity, dict) and entity.get("entity") in _NAME_KEYS:
                found.append(entity.get("value"))
        user = (event.get("metadata") or {}).get("telegram") or {}
        if isinstance(user, dict):
            found += [user.get(key) for key in ("first_name", "last_name", "username")]
    names = set()
    for name in found:
        if isinstance(name, str) and name.strip():
            names.add(name.strip())
            names.update(name.split())
    return sorted(names, key=len, reverse=True)


class ActionFailed(Exception):
    """What the action server's error handler sees of a failed action: its name and the kind of
    error, never its message (rasa_sdk logs it outside the call and returns it to Rasa)."""


def install_action_server() -> None:
    """`install()` plus, on every action call (rasa-sdk): the conversation id on each record, the
    client's names (from the tracker) masked in each record, and a failure logged here, where the
    names are known; the error handler of rasa_sdk gets only `ActionFailed`."""
    install()
    try:
        from rasa_sdk.executor import ActionExecutor
        from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
    except ImportError:
        return
    if getattr(ActionExecutor.run, "_wewall_bound", False):
        return
    original = ActionExecutor.run
    logger = logging.getLogger("wewall.actions")

    async def run(self: Any, action_call: Any) -> Any:
        call = action_call if isinstance(action_call, dict) else {}
        with bind_conversation(call.get("sender_id")), known_names(*names_in_tracker(call.get("tracker"))):
            try:
                return await original(self, action_call)
            except (ActionExecutionRejection, ActionNotFoundException):
                raise
            except Exception as exc:
                action = str(call.get("next_action") or "?")
                logger.exception("action %s failed", action)
                raise ActionFailed(f"action {action} failed: {exc.__class__.__name__}") from None

    run._wewall_bound = True  # type: ignore[attr-defined]
    ActionExecutor.run = run
