"""A lead from a conversation, and how managers read it: pure functions, no Rasa, no I/O.

`lead_from_conversation` takes what an action sees (slots, events, sender, channel) and
returns the lead book's row: contacts from the slots (the viewing form's `person_name`,
`phone`, `viewing_time`) or, failing those, from the client's own Telegram profile in the
messages' metadata; the `/start` payload; the summary of wewall/crm/summary.py.
"""

from __future__ import annotations

import html
from typing import Any, Dict, Iterable, Mapping, Optional

from wewall.leads.book import KINDS, format_time

NAME_SLOTS = ("person_name", "contact_name", "name", "client_name")
PHONE_SLOTS = ("phone", "contact_phone")
TIME_SLOTS = ("viewing_time", "contact_time", "preferred_time", "viewing_datetime")


def normalize_phone(value: Any) -> Optional[str]:
    """+7XXXXXXXXXX when it reads as a Russian number, else the text as typed (or None)."""
    if value in (None, ""):
        return None
    text = " ".join(str(value).split())[:32]
    try:
        from wewall.dialogue.contacts import normalize_phone as normalize

        return normalize(text) or text
    except Exception:  # phonenumbers missing or a strange input: keep what the client wrote
        return text


def _first(slots: Mapping[str, Any], names: Iterable[str]) -> Optional[str]:
    for name in names:
        value = slots.get(name)
        if value not in (None, "", [], {}) and isinstance(value, (str, int, float)):
            return " ".join(str(value).split())[:255]
    return None


def _profile(events: Iterable[Mapping[str, Any]]) -> Dict[str, Any]:
    """The newest Telegram profile and /start payload seen in the client's messages."""
    found: Dict[str, Any] = {}
    for event in reversed(list(events or [])):
        if not isinstance(event, Mapping) or event.get("event") != "user":
            continue
        meta = event.get("metadata") or {}
        if not isinstance(meta, Mapping):
            continue
        tg = raw if isinstance(raw := meta.get("telegram"), Mapping) else {}
        for key, value in (("username", tg.get("username") or meta.get("username")),
                           ("user_id", tg.get("user_id")),
                           ("first_name", tg.get("first_name") or meta.get("first_name")),
                           ("last_name", tg.get("last_name") or meta.get("last_name")),
                           ("lead_source", meta.get("lead_source"))):
            if key not in found and value not in (None, ""):
                found[key] = value
    return found


def lead_from_conversation(*, kind: str, summary: str, slots: Optional[Mapping[str, Any]],
                           events: Iterable[Mapping[str, Any]], sender_id: str,
                           channel: Optional[str], ref: Optional[str] = None) -> Dict[str, Any]:
    slots = slots if isinstance(slots, Mapping) else {}
    profile = _profile(events)
    name = _first(slots, NAME_SLOTS)
    if not name:
        full = " ".join(str(profile[k]) for k in ("first_name", "last_name") if profile.get(k))
        name = full[:255] or None
    username = profile.get("username")
    user_id = profile.get("user_id")
    source = _first(slots, ("lead_source",)) or profile.get("lead_source")
    return {
        "ref": ref,
        "kind": kind if kind in KINDS else "request",
        "sender_id": str(sender_id),
        "channel": channel,
        "lead_source": str(source)[:128] if source else None,
        "name": name,
        "phone": normalize_phone(_first(slots, PHONE_SLOTS)),
        "telegram_username": str(username).lstrip("@")[:64] if username else None,
        "telegram_user_id": user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None,
        "viewing_time": _first(slots, TIME_SLOTS),
        "summary": summary,
    }


def reachable(lead: Mapping[str, Any]) -> bool:
    """Can a manager reach the client outside the bot: a phone or a Telegram @username."""
    return bool(lead.get("phone") or lead.get("telegram_username"))


def contact_line(lead: Mapping[str, Any]) -> str:
    parts = []
    if lead.get("name"):
        parts.append(str(lead["name"]))
    if lead.get("phone"):
        parts.append(str(lead["phone"]))
    if lead.get("telegram_username"):
        parts.append(f"@{lead['telegram_username']}")
    if not lead.get("phone") and not lead.get("telegram_username"):
        parts.append("контактов нет: ответить можно только в чате бота")
    return ", ".join(parts)


def plain_text(lead: Mapping[str, Any]) -> str:
    """A lead for e-mail and the terminal."""
    lines = [
        f"Заявка №{lead['id']} — {KINDS.get(lead['kind'], lead['kind'])}",
        f"Клиент: {contact_line(lead)}",
    ]
    if lead.get("viewing_time"):
        lines.append(f"Удобное время: {lead['viewing_time']}")
    where = [f"канал {lead.get('channel') or '—'}", f"диалог {lead['sender_id']}"]
    if lead.get("lead_source"):
        where.append(f"источник {lead['lead_source']}")
    lines.append("Откуда: " + ", ".join(where))
    lines.append(f"Создана: {format_time(lead['created_at'])} (МСК)")
    lines += ["", str(lead["summary"])]
    return "\n".join(lines)


def telegram_html(lead: Mapping[str, Any]) -> str:
    """A lead for the managers' Telegram chat (parse_mode HTML, under 4096 characters)."""
    e = html.escape
    head = f"<b>Заявка №{lead['id']}</b> — {e(KINDS.get(lead['kind'], lead['kind']))}"
    body = plain_text(lead).split("\n", 1)[1]
    # Clipped before escaping: a cut «&amp;» would make Telegram refuse the whole message.
    escaped, size = [], 0
    for char in body:
        piece = e(char)
        if size + len(piece) > 3900:
            escaped.append("…")
            break
        escaped.append(piece)
        size += len(piece)
    return head + "\n" + "".join(escaped)


def email_subject(lead: Mapping[str, Any]) -> str:
    who = lead.get("name") or lead.get("phone") or (f"@{lead['telegram_username']}"
                                                   if lead.get("telegram_username") else "клиент")
    return f"Заявка №{lead['id']}: {KINDS.get(lead['kind'], lead['kind'])} — {who}"
