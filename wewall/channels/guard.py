"""Checks for the whole Rasa server, whichever of our channels credentials.yml names.

1. Every route: a body nested too deep is a 400.

Rasa's own HTTP API (`/conversations/<id>/messages`, `…/tracker/events`, `/model/parse`, …)
parses bodies inside handlers that turn any exception into a 500, and a body that ujson
still accepts (up to 1 024 levels) can exhaust the recursion of what reads it later
(events, metadata, JSON dumps): issue #22 saw a 500 for JSON nested 10 000 deep. No
message, event or webhook of ours is more than a dozen levels deep, so a body deeper than
MAX_DEPTH is refused before any handler runs.

2. The tracker store: a database failing while the server runs is an error of the turn, not
Rasa's silent in-memory fallback (`wewall.tracker_store.loud_failures`), set once the agent is
loaded and again on each request (a model loaded through the API brings a new agent).

Rasa gives no hook for a server-wide middleware, but Sanic does: each of our channels attaches
`install` as a listener of its blueprint (`attach`), and the first to start registers the
middleware on the app, once. It then guards every route of the server, Rasa's API and the
webhooks alike.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

MAX_DEPTH = 100

# A JSON string: removed first, so brackets inside text do not count.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether `body` (JSON, or socket.io's packets of JSON) nests brackets deeper than `limit`."""
    if not body or body.count(b"[") + body.count(b"{") <= limit:
        return False  # cannot be deeper than it has brackets: the common case costs two counts
    brackets = _STRING.sub(b"", body).translate(_AS_SQUARE, _NOT_BRACKETS)
    if b"[" * (limit + 1) in brackets:
        return True  # the usual shape of such a body, found at once
    # Each pass removes the innermost pairs: a balanced text is empty after as many passes as it
    # is deep. All in C: a 0.5 MB bulk of events is checked in milliseconds.
    for _ in range(limit):
        if b"[]" not in brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return b"[]" in brackets


def _loud_tracker_store(app: Any) -> None:
    agent = getattr(app.ctx, "agent", None)
    if agent is not None:
        from wewall.tracker_store import loud_failures

        loud_failures(agent)


async def check_request(request: Request) -> Optional[HTTPResponse]:
    _loud_tracker_store(request.app)
    if too_deep(request.body or b""):
        return response.json({"error": f"JSON nested deeper than {MAX_DEPTH} levels"}, status=400)
    return None


def install(app: Any, _loop: Any = None) -> None:
    """Register the check on the whole app, once (every channel's blueprint asks)."""
    if getattr(app.ctx, "wewall_json_guard", False):
        return
    app.ctx.wewall_json_guard = True
    app.register_middleware(check_request, "request")


async def _after_start(app: Any, _loop: Any = None) -> None:
    _loud_tracker_store(app)  # Rasa loads the agent before the server starts


def attach(bp: Blueprint) -> Blueprint:
    """Have the server check every request once `bp` is registered and the server starts."""
    bp.listener("before_server_start")(install)
    bp.listener("after_server_start")(_after_start)
    return bp
