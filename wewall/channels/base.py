"""What the project's HTTP input channels share (the bot's channels and the managers' pages).

Rasa finds a channel by `name()` and builds it with `from_credentials(credentials.yml's
section)`: here the name is a class attribute and the section's keys are the constructor's
keyword arguments, unless a channel says otherwise.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request


class NamedChannel(InputChannel):
    channel_name: Text = ""

    @classmethod
    def name(cls) -> Text:
        return cls.channel_name

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(**(credentials or {}))


def page_headers(csp: str, *, referrer: str = "no-referrer", cache: str = "no-store") -> Dict[str, str]:
    """The security headers of a page we serve: its Content-Security-Policy, no MIME sniffing."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": referrer,
        "Cache-Control": cache,
    }


def health_blueprint(name: str, import_name: str) -> Blueprint:
    """A channel's blueprint with `GET /` answering {"status": "ok"} (load balancers, tests)."""
    bp = Blueprint(name, import_name)

    @bp.route("/", methods=["GET"])
    async def health(_: Request):
        return response.json({"status": "ok"})

    return bp
