"""CRM settings: env names, defaults, blank values, `enabled`, and docs/amocrm.md staying in step."""

import re
from pathlib import Path

import pytest

from tests.amocrm_server import clear_amocrm_env
from wewall.crm.config import CrmSettings, get_crm_settings, reset_crm_settings

AMOCRM_MD = Path(__file__).resolve().parents[2] / "docs" / "amocrm.md"

MINIMAL = {
    "AMOCRM_SUBDOMAIN": "wewall",
    "AMOCRM_TOKEN": "long-lived-token-0123456789abcdef",
    "AMOCRM_CHANNEL_ID": "channel-1",
    "AMOCRM_CHANNEL_SECRET": "channel-secret-0123456789",
}


def env_names():
    return {f.field_info.extra["env"] for f in CrmSettings.__fields__.values()}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    clear_amocrm_env(monkeypatch)
    yield
    reset_crm_settings()


def test_nothing_configured_means_disabled():
    s = CrmSettings()
    assert not s.enabled
    assert s.api_base_url is None
    assert s.chats_base_url == "https://amojo.amocrm.ru"
    assert "AMOCRM_CHANNEL_SECRET" in s.missing()


def test_minimal_configuration_enables_and_derives_the_rest_host(monkeypatch):
    for key, value in MINIMAL.items():
        monkeypatch.setenv(key, value)
    s = get_crm_settings()
    assert s.enabled and s.missing() == []
    assert s.api_base_url == "https://wewall.amocrm.ru"
    assert s.token.get_secret_value() == MINIMAL["AMOCRM_TOKEN"]
    assert s.retry_attempts == 4 and s.timeout_seconds == 10


def test_kill_switch(monkeypatch):
    for key, value in MINIMAL.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AMOCRM_ENABLED", "false")
    s = CrmSettings()
    assert not s.enabled
    assert any("AMOCRM_ENABLED" in m for m in s.missing())


def test_oauth_client_alone_is_enough_for_rest(monkeypatch):
    monkeypatch.setenv("AMOCRM_API_BASE_URL", "http://127.0.0.1:8080/")
    monkeypatch.setenv("AMOCRM_CLIENT_ID", "id")
    monkeypatch.setenv("AMOCRM_CLIENT_SECRET", "secret")
    monkeypatch.setenv("AMOCRM_REDIRECT_URI", "https://bot.example/oauth")
    s = CrmSettings()
    assert s.rest_configured and s.oauth_configured
    assert s.api_base_url == "http://127.0.0.1:8080"  # an explicit host wins, no trailing slash


def test_every_variable_is_read_and_typed(monkeypatch):
    values = {
        "AMOCRM_MAIN_PIPELINE_ID": "7000001", "AMOCRM_APPEAL_PIPELINE_ID": "7000002",
        "AMOCRM_STATUS_CHAT_WITH_BOT_ID": "1", "AMOCRM_STATUS_HIGH_ENGAGEMENT_ID": "2",
        "AMOCRM_STATUS_ACTIVE_USER_ID": "3", "AMOCRM_STATUS_CHAT_WITH_MANAGER_ID": "4",
        "AMOCRM_TG_USERNAME_FIELD_ID": "5", "AMOCRM_LEAD_SOURCE_FIELD_ID": "6",
        "AMOCRM_BOT_ID": "bot-ref", "AMOCRM_BOT_CLIENT_ID": "bot-client",
        "AMOCRM_BOT_NAME": "Бот WEWALL", "AMOCRM_SCOPE_ID": "chan_acc",
        "AMOCRM_CHATS_BASE_URL": "https://amojo.kommo.com/", "AMOCRM_RETRY_ATTEMPTS": "0",
        "AMOCRM_TIMEOUT_SECONDS": "2.5",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    s = CrmSettings()
    assert (s.main_pipeline_id, s.appeal_pipeline_id) == (7000001, 7000002)
    assert (s.status_chat_with_bot_id, s.status_high_engagement_id, s.status_active_user_id,
            s.status_chat_with_manager_id) == (1, 2, 3, 4)
    assert (s.tg_username_field_id, s.lead_source_field_id) == (5, 6)
    assert (s.bot_id, s.bot_client_id, s.bot_name) == ("bot-ref", "bot-client", "Бот WEWALL")
    assert s.scope_id == "chan_acc"
    assert s.chats_base_url == "https://amojo.kommo.com"
    assert s.retry_attempts == 1  # at least one attempt, whatever the env says
    assert s.timeout_seconds == 2.5


def test_blank_values_mean_unset(monkeypatch):
    for name in env_names():
        monkeypatch.setenv(name, "  ")
    s = CrmSettings()
    assert s.main_pipeline_id is None and s.token is None and s.api_base_url is None
    assert s.chats_base_url == "https://amojo.amocrm.ru"
    assert s.retry_attempts == 4 and s.bot_name == "WEWALL AI" and s.enabled_flag is True


def test_secrets_are_masked_in_repr(monkeypatch):
    for key, value in MINIMAL.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AMOCRM_CLIENT_SECRET", "oauth-secret-0123456789")
    monkeypatch.setenv("AMOCRM_REFRESH_TOKEN", "refresh-0123456789")
    text = repr(CrmSettings()) + str(CrmSettings())
    for secret in ("long-lived-token-0123456789abcdef", "channel-secret-0123456789",
                   "oauth-secret-0123456789", "refresh-0123456789"):
        assert secret not in text


def test_amocrm_doc_lists_exactly_the_settings_variables():
    documented = set(re.findall(r"^(AMOCRM_[A-Z_]+)=", AMOCRM_MD.read_text(encoding="utf-8"), re.M))
    assert documented == env_names()
