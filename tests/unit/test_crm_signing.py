"""Chats API signing and webhook verification: known answers, and what must break them."""

import datetime as dt
import hashlib
import hmac
import json
import re

import pytest

from wewall.crm.signing import content_md5, dump_body, rfc2822_date, sign_request, verify_webhook, webhook_signature

SECRET = "wewall-test-secret"
DATE = "Tue, 05 Mar 2024 12:00:00 +0000"
PATH = "/v2/origin/custom/chan_acc"
PAYLOAD = {"event_type": "new_message", "payload": {"text": "Привет, офис 700 м²"}}

# Computed once with hashlib/hmac by hand; a change of algorithm or serialisation breaks them.
LITERAL_BODY_MD5 = "1309e8e85e5a0f14a25e3ccdf062e6de"
LITERAL_POST_SIGNATURE = "deafbaa3e02647067a0124fd18179b98fffd72a1"
LITERAL_GET_SIGNATURE = "546edb1851927f571f28f1a53c432f15de15c0c0"
LITERAL_WEBHOOK_SIGNATURE = "fc718d3541641de7b2f05811bab727ca6ed1cacf"
MD5_OF_EMPTY = "d41d8cd98f00b204e9800998ecf8427e"


def by_hand(method, body, date, path, content_type="application/json"):
    md5_hex = hashlib.md5(body).hexdigest()
    string = "\n".join([method, md5_hex, content_type, date, path])
    return md5_hex, hmac.new(SECRET.encode(), string.encode(), hashlib.sha1).hexdigest()


def test_body_is_serialised_compact_utf8():
    body = dump_body(PAYLOAD)
    assert body == ('{"event_type":"new_message","payload":{"text":"Привет, офис 700 м²"}}'
                    ).encode()


def test_post_known_answer():
    body = dump_body(PAYLOAD)
    headers = sign_request(SECRET, "POST", PATH, body, date=DATE)

    md5_hex, signature = by_hand("POST", body, DATE, PATH)
    assert headers == {
        "Date": DATE,
        "Content-Type": "application/json",
        "Content-MD5": md5_hex,
        "X-Signature": signature,
    }
    assert headers["Content-MD5"] == LITERAL_BODY_MD5
    assert headers["X-Signature"] == LITERAL_POST_SIGNATURE


def test_get_signs_md5_of_empty_string():
    headers = sign_request(SECRET, "get", "/v2/origin/custom/chan/connect", date=DATE)
    assert headers["Content-MD5"] == MD5_OF_EMPTY == content_md5(b"")
    assert headers["X-Signature"] == by_hand("GET", b"", DATE, "/v2/origin/custom/chan/connect")[1]
    assert headers["X-Signature"] == LITERAL_GET_SIGNATURE


@pytest.mark.parametrize("change", [
    {"method": "PUT"}, {"path": PATH + "/chats"}, {"date": "Tue, 05 Mar 2024 12:00:01 +0000"},
    {"content_type": "application/json; charset=utf-8"}, {"body": dump_body(PAYLOAD) + b" "},
])
def test_every_signed_part_matters(change):
    args = {"method": "POST", "path": PATH, "date": DATE, "body": dump_body(PAYLOAD),
            "content_type": "application/json"}
    args.update(change)
    headers = sign_request(SECRET, args["method"], args["path"], args["body"], date=args["date"],
                           content_type=args["content_type"])
    assert headers["X-Signature"] != LITERAL_POST_SIGNATURE


def test_date_is_computed_once_and_shared_by_header_and_signature():
    body = dump_body(PAYLOAD)
    headers = sign_request(SECRET, "POST", PATH, body)
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000",
                        headers["Date"])
    assert headers["X-Signature"] == by_hand("POST", body, headers["Date"], PATH)[1]


def test_rfc2822_date_is_utc_with_plus_zero():
    utc = dt.datetime(2020, 10, 3, 15, 11, 21, 500000, tzinfo=dt.timezone.utc)
    assert rfc2822_date(utc) == "Sat, 03 Oct 2020 15:11:21 +0000"
    moscow = utc.astimezone(dt.timezone(dt.timedelta(hours=3)))
    assert rfc2822_date(moscow) == "Sat, 03 Oct 2020 15:11:21 +0000"
    assert rfc2822_date(utc.replace(tzinfo=None)) == "Sat, 03 Oct 2020 15:11:21 +0000"
    assert rfc2822_date(utc.timestamp()) == "Sat, 03 Oct 2020 15:11:21 +0000"


def test_signing_an_object_instead_of_bytes_is_refused():
    with pytest.raises(TypeError):
        sign_request(SECRET, "POST", PATH, PAYLOAD)  # type: ignore[arg-type]


# ---------------------------------------------------------------- webhooks


def test_webhook_known_answer():
    body = dump_body(PAYLOAD)
    expected = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert webhook_signature(SECRET, body) == expected == LITERAL_WEBHOOK_SIGNATURE
    assert verify_webhook(SECRET, body, LITERAL_WEBHOOK_SIGNATURE)
    assert verify_webhook(SECRET, body, LITERAL_WEBHOOK_SIGNATURE.upper() + "\n")


@pytest.mark.parametrize("reserialise", [
    lambda d: json.dumps(d),  # default separators and ensure_ascii=True
    lambda d: json.dumps(d, ensure_ascii=False),  # spaces after separators
    lambda d: json.dumps({"payload": d["payload"], "event_type": d["event_type"]},
                         ensure_ascii=False, separators=(",", ":")),  # other key order
    lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":"), indent=1),
])
def test_reserialised_body_fails_verification(reserialise):
    raw = dump_body(PAYLOAD)
    signature = webhook_signature(SECRET, raw)
    same_data = reserialise(json.loads(raw)).encode("utf-8")
    assert json.loads(same_data) == json.loads(raw)
    assert same_data != raw
    assert not verify_webhook(SECRET, same_data, signature)


@pytest.mark.parametrize("signature", [None, "", "0" * 40, LITERAL_WEBHOOK_SIGNATURE[:-1],
                                       "подпись", LITERAL_WEBHOOK_SIGNATURE + "00"])
def test_bad_webhook_signatures_are_refused_without_raising(signature):
    assert not verify_webhook(SECRET, dump_body(PAYLOAD), signature)


def test_webhook_with_another_secret_is_refused():
    body = dump_body(PAYLOAD)
    assert not verify_webhook("another-secret", body, LITERAL_WEBHOOK_SIGNATURE)
    assert not verify_webhook("", body, webhook_signature("", body))
