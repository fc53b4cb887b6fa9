"""Issue #22: JSON nested 10 000 deep sent to Rasa's HTTP API answered 500; the webhooks too
must refuse it with a 400, before any handler (or Rasa's token check) runs."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from wewall.channels.guard import MAX_DEPTH, too_deep

DEEP_OBJECT = b'{"text": "x", "sender": "user", "metadata": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_001
DEEP_LIST = b"[" * 10_000 + b"]" * 10_000
# deep enough for the guard, shallow enough for ujson (1 024 levels): it reached Rasa's code
MIDDLING = b'[{"event": "slot", "name": "x", "value": ' + b"[" * 900 + b"]" * 900 + b"}]"
BODIES = [DEEP_OBJECT, DEEP_LIST, MIDDLING]

API = ["/conversations/c1/messages", "/conversations/c1/tracker/events", "/model/parse",
       "/conversations/c1/trigger_intent", "/conversations/c1/execute", "/conversations/c1/predict"]
WEBHOOKS = ["/webhooks/rest/webhook", "/webhooks/telegram/webhook", "/webhooks/amocrm/webhook/scope-1"]


@pytest.mark.parametrize("body, deep", [
    (b"", False), (b"{}", False), (json.dumps({"a": [{"b": [1, 2, {"c": "[[[[{{{{"}]}]}).encode(), False),
    (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, False), (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), True),
    # brackets inside strings are text, escaped quotes do not end a string
    (b'["' + b"[" * 500 + b'\\"' + b"{" * 500 + b'"]', False),
    (b"[1]" * 5_000, False), (b"42" + b'["user_uttered", ' + b"{" * 200 + b"}" * 200 + b"]", True),
] + [(b, True) for b in BODIES])
def test_depth_is_measured_outside_strings(body, deep):
    assert too_deep(body) is deep


def _app(channels):
    from rasa.core.agent import Agent
    from rasa.core.run import configure_app
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain

    app = configure_app(input_channels=channels, enable_api=True, auth_token="api-token-0123456789",
                        conversation_id=None, use_uvloop=False)
    agent = Agent(domain=Domain.empty(), tracker_store=InMemoryTrackerStore(Domain.empty()))
    agent.processor = mock.MagicMock()  # ready, as after the model loaded
    agent.parse_message = mock.AsyncMock(return_value={"text": "привет", "intent": {"name": "greet"}})
    app.ctx.agent = agent
    return app


def _post(app, path, body):
    _, res = app.test_client.post(path, data=body, params={"token": "api-token-0123456789"},
                                  headers={"Content-Type": "application/json"})
    return res


@pytest.fixture(scope="module")
def channels():
    from wewall.channels.amocrm import AmoCrmInput
    from wewall.channels.rest import SafeRestInput
    from wewall.channels.telegram import WewallTelegramInput

    return [SafeRestInput(), WewallTelegramInput.from_credentials({}), AmoCrmInput.from_credentials({})]


def test_rasas_api_answered_500_without_the_guard():
    """What the issue saw: the API's handlers turn the parse error into a 500."""
    res = _post(_app([]), "/model/parse", DEEP_OBJECT)
    assert res.status == 500


@pytest.mark.parametrize("path", API + WEBHOOKS)
def test_deep_json_is_a_400_on_every_route(channels, path):
    app = _app(channels)
    for body in BODIES:
        res = _post(app, path, body)
        assert res.status == 400, (path, len(body), res.status, res.body[:200])
        assert "nested" in res.json.get("error", ""), res.json


def test_ordinary_requests_pass_the_guard(channels):
    app = _app(channels)
    res = _post(app, "/model/parse", json.dumps({"text": "привет"}).encode())
    assert res.status == 200 and res.json["intent"]["name"] == "greet"
    assert _post(app, "/webhooks/rest/webhook", json.dumps({"sender": "u", "message": "x"}).encode()).status != 400
