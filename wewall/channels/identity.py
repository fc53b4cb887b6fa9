"""Whose conversation is it: conversation keys that carry their channel, assigned by the server.

Every conversation key (Rasa's sender id) starts with its channel: `tg:<chat id>` (Telegram),
`web:<id>` (socket.io web chat), `rest:<integration>:<sender>` (a REST caller with a configured
token) or `rest:<id>` (a REST conversation the server created). A client value is never a key by
itself, so no REST or socket.io request can name a Telegram chat or another caller's conversation.

Ids the server hands out (socket.io sessions, REST conversations without a token) are
`<random>.<signature>`: 96 random bits and an HMAC of them under the server's secret, so they
cannot be guessed and one the server did not issue is refused without any lookup. The key is
`<channel>:<random>`; the signature stays with the client, so a key read in a log line or in
amoCRM (where it is shortened anyway, `short()`) does not open the conversation.

The secret: WEWALL_SECRET_KEY, else `WEWALL_DATA_DIR/secret_key`, created at first use (0600).
Every Rasa process of one deployment must share it (same data dir or the same variable).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Dict, Optional

TELEGRAM = "tg"
WEB = "web"
REST = "rest"
PREFIXES = (TELEGRAM, WEB, REST)

_lock = threading.Lock()
_secret: Optional[bytes] = None


def _data_dir() -> Path:
    from wewall.settings import get_settings

    return Path(get_settings().data_dir)


def read_or_create_secret(path: Path) -> bytes:
    """The secret kept at `path`, created (random, mode 0600) when the file does not exist."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32).encode()
    try:
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(value + b"\n")
    return value


def secret() -> bytes:
    global _secret
    if _secret is None:
        with _lock:
            if _secret is None:
                env = os.environ.get("WEWALL_SECRET_KEY", "").strip()
                _secret = env.encode() if env else read_or_create_secret(_data_dir() / "secret_key")
    return _secret


def reset() -> None:
    """Forget the cached secret (tests change WEWALL_DATA_DIR / WEWALL_SECRET_KEY)."""
    global _secret
    _secret = None


def _sign(channel: str, random_part: str) -> str:
    mac = hmac.new(secret(), f"{channel}:{random_part}".encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def issue(channel: str) -> str:
    """A new client-held id `<random>.<signature>` for `channel`."""
    random_part = secrets.token_hex(12)
    return f"{random_part}.{_sign(channel, random_part)}"


def verify(channel: str, token: object) -> Optional[str]:
    """The conversation key of a client-held id the server issued for `channel`, else None."""
    if not isinstance(token, str) or len(token) > 64 or token.count(".") != 1:
        return None
    random_part, signature = token.split(".")
    if len(random_part) != 24 or not all(c in "0123456789abcdef" for c in random_part):
        return None
    if not hmac.compare_digest(signature.encode(), _sign(channel, random_part).encode()):
        return None
    return f"{channel}:{random_part}"


def telegram_key(chat_id: object) -> str:
    return f"{TELEGRAM}:{chat_id}"


def telegram_chat(recipient_id: object) -> str:
    """The Telegram chat id of a conversation key (`tg:123` → `123`; a bare legacy id as it is)."""
    text = str(recipient_id)
    return text[len(TELEGRAM) + 1:] if text.startswith(TELEGRAM + ":") else text


_ISSUED = re.compile(r"^[0-9a-f]{24}$")


def short(key: object) -> str:
    """A conversation key as logs and amoCRM show it: server-issued ids cut to their first 6
    characters (enough to tell apart, not to reuse); other keys as they are."""
    text = "" if key is None else str(key)
    channel, sep, rest = text.partition(":")
    if sep and channel in (WEB, REST) and _ISSUED.match(rest):
        return f"{channel}:{rest[:6]}…"
    return text  # Telegram chats, an integration's own ids (rest:<name>:<sender>), legacy ids


# ------------------------------------------------------------------- REST integrations


def rest_tokens(raw: Optional[str] = None) -> Dict[str, str]:
    """WEWALL_REST_TOKENS: `name:token` pairs, comma- or space-separated → {token: name}."""
    raw = os.environ.get("WEWALL_REST_TOKENS", "") if raw is None else raw
    tokens: Dict[str, str] = {}
    for item in raw.replace(",", " ").split():
        name, sep, token = item.partition(":")
        if not sep or not name or len(token) < 16:
            raise ValueError(
                "WEWALL_REST_TOKENS: нужны пары имя:токен (токен не короче 16 символов), например "
                "site:$(openssl rand -hex 24)"
            )
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"WEWALL_REST_TOKENS: имя интеграции {name!r}: только буквы, цифры, - и _")
        tokens[token] = name
    return tokens


def rest_integration(authorization: Optional[str], tokens: Dict[str, str]) -> Optional[str]:
    """The integration whose token is in `Authorization: Bearer <token>`, else None."""
    if not authorization or not tokens:
        return None
    scheme, _, given = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not given:
        return None
    given = given.strip()
    for token, name in tokens.items():
        if hmac.compare_digest(given.encode("utf-8", "replace"), token.encode()):
            return name
    return None


def rest_key(integration: str, sender: str) -> str:
    return f"{REST}:{integration}:{sender}"


# ------------------------------------------------------------------- conversations from before


MIGRATION = "telegram-keys-tg"
_MIGRATIONS_TABLE = "wewall_migrations"


def migrate_legacy_telegram(tracker_engine, outbox_engine=None) -> int:
    """Rename conversations kept under a bare Telegram chat id (before issue #22) to `tg:<chat>`.

    In the tracker table and, when given, in the amoCRM outbox, its conversations and the
    follow-ups (same database): the client keeps the history, the amoCRM relay keeps its
    contact, lead and chat (their ids given to amoCRM do not change), follow-ups still reach
    the chat. A conversation is Telegram's when one of its client messages came by Telegram.
    Runs once per tracker database (a row in `wewall_migrations`); returns how many it renamed.
    """
    import sqlalchemy as sa

    with tracker_engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {_MIGRATIONS_TABLE} (name VARCHAR(64) PRIMARY KEY)"))
        done = conn.execute(sa.text(f"SELECT 1 FROM {_MIGRATIONS_TABLE} WHERE name = :n"), {"n": MIGRATION}).first()
        if done:
            return 0
        candidates = [row[0] for row in conn.execute(sa.text(
            "SELECT DISTINCT sender_id FROM events WHERE type_name = 'user' AND sender_id NOT LIKE '%:%' "
            "AND (data LIKE '%\"input_channel\": \"telegram\"%' OR data LIKE '%\"input_channel\":\"telegram\"%')"
        ))]
        legacy = [s for s in candidates if s.lstrip("-").isdigit()]
        renamed = []
        for sender in legacy:
            new = telegram_key(sender)
            if conn.execute(sa.text("SELECT 1 FROM events WHERE sender_id = :s"), {"s": new}).first():
                continue  # both exist (should not happen): leave them for a person to look at
            conn.execute(sa.text("UPDATE events SET sender_id = :new WHERE sender_id = :old"), {"new": new, "old": sender})
            renamed.append(sender)
        conn.execute(sa.text(f"INSERT INTO {_MIGRATIONS_TABLE} (name) VALUES (:n)"), {"n": MIGRATION})
    if outbox_engine is not None and renamed:
        names = set(sa.inspect(outbox_engine).get_table_names())
        with outbox_engine.begin() as conn:
            for table in ("crm_conversations", "crm_outbox", "followups"):
                if table not in names:
                    continue
                for sender in renamed:
                    conn.execute(sa.text(f"UPDATE {table} SET sender_id = :new WHERE sender_id = :old"),
                                 {"new": telegram_key(sender), "old": sender})
    return len(renamed)
