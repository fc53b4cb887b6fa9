"""Rasa's REST channel with its input checked: same URL (`/webhooks/rest/webhook`), same answer.

Named in credentials.yml as `wewall.channels.rest.SafeRestInput` instead of `rest:`. The stock
channel answers 500 to a body that is JSON but not an object, passes any `sender` to the tracker
store (PostgreSQL refuses NUL and ids over 255 characters) and logs the user's text on failure.
Here every refusal is a 4xx with `{"error": "…"}`:

* 413 when the body is over WEWALL_REST_MAX_BODY_BYTES (64 KiB by default);
* 400 when it is not a JSON object, `sender` is not a short printable string or number,
  `message` is not a string, or `metadata` is not an object;
* "/restart", "/session_start", "/faq" (a retrieval intent without its sub-intent) and the like
  reach the NLU as plain text: typed, they would wipe the conversation or get no answer at all.

Whose conversation (wewall/channels/identity.py): a caller with a token of WEWALL_REST_TOKENS
(`Authorization: Bearer <token>`) names its own conversations, kept as
`rest:<integration>:<sender>`; a wrong token is 401. Once any token is configured, a caller
without one is accepted only in conversations the channel created itself: a request without
`sender` starts one, and the id to send as `sender` afterwards comes back in the
`X-Wewall-Sender` header (also for token callers who sent none); any other `sender` is 403.
With no token configured (a local `make run` on 127.0.0.1) a caller names its own senders as
with Rasa's channel, kept as `rest:local:<sender>`, so still no other channel's conversation. `input_channel` is always `rest`, whatever the body says, and
`metadata` is kept under `metadata.rest`, where nothing takes it for the client's name or phone.

A valid message is answered as before: a JSON list of the bot's messages (or the `stream` form).
The text is stored as valid UTF-8 without control characters; the log lines carry the
conversation id and never the text.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, Union

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from wewall import logs
from wewall.channels import guard, identity, replies

logger = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SENDER_BAD = re.compile(r"[\x00-\x1f\x7f]")
MAX_SENDER = 128


def max_body_bytes() -> int:
    try:
        return int(os.environ.get("WEWALL_REST_MAX_BODY_BYTES", "65536"))
    except ValueError:
        return 65536


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# Rasa intents a client must not trigger by typing "/<intent>": they wipe or restart the
# tracker without a word to the client. Retrieval intents (faq) without their sub-intent leave
# `utter_faq` nothing to say. Such texts reach the NLU as plain text instead.
SILENT_INTENTS = {"restart", "session_start", "back", "nlu_fallback"}
_PAYLOAD_INTENT = re.compile(r"^/([^{@\s]+)")


def guard_payload(text: str, domain: Any = None) -> str:
    """The text, or the text without its leading slash when it names a silent intent."""
    if not text.startswith("/"):
        return text
    match = _PAYLOAD_INTENT.match(text)
    intent = match.group(1) if match else ""
    retrieval = set(getattr(domain, "retrieval_intents", None) or [])
    if intent in SILENT_INTENTS or intent in retrieval or not intent:
        return text.lstrip("/")
    return text


def clean_text(text: str) -> str:
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", text)


def parse_body(body: bytes, limit: int) -> Tuple[Optional[str], str, Optional[str], Optional[Dict[str, Any]]]:
    """(sender, text, input_channel, metadata) of a REST request, or BadRequest."""
    if len(body) > limit:
        raise BadRequest(f"слишком большое тело запроса (больше {limit} байт)", 413)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("тело запроса — не JSON")
    except RecursionError:  # nested thousands of levels deep: not a message of ours
        raise BadRequest("тело запроса вложено слишком глубоко")
    if not isinstance(data, dict):
        raise BadRequest('нужен JSON-объект {"sender": "...", "message": "..."}')
    sender = data.get("sender")
    if isinstance(sender, bool) or not isinstance(sender, (str, int, type(None))):
        raise BadRequest("sender должен быть строкой")
    if sender is not None:
        sender = str(sender)
        try:
            sender.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("sender должен быть строкой в UTF-8")
        if not sender.strip() or len(sender) > MAX_SENDER or _SENDER_BAD.search(sender):
            raise BadRequest(f"sender: от 1 до {MAX_SENDER} печатных символов")
    message = data.get("message")
    if not isinstance(message, str):
        raise BadRequest("message должен быть строкой")
    channel = data.get("input_channel")
    if channel is not None and (not isinstance(channel, str) or len(channel) > 64):
        raise BadRequest("input_channel должен быть короткой строкой")
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("metadata должен быть объектом")
    return sender, clean_text(message), channel, metadata


SENDER_HEADER = "X-Wewall-Sender"
LOCAL = "local"  # the integration of untokened callers while no token is configured


def conversation(
    sender: Optional[str], authorization: Optional[str], tokens: Dict[str, str]
) -> Tuple[str, str]:
    """(conversation key, the sender the client uses from now on), or BadRequest (401/403)."""
    integration = identity.rest_integration(authorization, tokens)
    if authorization and integration is None:
        raise BadRequest("неверный токен в заголовке Authorization", 401)
    if integration is not None:
        sender = sender or uuid.uuid4().hex
        return identity.rest_key(integration, sender), sender
    if sender is None:
        sender = identity.issue(identity.REST)
    key = identity.verify(identity.REST, sender)
    if key is None and not tokens:
        # No integration is configured (a local `make run`, bound to 127.0.0.1): a caller names
        # its own conversations as Rasa's REST channel lets it, but only inside `rest:local:`, so
        # no Telegram or web chat conversation can be reached. Once any token is configured, an
        # untokened caller is held to the ids the server issued.
        return identity.rest_key(LOCAL, sender), sender
    if key is None:
        raise BadRequest(
            "неизвестный sender: начните разговор без sender и дальше передавайте выданный "
            f"в заголовке {SENDER_HEADER} (или настройте токен интеграции, WEWALL_REST_TOKENS)",
            403,
        )
    return key, sender


class SafeRestInput(RestInput):
    """Rasa's REST channel (its name, "rest") with the project's identity rules."""

    def __init__(self) -> None:
        super().__init__()
        logs.install()  # the server builds its channels at start: masked logs from then on
        self.tokens = identity.rest_tokens()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        bp = Blueprint("custom_webhook_SafeRestInput", __name__)
        identity.secret()  # read (or created) at start, not in the first request

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                sender, text, _, metadata = parse_body(request.body or b"", max_body_bytes())
                sender_id, sender = conversation(sender, request.headers.get("authorization"), self.tokens)
            except BadRequest as exc:
                return response.json({"error": str(exc)}, status=exc.status)
            # what the client claims about itself is kept apart from what the channels assert
            input_channel = self.name()
            metadata = {"rest": metadata} if metadata else None
            headers = {SENDER_HEADER: sender}
            agent = getattr(request.app.ctx, "agent", None)
            text = guard_payload(text, getattr(agent, "domain", None))
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(on_new_message, text, sender_id, input_channel, metadata),
                    content_type="text/event-stream",
                    headers=headers,
                )
            collector = CollectingOutputChannel()
            # a server-issued id is shown shortened; an integration's own ids in full
            shown = sender_id if sender_id.count(":") >= 2 else identity.short(sender_id)
            with logs.bind_conversation(shown, channel="rest"):
                async with replies.turn(collector, sender_id, text) as out:
                    await on_new_message(
                        UserMessage(text, out, sender_id, input_channel=input_channel, metadata=metadata)
                    )
            return response.json(collector.messages, headers=headers)

        return guard.attach(bp)
