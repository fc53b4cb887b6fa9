"""Where leads go: environment variables only (.env.example lists them).

Each destination is optional. With none, a lead is still kept in the lead book and
`wewall leads list` shows it. Empty values mean "not set", as in wewall/crm/config.py.
"""

from __future__ import annotations

import functools
from typing import List, Optional

from pydantic import Field, SecretStr, validator

from wewall.settings import EnvSettings


class LeadSettings(EnvSettings):
    # The managers' Telegram chat (a group the bot is a member of; its id is negative):
    # each new lead is posted there with «Взял» / «Не дозвонился». Sent with the bot's own
    # TELEGRAM_TOKEN through TELEGRAM_API_BASE_URL; the buttons come back to its webhook.
    telegram_chat_id: Optional[str] = Field(None, env="WEWALL_LEADS_TELEGRAM_CHAT_ID")
    telegram_token: Optional[SecretStr] = Field(None, env="TELEGRAM_TOKEN")
    telegram_api_base_url: str = Field("https://api.telegram.org", env="TELEGRAM_API_BASE_URL")

    # E-mail through an SMTP server: host set and at least one recipient turn it on.
    smtp_host: Optional[str] = Field(None, env="WEWALL_LEADS_SMTP_HOST")
    smtp_port: int = Field(25, env="WEWALL_LEADS_SMTP_PORT")
    smtp_user: Optional[str] = Field(None, env="WEWALL_LEADS_SMTP_USER")
    smtp_password: Optional[SecretStr] = Field(None, env="WEWALL_LEADS_SMTP_PASSWORD")
    # "starttls" (port 587), "ssl" (port 465) or "none" (a relay on the local network).
    smtp_security: str = Field("none", env="WEWALL_LEADS_SMTP_SECURITY")
    email_from: str = Field("WEWALL AI <bot@wewall.ru>", env="WEWALL_LEADS_EMAIL_FROM")
    # Comma-separated addresses.
    email_to: Optional[str] = Field(None, env="WEWALL_LEADS_EMAIL_TO")

    # Network limits of one attempt, seconds; the worker retries later.
    timeout_seconds: float = Field(15.0, env="WEWALL_LEADS_TIMEOUT_SECONDS")
    # Backoff between attempts of one delivery: first delay and cap, seconds.
    retry_seconds: float = Field(10.0, env="WEWALL_LEADS_RETRY_SECONDS")
    retry_max_seconds: float = Field(600.0, env="WEWALL_LEADS_RETRY_MAX_SECONDS")
    poll_seconds: float = Field(2.0, env="WEWALL_LEADS_POLL_SECONDS")

    @validator("smtp_security")
    def _security(cls, value):
        value = (value or "none").lower()
        if value not in ("none", "starttls", "ssl"):
            raise ValueError("WEWALL_LEADS_SMTP_SECURITY: none, starttls or ssl")
        return value

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_chat_id and self.telegram_token)

    @property
    def email_recipients(self) -> List[str]:
        return [a.strip() for a in (self.email_to or "").split(",") if a.strip()]

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.email_recipients)


@functools.lru_cache(maxsize=1)
def get_lead_settings() -> LeadSettings:
    return LeadSettings()


def reset_lead_settings() -> None:
    get_lead_settings.cache_clear()


def destinations(amocrm_enabled: Optional[bool] = None) -> List[str]:
    """The destinations configured now, in the order a manager is most likely to see them."""
    from wewall.leads.book import AMOCRM, EMAIL, TELEGRAM

    if amocrm_enabled is None:
        from wewall.crm.config import get_crm_settings

        amocrm_enabled = get_crm_settings().enabled
    s = get_lead_settings()
    out = []
    if amocrm_enabled:
        out.append(AMOCRM)
    if s.telegram_enabled:
        out.append(TELEGRAM)
    if s.email_enabled:
        out.append(EMAIL)
    return out

