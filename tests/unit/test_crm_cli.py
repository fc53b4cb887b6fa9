"""`wewall amocrm connect | pipelines | check | status | retry-failed` against the local amoCRM."""

import os

import pytest

from tests.amocrm_server import MAIN_PIPELINE_ID, STATUS_CHAT_WITH_MANAGER, amocrm_env, amocrm_server, clear_amocrm_env  # noqa: F401
from wewall.cli import main
from wewall.crm.config import reset_crm_settings


@pytest.fixture
def env(amocrm_env, tmp_path, monkeypatch):
    monkeypatch.setenv("WEWALL_OUTBOX_URL", f"sqlite:///{tmp_path / 'outbox.db'}")
    reset_crm_settings()
    yield amocrm_env
    reset_crm_settings()


def test_connect_prints_the_scope_id(env, capsys):
    assert main(["amocrm", "connect"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == env.scope_id
    assert "подключён" in err


def test_pipelines_show_ids_and_what_is_configured(env, capsys):
    assert main(["amocrm", "pipelines"]) == 0
    out = capsys.readouterr().out
    assert f"воронка {MAIN_PIPELINE_ID}  «Основная воронка» (главная)  ← AMOCRM_MAIN_PIPELINE_ID" in out
    assert f"статус {STATUS_CHAT_WITH_MANAGER}  «Чат с менеджером»  ← AMOCRM_STATUS_CHAT_WITH_MANAGER_ID" in out


def test_check_passes_when_everything_is_right(env, capsys):
    assert main(["amocrm", "check"]) == 0
    out = capsys.readouterr().out
    assert "✓ REST API" in out and "AMOCRM_SCOPE_ID соответствует" in out
    assert out.rstrip().endswith("Всё в порядке.")


def test_check_explains_a_rejected_token_and_a_wrong_status(env, capsys, monkeypatch):
    env.reject_all_tokens = True
    assert main(["amocrm", "check"]) == 1
    assert "amoCRM отклонил токен" in capsys.readouterr().out
    env.reject_all_tokens = False
    monkeypatch.setenv("AMOCRM_STATUS_ACTIVE_USER_ID", "999")
    reset_crm_settings()
    assert main(["amocrm", "check"]) == 1
    assert "AMOCRM_STATUS_ACTIVE_USER_ID=999: такого статуса нет" in capsys.readouterr().out


def test_check_with_nothing_configured(monkeypatch, tmp_path, capsys):
    clear_amocrm_env(monkeypatch)
    monkeypatch.setenv("WEWALL_OUTBOX_URL", f"sqlite:///{tmp_path / 'outbox.db'}")
    assert main(["amocrm", "check"]) == 1
    out = capsys.readouterr().out
    assert "✗ amoCRM выключен, не заданы: AMOCRM_SUBDOMAIN" in out
    assert main(["amocrm", "connect"]) == 2
    reset_crm_settings()


def test_status_and_retry_failed(env, capsys):
    from wewall.crm.outbox import EventConverter
    from wewall.crm.store import FAILED, CrmStore

    store = CrmStore(os.environ["WEWALL_OUTBOX_URL"])
    store.append([EventConverter().convert({"sender_id": "u1", "event": "user", "text": "x"})])
    row = store.rows()[0]
    store.finish_row(row["id"], "u1", FAILED, error="400 bad")
    assert main(["amocrm", "status"]) == 0
    out = capsys.readouterr().out
    assert "ждут 0, доставлены 0, не приняты 1" in out and "400 bad" in out
    assert main(["amocrm", "retry-failed"]) == 0
    assert "возвращено в очередь: 1" in capsys.readouterr().out
    assert store.rows()[0]["status"] == "pending"
