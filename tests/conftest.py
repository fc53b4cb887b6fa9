import os
from pathlib import Path

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    return Path(os.environ.get("WEWALL_SHARED_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))


def shared_file(relative: str) -> Path:
    """A file of ../shared/data, or a skip that says why (a user's machine has no such folder)."""
    path = shared_data_dir() / relative
    if not path.exists():
        pytest.skip(f"нет реальных данных {path}: они есть только рядом с проектом в CI и у разработчиков")
    return path


@pytest.fixture
def hh_metro_path() -> Path:
    return shared_file("metro/hh_metro_all_cities_2023-10-16.json")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own data folder and fresh cached settings and clients."""
    from wewall import storage
    from wewall.settings import reset_settings

    from wewall.leads.book import reset_books

    monkeypatch.setenv("WEWALL_DATA_DIR", str(tmp_path / "wewall-data"))
    monkeypatch.delenv("WEWALL_MONGODB_URI", raising=False)
    # `make test` exports the developer's lead book: a test's hand-over must not land there.
    monkeypatch.delenv("WEWALL_LEADS_URL", raising=False)
    reset_settings()
    storage.reset_clients()
    reset_books()
    yield
    reset_books()
    storage.reset_clients()
    reset_settings()
