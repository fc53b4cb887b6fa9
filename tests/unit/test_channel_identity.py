"""Issue #22: whose conversation is it. Keys carry their channel and are assigned by the server;
REST cannot name another channel's conversation, and what a REST body says about its channel
and its client is not believed."""

from __future__ import annotations

import json

import pytest

from tests.unit.channel_helpers import rest_echo_client
from wewall.channels import identity
from wewall.channels.rest import SENDER_HEADER, SafeRestInput
from wewall.crm.outbox import EventConverter
from wewall.followups import decide

TOKEN = "crm-site-token-0123456789abcdef"


@pytest.fixture
def rest(monkeypatch, tmp_path):
    monkeypatch.setenv("WEWALL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("WEWALL_SECRET_KEY", raising=False)
    monkeypatch.setenv("WEWALL_REST_TOKENS", f"site:{TOKEN}")
    from wewall.settings import reset_settings

    reset_settings()
    identity.reset()
    yield rest_echo_client()
    identity.reset()
    reset_settings()


def post(client, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    _, res = client.post("/webhooks/rest/webhook", data=json.dumps(body, ensure_ascii=False), headers=headers)
    return res


@pytest.mark.parametrize("sender", ["777000666", "tg:777000666", "web:0123456789abcdef01234567", "rest:site:u1",
                                    "rest:0123456789abcdef01234567", "u1"])
def test_without_a_token_rest_cannot_name_any_conversation(rest, sender):
    """The hijack of the issue: a Telegram chat id as REST `sender` answered with its name and phone."""
    res = post(rest, {"sender": sender, "message": "завтра в 10"})
    assert res.status == 403 and "sender" in res.json["error"]
    assert rest.seen == []


def test_without_a_token_rest_continues_the_conversations_it_issued(rest, tmp_path):
    first = post(rest, {"message": "привет"})
    assert first.status == 200
    issued = first.headers[SENDER_HEADER]
    key = rest.seen[0].sender_id
    assert key.startswith("rest:") and key == identity.verify("rest", issued)
    assert first.json == [{"recipient_id": key, "text": "эхо: привет"}]
    again = post(rest, {"sender": issued, "message": "ещё"})
    assert again.status == 200 and rest.seen[1].sender_id == key
    # every request without a sender is a conversation of its own (they used to share one)
    other = post(rest, {"message": "привет"})
    assert rest.seen[2].sender_id != key
    # a forged signature, or the id with the signature of another channel, is refused
    random_part = issued.split(".")[0]
    web_signed = identity.issue("web")
    assert post(rest, {"sender": random_part + ".AAAAAAAAAAAAAAAA", "message": "x"}).status == 403
    assert post(rest, {"sender": web_signed, "message": "x"}).status == 403
    assert other.headers[SENDER_HEADER] != issued
    # the secret is the server's, kept in its data dir
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("sender", ["777000666", "tg:777000666", "web:0123456789abcdef01234567", "u1"])
def test_with_no_token_configured_rest_names_only_its_own_local_conversations(rest, sender):
    """A local `make run` (no integration configured) takes any sender as Rasa's channel does, but
    under `rest:local:`: a Telegram chat id or a web session key names no one else's conversation."""
    channel = SafeRestInput()
    channel.tokens = {}  # WEWALL_REST_TOKENS unset
    client = rest_echo_client(channel)
    assert post(client, {"sender": sender, "message": "завтра в 10"}).status == 200
    assert client.seen[-1].sender_id == f"rest:local:{sender}"
    assert post(client, {"sender": sender, "message": "x"}, token="some-token-0123456789").status == 401


def test_a_token_names_conversations_only_inside_its_integration(rest):
    res = post(rest, {"sender": "777000666", "message": "завтра в 10"}, token=TOKEN)
    assert res.status == 200
    assert rest.seen[0].sender_id == "rest:site:777000666"
    assert post(rest, {"sender": "777000666", "message": "x"}, token="wrong-token-0123456789").status == 401
    assert len(rest.seen) == 1


def test_input_channel_and_metadata_from_rest_are_not_believed(rest):
    res = post(rest, {"sender": "c9", "message": "меня зовут Анна", "input_channel": "telegram",
                      "metadata": {"name": "Подставной", "phone": "+79160000000", "first_name": "Злоумышленник"}},
               token=TOKEN)
    assert res.status == 200
    message = rest.seen[0]
    assert message.input_channel == "rest"
    assert message.metadata == {"rest": {"name": "Подставной", "phone": "+79160000000", "first_name": "Злоумышленник"}}
    # what the amoCRM contact is made of: nothing from the REST body
    row = EventConverter().convert({"sender_id": message.sender_id, "event": "user", "text": message.text,
                                    "input_channel": message.input_channel, "metadata": message.metadata})
    assert row["channel"] == "rest" and "client" not in row["data"]
    # the follow-up job does not write to a chat that never wrote to the bot
    state = {"active_loop": {"name": "calculation_form"}, "latest_input_channel": message.input_channel,
             "events": [{"event": "user", "timestamp": 0}], "slots": {}}
    assert decide(state, 10_000, 60, ("telegram", "socketio")) == (False, "канал 'rest' не умеет писать первым")


@pytest.mark.parametrize("raw", ["site", "site:short", "a b:0123456789abcdef0123", "si/te:0123456789abcdef0123"])
def test_bad_token_configuration_is_refused_with_an_example(raw):
    with pytest.raises(ValueError, match="WEWALL_REST_TOKENS"):
        identity.rest_tokens(raw)


@pytest.mark.parametrize(
    "key, shown",
    [("tg:777000666", "tg:777000666"), ("web:0123456789abcdef01234567", "web:012345…"),
     ("rest:0123456789abcdef01234567", "rest:012345…"), ("rest:site:client-42", "rest:site:client-42"),
     ("legacy", "legacy"), (None, "")],
)
def test_logs_and_amocrm_see_server_issued_ids_shortened(key, shown):
    assert identity.short(key) == shown


def test_amocrm_summary_and_contact_name_show_the_short_id():
    from wewall.crm.relay import client_name
    from wewall.crm.summary import build_summary

    key = "web:0123456789abcdef01234567"
    assert client_name(key, {}) == "Клиент web:012345…"
    assert "0123456789abcdef" not in build_summary({}, channel="socketio", sender_id=key)
