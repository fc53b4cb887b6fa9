"""AmoApi (REST v4) against the local amoCRM server: data, auth refresh, retries, errors."""

import asyncio
import logging
import time

import pytest

from tests.amocrm_server import (
    APPEAL_PIPELINE_ID,
    LEAD_SOURCE_FIELD_ID,
    MAIN_PIPELINE_ID,
    STATUS_CHAT_WITH_BOT,
    STATUS_CHAT_WITH_MANAGER,
    TG_USERNAME_FIELD_ID,
    amocrm_env,  # noqa: F401 (fixture)
    amocrm_server,  # noqa: F401 (fixture)
)
from tests.unit.crm_fixtures import fast_settings
from wewall.crm import AmoApi, AmoAuthError, AmoRejected, AmoUnavailable, MemoryTokenStore, OAuthTokens


@pytest.mark.asyncio
async def test_account_contact_lead_note_move_and_pipelines(amocrm_env):
    server = amocrm_env
    async with AmoApi(fast_settings()) as api:
        assert await api.account_amojo_id() == server.account_id

        contact_id = await api.create_contact("Иван Петров", first_name="Иван",
                                              last_name="Петров", telegram_username="ivan_p")
        lead_id = await api.create_lead(contact_id, name="Telegram: Иван Петров")
        note_id = await api.add_lead_note(lead_id, "Клиент ищет офис 700 м² у ЦСКА")
        await api.move_lead(lead_id, pipeline_id=APPEAL_PIPELINE_ID,
                            status_id=STATUS_CHAT_WITH_MANAGER)
        pipelines = await api.pipelines()

    contact = server.contacts[contact_id]
    assert contact["name"] == "Иван Петров"
    assert contact["custom_fields_values"] == [
        {"field_id": TG_USERNAME_FIELD_ID, "values": [{"value": "ivan_p"}]}]
    lead = server.leads[lead_id]
    assert lead["contact_ids"] == [contact_id]
    assert lead["custom_fields_values"] == [
        {"field_id": LEAD_SOURCE_FIELD_ID, "values": [{"value": "WEWALL AI"}]}]
    assert lead["history"][0] == (MAIN_PIPELINE_ID, STATUS_CHAT_WITH_BOT)  # created in main
    assert (lead["pipeline_id"], lead["status_id"]) == (APPEAL_PIPELINE_ID, STATUS_CHAT_WITH_MANAGER)
    assert server.notes(lead_id) == [{"id": note_id, "entity_id": lead_id, "note_type": "common",
                                      "text": "Клиент ищет офис 700 м² у ЦСКА"}]
    assert {p["id"] for p in pipelines} == {MAIN_PIPELINE_ID, APPEAL_PIPELINE_ID}
    assert all(p["_embedded"]["statuses"] for p in pipelines)


@pytest.mark.asyncio
async def test_validation_error_is_rejected_without_retry(amocrm_env):
    async with AmoApi(fast_settings()) as api:
        with pytest.raises(AmoRejected) as err:
            await api.create_lead(12345)  # no such contact
    assert err.value.status == 400
    assert "unknown contact" in str(err.value)
    assert [r["status"] for r in amocrm_env.requests("/api/v4/leads")] == [400]


# ---------------------------------------------------------------- OAuth


@pytest.mark.asyncio
async def test_401_refreshes_once_retries_once_and_stores_tokens(amocrm_env):
    server = amocrm_env
    store = MemoryTokenStore()
    server.expire_access_token()
    async with AmoApi(fast_settings(), token_store=store) as api:
        contact_id = await api.create_contact("Анна")

    assert contact_id in server.contacts
    assert server.refresh_count == 1
    assert [r["status"] for r in server.requests("/api/v4/contacts")] == [401, 200]
    assert len(server.requests("/oauth2/access_token")) == 1
    assert store.saved == 1
    assert store.tokens.access_token == server.access_token
    assert store.tokens.refresh_token == server.refresh_token
    assert store.tokens.expires_at > time.time() + 3600


@pytest.mark.asyncio
async def test_concurrent_401s_share_one_refresh(amocrm_env):
    server = amocrm_env
    server.expire_access_token()
    async with AmoApi(fast_settings()) as api:
        ids = await asyncio.gather(*(api.create_contact(f"Клиент {i}") for i in range(5)))
    assert len(set(ids)) == 5
    # A second refresh would have used the rotated (dead) refresh token and failed.
    assert server.refresh_count == 1


@pytest.mark.asyncio
async def test_still_401_after_refresh_raises_auth_error(amocrm_env):
    server = amocrm_env
    server.reject_all_tokens = True
    async with AmoApi(fast_settings()) as api:
        with pytest.raises(AmoAuthError) as err:
            await api.create_contact("Анна")
    assert err.value.status == 401
    assert server.refresh_count == 1
    assert [r["status"] for r in server.requests("/api/v4/contacts")] == [401, 401]


@pytest.mark.asyncio
async def test_long_lived_token_401_is_not_refreshed(amocrm_env, monkeypatch):
    for name in ("AMOCRM_CLIENT_ID", "AMOCRM_CLIENT_SECRET", "AMOCRM_REDIRECT_URI",
                 "AMOCRM_REFRESH_TOKEN"):
        monkeypatch.delenv(name)
    amocrm_env.expire_access_token()
    async with AmoApi(fast_settings()) as api:
        with pytest.raises(AmoAuthError):
            await api.create_contact("Анна")
    assert amocrm_env.requests("/oauth2/") == []


@pytest.mark.asyncio
async def test_refused_refresh_raises_auth_error(amocrm_env, monkeypatch):
    monkeypatch.setenv("AMOCRM_REFRESH_TOKEN", "rotated-long-ago-refresh-token")
    amocrm_env.expire_access_token()
    async with AmoApi(fast_settings()) as api:
        with pytest.raises(AmoAuthError) as err:
            await api.create_contact("Анна")
    assert err.value.status == 400
    assert len(amocrm_env.requests("/api/v4/contacts")) == 1  # no retry without a new token


@pytest.mark.asyncio
async def test_stored_tokens_win_over_env(amocrm_env, monkeypatch):
    server = amocrm_env
    monkeypatch.setenv("AMOCRM_TOKEN", "stale-token-from-the-env-file")
    store = MemoryTokenStore(OAuthTokens(server.access_token, server.refresh_token,
                                         expires_at=time.time() + 86400))
    async with AmoApi(fast_settings(), token_store=store) as api:
        await api.account_amojo_id()
    assert server.refresh_count == 0
    assert [r["status"] for r in server.requests("/api/v4/account")] == [200]


@pytest.mark.asyncio
async def test_refresh_token_alone_bootstraps_an_access_token(amocrm_env, monkeypatch):
    monkeypatch.delenv("AMOCRM_TOKEN")
    async with AmoApi(fast_settings()) as api:
        await api.account_amojo_id()
    assert amocrm_env.refresh_count == 1
    assert [r["status"] for r in amocrm_env.requests("/api/v4/account")] == [200]


@pytest.mark.asyncio
async def test_refresh_if_expiring(amocrm_env):
    server = amocrm_env
    store = MemoryTokenStore()
    async with AmoApi(fast_settings(), token_store=store) as api:
        assert await api.refresh_if_expiring() is True  # env token: expiry unknown
        assert await api.refresh_if_expiring(within_seconds=3600) is False
        await api.account_amojo_id()
    assert server.refresh_count == 1
    assert store.tokens.access_token == server.access_token


# ---------------------------------------------------------------- retries


@pytest.mark.asyncio
async def test_retries_500_then_succeeds_with_one_lead(amocrm_env):
    server = amocrm_env
    async with AmoApi(fast_settings()) as api:
        contact_id = await api.create_contact("Анна")
        server.fail("500", requests=2, path_prefix="/api/v4/leads")
        lead_id = await api.create_lead(contact_id)
    assert list(server.leads) == [lead_id]
    assert [r["status"] for r in server.requests("/api/v4/leads")] == [500, 500, 200]


@pytest.mark.asyncio
async def test_429_honours_retry_after(amocrm_env):
    server = amocrm_env
    server.fail("429", requests=1, retry_after=0.3)
    started = time.monotonic()
    async with AmoApi(fast_settings()) as api:
        await api.account_amojo_id()
    assert time.monotonic() - started >= 0.3
    assert [r["status"] for r in server.requests("/api/v4/account")] == [429, 200]


@pytest.mark.asyncio
async def test_long_retry_after_is_left_to_the_caller(amocrm_env):
    amocrm_env.fail("429", retry_after=120)
    started = time.monotonic()
    async with AmoApi(fast_settings()) as api:
        with pytest.raises(AmoUnavailable) as err:
            await api.account_amojo_id()
    assert err.value.retry_after == 120
    assert err.value.status == 429
    assert time.monotonic() - started < 1
    assert len(amocrm_env.requests("/api/v4/account")) == 1


@pytest.mark.asyncio
async def test_retries_are_bounded(amocrm_env):
    amocrm_env.fail("503")
    async with AmoApi(fast_settings(retry_attempts=4)) as api:
        with pytest.raises(AmoUnavailable) as err:
            await api.create_contact("Анна")
    assert err.value.status == 503
    assert [r["status"] for r in amocrm_env.requests("/api/v4/contacts")] == [503] * 4
    assert amocrm_env.contacts == {}


@pytest.mark.asyncio
async def test_failure_period_is_ridden_out(amocrm_env):
    amocrm_env.fail("502", seconds=0.2)
    async with AmoApi(fast_settings(retry_attempts=6, retry_backoff_seconds=0.1,
                               retry_backoff_max_seconds=0.2)) as api:
        assert await api.account_amojo_id() == amocrm_env.account_id
    statuses = [r["status"] for r in amocrm_env.requests("/api/v4/account")]
    assert statuses[-1] == 200 and set(statuses[:-1]) == {502}


@pytest.mark.asyncio
async def test_timeout_is_retried(amocrm_env):
    amocrm_env.fail("timeout", requests=1)
    started = time.monotonic()
    async with AmoApi(fast_settings(timeout_seconds=0.3)) as api:
        assert await api.account_amojo_id() == amocrm_env.account_id
    assert 0.3 <= time.monotonic() - started < 2


@pytest.mark.asyncio
async def test_persistent_timeout_becomes_unavailable(amocrm_env):
    amocrm_env.fail("timeout")
    started = time.monotonic()
    async with AmoApi(fast_settings(timeout_seconds=0.2, retry_attempts=2)) as api:
        with pytest.raises(AmoUnavailable) as err:
            await api.account_amojo_id()
    assert "timeout" in str(err.value)
    assert isinstance(err.value.__cause__, asyncio.TimeoutError)
    assert time.monotonic() - started < 1.5


@pytest.mark.asyncio
async def test_dropped_connection_is_retried(amocrm_env):
    amocrm_env.fail("disconnect", requests=1)
    async with AmoApi(fast_settings()) as api:
        assert await api.account_amojo_id() == amocrm_env.account_id


@pytest.mark.asyncio
async def test_connection_refused_becomes_unavailable(amocrm_env, monkeypatch):
    base_url = amocrm_env.base_url
    amocrm_env.stop()
    monkeypatch.setenv("AMOCRM_API_BASE_URL", base_url)
    async with AmoApi(fast_settings()) as api:
        with pytest.raises(AmoUnavailable) as err:
            await api.account_amojo_id()
    assert err.value.status is None


# ---------------------------------------------------------------- secrets


@pytest.mark.asyncio
async def test_tokens_and_secrets_never_reach_logs_or_errors(amocrm_env, caplog):
    server = amocrm_env
    secrets = {server.access_token, server.refresh_token, server.client_secret,
               server.channel_secret}
    caplog.set_level(logging.DEBUG)
    server.expire_access_token()
    server.fail("500", requests=1, path_prefix="/api/v4/account")
    errors = []
    async with AmoApi(fast_settings()) as api:
        await api.account_amojo_id()  # 500, retry, 401, refresh, retry
        secrets |= {server.access_token, server.refresh_token}
        server.reject_all_tokens = True
        try:
            await api.account_amojo_id()
        except AmoAuthError as exc:
            errors.append(exc)
        shown = [repr(api), repr(api.tokens), repr(api.settings), str(errors[0])]
    text = caplog.text + "\n".join(shown)
    assert "refresh" in caplog.text  # the refresh was logged…
    for secret in secrets:  # …without any token or secret
        assert secret not in text
