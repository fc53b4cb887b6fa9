"""One place for configuration: environment variables only (see .env.example).

Pydantic 1.10's BaseSettings because rasa 3.6 pins pydantic < 1.10.10.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

from pydantic import BaseSettings, Field

from wewall import PROJECT_ROOT


class Settings(BaseSettings):
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

    # Follow-ups (wewall.followups): one reminder to a client silent in the middle of a form
    # for this long (0 turns them off), not later than max_age after the last message, only on
    # channels that can write first. The worker reaches Rasa's HTTP API at rasa_url.
    followup_after_minutes: float = Field(30.0, env="WEWALL_FOLLOWUP_AFTER_MINUTES")
    followup_max_age_hours: float = Field(24.0, env="WEWALL_FOLLOWUP_MAX_AGE_HOURS")
    followup_channels: str = Field("telegram,socketio", env="WEWALL_FOLLOWUP_CHANNELS")
    followup_poll_seconds: float = Field(15.0, env="WEWALL_FOLLOWUP_POLL_SECONDS")
    rasa_url: str = Field("http://localhost:5005", env="WEWALL_RASA_URL")
    rasa_auth_token: Optional[str] = Field(None, env="RASA_AUTH_TOKEN")

    class Config:
        case_sensitive = False

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
