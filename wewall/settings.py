"""One place for configuration: environment variables only (see .env.example).

Pydantic 1.10's BaseSettings because rasa 3.6 pins pydantic < 1.10.10. `Settings` holds the
bot's own variables; the amoCRM (wewall/crm/config.py) and lead (wewall/leads/config.py) settings
are separate objects on the same base, each read once per process (tests reset them).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

from pydantic import BaseSettings, Field, validator

from wewall import PROJECT_ROOT


class EnvSettings(BaseSettings):
    """Settings from the environment, where a variable set but blank (`X=` in .env) means unset."""

    class Config:
        case_sensitive = False

    @validator("*", pre=True)
    def _blank_is_unset(cls, value, field):
        if isinstance(value, str) and not value.strip():
            return field.default
        return value.strip() if isinstance(value, str) else value


class Settings(EnvSettings):
    # Storage. Without WEWALL_MONGODB_URI the embedded document store in data_dir is used.
    data_dir: Path = Field(PROJECT_ROOT / ".wewall", env="WEWALL_DATA_DIR")
    mongodb_uri: Optional[str] = Field(None, env="WEWALL_MONGODB_URI")
    mongodb_db: str = Field("wewall", env="WEWALL_MONGODB_DB")
    mongodb_timeout_ms: int = Field(5000, env="WEWALL_MONGODB_TIMEOUT_MS")

    # Where generated files (charts, spreadsheets) are written and the URL clients fetch them from.
    public_base_url: str = Field("http://localhost:5005/webhooks/files", env="WEWALL_PUBLIC_BASE_URL")

    # Real reference data beside the project (tests and imports read it, never copy it).
    shared_data_dir: Path = Field(PROJECT_ROOT.parent / "shared" / "data", env="WEWALL_SHARED_DATA_DIR")

    log_level: str = Field("INFO", env="WEWALL_LOG_LEVEL")
    # "json": one JSON object a line (wewall/logs.py), for a log collector.
    log_format: str = Field("text", env="WEWALL_LOG_FORMAT")

    # SQL databases (wewall/sql.py); unset: SQLite files in data_dir.
    outbox_url: Optional[str] = Field(None, env="WEWALL_OUTBOX_URL")
    leads_url: Optional[str] = Field(None, env="WEWALL_LEADS_URL")
    tracker_store_url: Optional[str] = Field(None, env="WEWALL_TRACKER_STORE_URL")
    # Delivered outbox and inbox rows are deleted after this many days (0: kept).
    outbox_retention_days: float = Field(30.0, env="WEWALL_OUTBOX_RETENTION_DAYS")
    # A session longer than this ends at the next message (wewall/tracker_store.py; 0: never).
    session_max_events: int = Field(500, env="WEWALL_SESSION_MAX_EVENTS")

    # The web chat may be embedded by these sites (CSP frame-ancestors), comma or space separated.
    cors_origins: Optional[str] = Field(None, env="WEWALL_CORS_ORIGINS")

    # The statistics page (wewall/stats/dashboard.py): its token, how long a report is reused,
    # and the managers' time zone for days and hours.
    stats_token: str = Field("", env="WEWALL_STATS_TOKEN")
    stats_cache_seconds: float = Field(300.0, env="WEWALL_STATS_CACHE_SECONDS")
    stats_utc_offset_hours: float = Field(3.0, env="WEWALL_STATS_UTC_OFFSET_HOURS")

    # Follow-ups (wewall.followups): one reminder to a client silent in the middle of a form
    # for this long (0 turns them off), not later than max_age after the last message, only on
    # channels that can write first. The worker reaches Rasa's HTTP API at rasa_url.
    followup_after_minutes: float = Field(30.0, env="WEWALL_FOLLOWUP_AFTER_MINUTES")
    followup_max_age_hours: float = Field(24.0, env="WEWALL_FOLLOWUP_MAX_AGE_HOURS")
    followup_channels: str = Field("telegram,socketio", env="WEWALL_FOLLOWUP_CHANNELS")
    followup_poll_seconds: float = Field(15.0, env="WEWALL_FOLLOWUP_POLL_SECONDS")
    rasa_url: str = Field("http://localhost:5005", env="WEWALL_RASA_URL")
    rasa_auth_token: Optional[str] = Field(None, env="RASA_AUTH_TOKEN")

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
