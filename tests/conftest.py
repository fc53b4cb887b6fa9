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


HH_METRO = "metro/hh_metro_all_cities_2023-10-16.json"
# The real offers: business centres first (the lots refer to them), then sale and rent lots, CIAN.
REAL_OFFER_FILES = ("nfmap_buildings_202606.json", "nfmap_lots_202606.json", "nfmap_rent_lots_202606.json",
                    "gp2team34_cian_psn_rent_geo.csv")


@pytest.fixture
def hh_metro_path() -> Path:
    return shared_file(HH_METRO)


def real_offer_paths() -> list:
    return [shared_file(f"commercial/{f}") for f in REAL_OFFER_FILES]


def real_stations_db(prefix: str):
    """A fresh in-memory document store holding the real station list (or a skip, as shared_file)."""
    import uuid

    from wewall import storage
    from wewall.data import commands

    db = storage.get_db("mongomock://", name=f"{prefix}{uuid.uuid4().hex[:8]}")
    commands.import_stations(db, shared_file(HH_METRO), lambda m: None)
    return db


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own data folder and fresh cached settings and clients."""
    from wewall import storage
    from wewall.leads.book import reset_books
    from wewall.settings import reset_settings

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
