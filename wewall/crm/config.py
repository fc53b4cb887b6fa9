"""amoCRM configuration: environment variables only (names in docs/amocrm.md, protocol facts in
../shared/domain/amocrm.md).

Secrets are `SecretStr` so that a settings object printed into a log shows `**********`.
Empty values (`AMOCRM_MAIN_PIPELINE_ID=` in a .env) mean "not set", not a parse error, so
that a half-filled .env switches the CRM off instead of crashing the bot at start.
"""

from __future__ import annotations

import functools
from typing import List, Optional

from pydantic import Field, SecretStr, root_validator, validator

from wewall.settings import EnvSettings

DEFAULT_CHATS_BASE_URL = "https://amojo.amocrm.ru"
DEFAULT_SOURCE = "WEWALL AI"


class CrmSettings(EnvSettings):
    # Kill switch: lets an operator turn mirroring off without deleting credentials.
    enabled_flag: bool = Field(True, env="AMOCRM_ENABLED")

    # --- REST API v4
    # Account subdomain: "wewall" for https://wewall.amocrm.ru.
    subdomain: Optional[str] = Field(None, env="AMOCRM_SUBDOMAIN")
    # Overrides the REST host (another zone, Kommo, or a local test server).
    # Default https://{AMOCRM_SUBDOMAIN}.amocrm.ru (filled in by a validator below).
    api_base_url: Optional[str] = Field(None, env="AMOCRM_API_BASE_URL")
    # Long-lived token, or the current OAuth access token when OAuth is used.
    token: Optional[SecretStr] = Field(None, env="AMOCRM_TOKEN")
    # OAuth 2 integration: all four are needed to refresh the access token.
    client_id: Optional[str] = Field(None, env="AMOCRM_CLIENT_ID")
    client_secret: Optional[SecretStr] = Field(None, env="AMOCRM_CLIENT_SECRET")
    redirect_uri: Optional[str] = Field(None, env="AMOCRM_REDIRECT_URI")
    # Only the first refresh token: amoCRM rotates it, later ones live in the token store.
    refresh_token: Optional[SecretStr] = Field(None, env="AMOCRM_REFRESH_TOKEN")

    # --- Chats API (amojo)
    # Overrides the chats host (amojo.kommo.com, or a local test server).
    chats_base_url: str = Field(DEFAULT_CHATS_BASE_URL, env="AMOCRM_CHATS_BASE_URL")
    # The channel registered with amoCRM and its signing secret.
    channel_id: Optional[str] = Field(None, env="AMOCRM_CHANNEL_ID")
    channel_secret: Optional[SecretStr] = Field(None, env="AMOCRM_CHANNEL_SECRET")
    # "<channel_id>_<amojo_id>", returned by connect; set it to skip the connect call.
    scope_id: Optional[str] = Field(None, env="AMOCRM_SCOPE_ID")
    # Channel title shown to managers (sent on connect).
    channel_title: str = Field(DEFAULT_SOURCE, env="AMOCRM_CHANNEL_TITLE")
    # The bot as a chat participant: ref_id, sender id and display name of imported replies.
    bot_id: Optional[str] = Field(None, env="AMOCRM_BOT_ID")
    bot_client_id: Optional[str] = Field(None, env="AMOCRM_BOT_CLIENT_ID")
    bot_name: str = Field("WEWALL AI", env="AMOCRM_BOT_NAME")
    # "Беседа изменена" webhooks are unsigned: when set, their URL must carry ?token=<this>.
    webhook_token: Optional[SecretStr] = Field(None, env="AMOCRM_WEBHOOK_TOKEN")

    # --- Pipelines and statuses (ids differ per account)
    main_pipeline_id: Optional[int] = Field(None, env="AMOCRM_MAIN_PIPELINE_ID")
    appeal_pipeline_id: Optional[int] = Field(None, env="AMOCRM_APPEAL_PIPELINE_ID")
    # Main pipeline: the lead's status while the client talks to the bot.
    status_chat_with_bot_id: Optional[int] = Field(None, env="AMOCRM_STATUS_CHAT_WITH_BOT_ID")
    # Main pipeline: engagement statuses (20th message / 2nd calculation, 60th / 7th).
    status_high_engagement_id: Optional[int] = Field(None, env="AMOCRM_STATUS_HIGH_ENGAGEMENT_ID")
    status_active_user_id: Optional[int] = Field(None, env="AMOCRM_STATUS_ACTIVE_USER_ID")
    # Appeal pipeline: the status of a hand-over to a manager.
    status_chat_with_manager_id: Optional[int] = Field(None, env="AMOCRM_STATUS_CHAT_WITH_MANAGER_ID")

    # --- Custom fields
    # Contact field holding the Telegram @username.
    tg_username_field_id: Optional[int] = Field(None, env="AMOCRM_TG_USERNAME_FIELD_ID")
    # Lead field holding the source; its value is what managers filter on.
    lead_source_field_id: Optional[int] = Field(None, env="AMOCRM_LEAD_SOURCE_FIELD_ID")
    lead_source_value: str = Field(DEFAULT_SOURCE, env="AMOCRM_LEAD_SOURCE_VALUE")

    # --- Network behaviour (one attempt's limits, then bounded retries with backoff)
    # Whole request, seconds: keeps a slow amoCRM from holding an action or a worker.
    timeout_seconds: float = Field(10.0, env="AMOCRM_TIMEOUT_SECONDS")
    connect_timeout_seconds: float = Field(5.0, env="AMOCRM_CONNECT_TIMEOUT_SECONDS")
    # Attempts per call including the first; after them the caller (outbox) retries later.
    retry_attempts: int = Field(4, env="AMOCRM_RETRY_ATTEMPTS")
    # First backoff delay, doubled on every retry, capped; jitter spreads retries of many calls.
    retry_backoff_seconds: float = Field(0.5, env="AMOCRM_RETRY_BACKOFF_SECONDS")
    retry_backoff_max_seconds: float = Field(8.0, env="AMOCRM_RETRY_BACKOFF_MAX_SECONDS")
    # A Retry-After longer than this is not slept through: AmoUnavailable carries it instead.
    retry_after_max_seconds: float = Field(30.0, env="AMOCRM_RETRY_AFTER_MAX_SECONDS")

    @validator("retry_attempts")
    def _at_least_one_attempt(cls, value):
        return max(1, value)

    @root_validator(skip_on_failure=True)
    def _default_hosts(cls, values):
        if not values.get("api_base_url") and values.get("subdomain"):
            values["api_base_url"] = f"https://{values['subdomain']}.amocrm.ru"
        for key in ("api_base_url", "chats_base_url"):
            if values.get(key):
                values[key] = values[key].rstrip("/")
        return values

    # ------------------------------------------------------------ derived values

    @property
    def oauth_configured(self) -> bool:
        """Can refresh tokens. The refresh token itself may come from the token store."""
        return bool(self.client_id and self.client_secret and self.redirect_uri)

    @property
    def rest_configured(self) -> bool:
        return bool(self.api_base_url and (self.token or self.oauth_configured))

    @property
    def chats_configured(self) -> bool:
        return bool(self.chats_base_url and self.channel_id and self.channel_secret)

    @property
    def enabled(self) -> bool:
        """Mirroring needs both APIs; anything less and the bot runs without the CRM."""
        return bool(self.enabled_flag and self.rest_configured and self.chats_configured)

    def missing(self) -> List[str]:
        """Names of the variables that keep `enabled` false, for one clear log line at start."""
        missing = []
        if not self.api_base_url:
            missing.append("AMOCRM_SUBDOMAIN or AMOCRM_API_BASE_URL")
        if not (self.token or self.oauth_configured):
            missing.append("AMOCRM_TOKEN or AMOCRM_CLIENT_ID/AMOCRM_CLIENT_SECRET/"
                           "AMOCRM_REDIRECT_URI/AMOCRM_REFRESH_TOKEN")
        if not self.channel_id:
            missing.append("AMOCRM_CHANNEL_ID")
        if not self.channel_secret:
            missing.append("AMOCRM_CHANNEL_SECRET")
        if not self.enabled_flag:
            missing.append("AMOCRM_ENABLED (is false)")
        return missing


@functools.lru_cache(maxsize=1)
def get_crm_settings() -> CrmSettings:
    return CrmSettings()


def reset_crm_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_crm_settings.cache_clear()
