"""The REST channel on a test app whose bot echoes every message (channel and identity tests)."""

import itertools
from typing import Optional

from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sanic_testing.testing import SanicTestClient

from wewall.channels.rest import SafeRestInput

_names = itertools.count()  # sanic refuses two apps of one name in a process


def rest_echo_client(channel: Optional[SafeRestInput] = None) -> SanicTestClient:
    """`channel` (default: SafeRestInput as the environment configures it now) on a test app;
    `client.seen` lists the UserMessages the bot got, and each is answered «эхо: <text>»."""
    seen = []

    async def bot(message: UserMessage) -> None:
        seen.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"эхо: {message.text}")

    app = Sanic(f"rest_test_{next(_names)}")
    app.blueprint((channel or SafeRestInput()).blueprint(bot), url_prefix="/webhooks/rest")
    client = SanicTestClient(app, port=None)
    client.seen = seen
    return client
