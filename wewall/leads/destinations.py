"""Sending a lead to the managers' Telegram chat and by e-mail (one attempt each).

Errors are split the way the worker needs them: `Retry` (network, 5xx, 429, a server that
is down: try again later) and `Refused` (the destination says this can never work as
configured, e.g. a wrong chat id or token: still retried, but slowly and loudly).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Dict, Mapping, Optional

import aiohttp

from wewall.leads import intake
from wewall.leads.config import LeadSettings

# Inline buttons under a lead in the managers' chat: callback_data "lead:<id>:<status>"
# (ASCII, far under Telegram's 64 bytes).
CALLBACK_PREFIX = "lead:"
BUTTONS = (("Взял", "taken"), ("Не дозвонился", "no_answer"))


class DeliveryError(Exception):
    pass


class Retry(DeliveryError):
    def __init__(self, message: str, retry_after: Optional[float] = None):
        super().__init__(message)
        self.retry_after = retry_after


class Refused(DeliveryError):
    pass


def keyboard(lead_id: int) -> Dict[str, Any]:
    return {"inline_keyboard": [[{"text": title, "callback_data": f"{CALLBACK_PREFIX}{lead_id}:{status}"}
                                 for title, status in BUTTONS]]}


async def telegram_call(settings: LeadSettings, method: str, params: Dict[str, Any],
                        session: Optional[aiohttp.ClientSession] = None) -> Any:
    """One Bot API call; its `result`, or Retry/Refused."""
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    url = f"{settings.telegram_api_base_url.rstrip('/')}/bot{token}/{method}"
    own = session is None
    session = session or aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=settings.timeout_seconds))
    try:
        async with session.post(url, json=params) as reply:
            try:
                body = await reply.json(content_type=None)
            except ValueError:
                body = {}
            if reply.status == 200 and isinstance(body, dict) and body.get("ok"):
                return body.get("result")
            description = (body or {}).get("description") if isinstance(body, dict) else None
            message = f"Bot API {method}: HTTP {reply.status} {description or ''}".strip()
            if reply.status == 429 or reply.status >= 500:
                after = ((body or {}).get("parameters") or {}).get("retry_after") if isinstance(body, dict) else None
                raise Retry(message, float(after) if isinstance(after, (int, float)) else None)
            raise Refused(message)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise Retry(f"Bot API {method}: {type(exc).__name__}: {exc}") from exc
    finally:
        if own:
            await session.close()


async def send_telegram(settings: LeadSettings, lead: Mapping[str, Any]) -> Dict[str, Any]:
    result = await telegram_call(settings, "sendMessage", {
        "chat_id": settings.telegram_chat_id, "text": intake.telegram_html(lead),
        "parse_mode": "HTML", "disable_web_page_preview": True,
        "reply_markup": keyboard(int(lead["id"])),
    })
    message_id = result.get("message_id") if isinstance(result, dict) else None
    return {"chat_id": settings.telegram_chat_id, "message_id": message_id}


def build_email(settings: LeadSettings, lead: Mapping[str, Any]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.email_from
    msg["To"] = ", ".join(settings.email_recipients)
    msg["Subject"] = intake.email_subject(lead)
    msg["Date"] = formatdate(localtime=False)
    # Stable per lead: a repeated send after a crash is recognisable as the same letter.
    msg["Message-ID"] = make_msgid(idstring=f"lead-{lead['ref']}", domain="wewall.bot")
    msg.set_content(intake.plain_text(lead))
    return msg


def _smtp_send(settings: LeadSettings, msg: EmailMessage) -> None:
    timeout = settings.timeout_seconds
    if settings.smtp_security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host or "", settings.smtp_port, timeout=timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=timeout)
    with client:
        if settings.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            client.login(settings.smtp_user, password)
        client.send_message(msg)


async def send_email(settings: LeadSettings, lead: Mapping[str, Any]) -> Dict[str, Any]:
    msg = build_email(settings, lead)
    try:
        await asyncio.get_running_loop().run_in_executor(None, _smtp_send, settings, msg)
    except (smtplib.SMTPAuthenticationError, smtplib.SMTPRecipientsRefused,
            smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError) as exc:
        raise Refused(f"SMTP: {type(exc).__name__}: {exc}") from exc
    except (smtplib.SMTPException, OSError) as exc:  # down, timeouts, 4xx: later
        raise Retry(f"SMTP: {type(exc).__name__}: {exc}") from exc
    return {"message_id": msg["Message-ID"], "to": settings.email_recipients}
