"""Never a silent turn: a client message whose handling failed gets a short polite answer.

Rasa logs a failing custom action (action server down, an exception in the action, a timeout)
and carries on without its events: the client sees nothing at all (REST answers `[]`). Each of
our channels handles a message inside `turn()`: the bot's messages go through a counting
wrapper of the channel's output, and a failed custom action marks the turn (`RemoteAction.run`
wrapped by `mark_failures`, installed with the other Rasa patches by wewall/bootstrap.py). When the turn failed (or raised), the client gets `SORRY` with a
«Повторить» button that sends the same message again, also after whatever the bot managed to say
before or instead (with a custom action down, the policies may go on to a generic answer such as
«выберите, что сделать», which would hide the failure).

A turn that says nothing on purpose (the client talks to a manager in amoCRM) is left alone:
only a failure brings the apology.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel

logger = logging.getLogger(__name__)

SORRY = "Извините, сейчас не получается ответить. Попробуйте, пожалуйста, ещё раз через минуту."
RETRY_TITLE = "Повторить"
MAX_RETRY_PAYLOAD = 300  # longer texts are not offered back as a button


class _Turn:
    __slots__ = ("failed",)

    def __init__(self) -> None:
        self.failed = False


_current: contextvars.ContextVar[Optional[_Turn]] = contextvars.ContextVar("wewall_turn", default=None)


def mark_failed() -> None:
    """Called where a part of the turn failed without raising to the channel."""
    current = _current.get()
    if current is not None:
        current.failed = True


class CountingOutput(OutputChannel):
    """The channel's own output, counting what the bot sends during one turn."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0
        self.failed = False  # after the turn: a custom action failed or the handling raised
        self.raised = False  # after the turn: the handling raised

    def name(self) -> Text:
        # channel-specific responses of the domain are chosen by this name
        return self.inner.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_custom_json(recipient_id, json_message, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def apology(text: Optional[str]) -> Dict[str, Any]:
    message: Dict[str, Any] = {"text": SORRY}
    if text and text.strip() and len(text) <= MAX_RETRY_PAYLOAD:
        message["buttons"] = [{"title": RETRY_TITLE, "payload": text}]
    return message


@contextlib.asynccontextmanager
async def turn(output: OutputChannel, recipient_id: Text, text: Optional[str]) -> AsyncIterator[CountingOutput]:
    """Handle one client message with `output` wrapped; apologise if it failed silently.

    Exceptions of the handling are logged and not raised (the channel answers normally);
    cancellation is logged and propagates.
    """
    state = _Turn()
    token = _current.set(state)
    counting = CountingOutput(output)
    try:
        yield counting
    except Exception:
        logger.exception("handling the message failed")
        state.failed = counting.raised = True
    except BaseException:
        logger.error("handling the message was cancelled (timeout or the client left)")
        raise
    finally:
        _current.reset(token)
    counting.failed = state.failed
    if state.failed:
        try:
            await output.send_response(recipient_id, apology(text))
        except Exception:
            logger.exception("the apology could not be sent either")


def mark_failures(original: Callable) -> Callable:
    """`RemoteAction.run` that marks the current turn when a custom action fails (installed by
    wewall/bootstrap.py, wewall/rasa_patches.py 10)."""
    from rasa.core.actions.action import ActionExecutionRejection

    async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        except ActionExecutionRejection:  # a form's validation saying no: a normal turn
            raise
        except BaseException:
            mark_failed()
            raise

    return run
