"""Hardening shared by the channels: the checked REST channel and the masking logs."""

from __future__ import annotations

import json
import logging

import pytest

from tests.unit.channel_helpers import rest_echo_client
from wewall import logs

TOKEN = "site-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def rest(monkeypatch, tmp_path):
    monkeypatch.setenv("WEWALL_REST_TOKENS", f"site:{TOKEN}")
    monkeypatch.setenv("WEWALL_SECRET_KEY", "test-secret")
    from wewall.channels import identity

    identity.reset()
    return rest_echo_client()


def post(client, body, headers=AUTH, **kw):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    _, res = client.post("/webhooks/rest/webhook", data=data, headers=headers, **kw)
    return res


def test_a_valid_message_is_answered_as_by_rasa(rest):
    res = post(rest, {"sender": "u1", "message": "привет", "metadata": {"a": 1}})
    assert res.status == 200
    assert res.json == [{"recipient_id": "rest:site:u1", "text": "эхо: привет"}]
    assert res.headers["X-Wewall-Sender"] == "u1"
    assert rest.seen[0].metadata == {"rest": {"a": 1}} and rest.seen[0].input_channel == "rest"
    assert post(rest, {"sender": 42, "message": ""}).json == [{"recipient_id": "rest:site:42", "text": "эхо:"}]


@pytest.mark.parametrize(
    "body, status",
    [
        (b"{not json", 400),
        (b"", 400),
        (b"[1, 2, 3]", 400),
        (b"null", 400),
        (b'"text"', 400),
        (b"\xff\xfe\x00", 400),
        ({"sender": "u", "message": None}, 400),
        ({"sender": "u"}, 400),
        ({"sender": "u", "message": 5}, 400),
        ({"sender": {"id": 1}, "message": "x"}, 400),
        ({"sender": "x" * 500, "message": "x"}, 400),
        ({"sender": "a\x00b", "message": "x"}, 400),
        ({"sender": "", "message": "x"}, 400),
        ({"sender": "u", "message": "x", "metadata": [1]}, 400),
        ({"sender": "u", "message": "x" * 100_000}, 413),
        (b"[" * 20_000 + b"]" * 20_000, 400),  # issue #22: 500 before
        (b'{"sender": "u", "message": "x", "metadata": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_001, 400),
    ],
)
def test_malformed_or_oversized_bodies_are_refused_with_json(rest, body, status):
    res = post(rest, body)
    assert res.status == status
    assert "error" in res.json
    assert rest.seen == []


def test_stored_text_is_clean(rest):
    post(rest, b'{"sender": "u2", "message": "a\\u0000b\\u001bc\\ud800"}')
    assert rest.seen[0].text == "a b c?"


def test_the_limit_is_configurable(rest, monkeypatch):
    monkeypatch.setenv("WEWALL_REST_MAX_BODY_BYTES", "100")
    assert post(rest, {"sender": "u", "message": "x" * 200}).status == 413


# --- logs -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, hidden",
    [
        ("мой телефон +7 (916) 123-45-67", "916"),
        ("звоните 89161234567", "9161234567"),
        ("8 916 123 45 67, спасибо", "916 123"),
        ("+79161234567", "9161234567"),
        # A made-up token, assembled so that secret scanners do not take the test for a leak.
        ("POST https://api.telegram.org/bot123456789:" + "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" + "/sendMessage", "AAHdq"),
        ("Authorization: Bearer abc.def-ghi_jkl", "abc.def"),
        ("X-Telegram-Bot-Api-Secret-Token: s3cret-token", "s3cret"),
        ('{"access_token": "def50200abcdef"}', "def50200"),
    ],
)
def test_mask_hides_phones_and_tokens(text, hidden):
    assert hidden not in logs.mask(text)


@pytest.mark.parametrize("text", ["цена 7 500 000 ₽", "площадь 120 м2", "chat 7123456789", "ts 1732537373.52"])
def test_mask_keeps_ordinary_numbers(text):
    assert logs.mask(text) == text


def test_every_record_is_masked_and_carries_the_conversation(caplog):
    logs.install()
    logs.install()  # idempotent
    logger = logging.getLogger("wewall.test")
    with caplog.at_level(logging.INFO, logger="wewall.test"):
        with logs.bind_conversation("conv-7"):
            logger.info("client phone %s token %s", "+7 916 123-45-67", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
        logger.info("outside")
    first, second = caplog.records[-2:]
    assert "916" not in first.getMessage() and "AAHdq" not in first.getMessage()
    assert first.conversation_id == "conv-7" and second.conversation_id is None
    line = json.loads(logs.JsonFormatter().format(first))
    assert line["conversation_id"] == "conv-7" and line["level"] == "INFO"


def test_exceptions_are_masked_too(caplog):
    logs.install()
    logger = logging.getLogger("wewall.test")
    with caplog.at_level(logging.ERROR, logger="wewall.test"):
        try:
            raise RuntimeError("call +79161234567 failed")
        except RuntimeError:
            logger.exception("boom")
    assert "9161234567" not in caplog.text


def test_silent_intents_cannot_be_typed():
    from wewall.channels.rest import guard_payload

    class Domain:
        retrieval_intents = ["faq"]

    assert guard_payload("/restart", Domain()) == "restart"
    assert guard_payload("/session_start", Domain()) == "session_start"
    assert guard_payload('/faq{"x":', Domain()) == 'faq{"x":'
    assert guard_payload("/", Domain()) == ""
    assert guard_payload("/request_calculation", Domain()) == "/request_calculation"
    assert guard_payload('/inform{"calc_kind":"finished_office"}', Domain()) == '/inform{"calc_kind":"finished_office"}'
    assert guard_payload("привет", Domain()) == "привет"
