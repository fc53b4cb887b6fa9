"""Chats API ("amojo") request signing and webhook verification.

amojo recomputes the signature from the bytes it receives, so the bytes we sign must be the
bytes we send: serialise once (`dump_body`), sign those bytes, send those bytes. Anything that
re-serialises in between (a client library's `json=` argument, a different key order,
`ensure_ascii`) breaks the MD5 and the signature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from email.utils import format_datetime
from typing import Any, Dict, Optional, Union

CONTENT_TYPE = "application/json"

Secret = Union[str, bytes]


def _key(secret: Secret) -> bytes:
    return secret if isinstance(secret, bytes) else secret.encode("utf-8")


def dump_body(payload: Any) -> bytes:
    """The one serialisation of a request body: compact, UTF-8, Cyrillic kept as is."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def content_md5(body: bytes) -> str:
    return hashlib.md5(body).hexdigest()


def rfc2822_date(when: Optional[Union[dt.datetime, float]] = None) -> str:
    """"Mon, 03 Oct 2020 15:11:21 +0000" in UTC.

    `email.utils.formatdate` would write "-0000" for UTC, and `strftime("%a")` follows the
    process locale; `format_datetime` on an aware UTC datetime gives neither surprise.
    """
    if when is None:
        moment = dt.datetime.now(dt.timezone.utc)
    elif isinstance(when, dt.datetime):
        moment = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
        moment = moment.astimezone(dt.timezone.utc)
    else:
        moment = dt.datetime.fromtimestamp(float(when), dt.timezone.utc)
    return format_datetime(moment.replace(microsecond=0))


def request_signature(
    secret: Secret, method: str, md5_hex: str, content_type: str, date: str, path: str
) -> str:
    message = "\n".join([method.upper(), md5_hex, content_type, date, path])
    return hmac.new(_key(secret), message.encode("utf-8"), hashlib.sha1).hexdigest()


def sign_request(
    secret: Secret,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    date: Optional[Union[str, dt.datetime, float]] = None,
    content_type: str = CONTENT_TYPE,
) -> Dict[str, str]:
    """The four headers amojo checks, for `body` exactly as it will be sent.

    `path` is the URL path only (no host, no query). The date is computed once here and the
    same string goes into the header and into the signature.
    """
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError("sign the serialised bytes (dump_body), not an object")
    date_str = date if isinstance(date, str) else rfc2822_date(date)
    md5_hex = content_md5(bytes(body))
    return {
        "Date": date_str,
        "Content-Type": content_type,
        "Content-MD5": md5_hex,
        "X-Signature": request_signature(secret, method, md5_hex, content_type, date_str, path),
    }


def webhook_signature(secret: Secret, raw_body: bytes) -> str:
    return hmac.new(_key(secret), raw_body, hashlib.sha1).hexdigest()


def verify_webhook(secret: Secret, raw_body: bytes, signature: Optional[str]) -> bool:
    """True when `signature` (the X-Signature header) matches the raw body as received.

    Verify the raw bytes before parsing: a parsed-and-reserialised body is different bytes.
    """
    if not signature or not secret:
        return False
    expected = webhook_signature(secret, raw_body).encode("ascii")
    # Bytes, because compare_digest raises on a non-ASCII str (a forged header may be one).
    return hmac.compare_digest(expected, signature.strip().lower().encode("utf-8"))
