"""Issue #22: storage faults are loud and narrow. A corrupt `.bson` collection file used to break
every use of the embedded store (even the calculation, for a corrupt `estates`) with
`InvalidBSON: bad eoo` and no file name."""

from __future__ import annotations

import logging

import pytest

from wewall import storage
from wewall.data import commands
from wewall.settings import get_settings


def _load_demo():
    with storage.writing() as db:
        commands.load_demo(db, lambda *_: None, estates=20)
    storage.reset_clients()  # as another process (the action server) would see the files
    return get_settings().data_dir / "mongo" / get_settings().mongodb_db


@pytest.mark.parametrize("broken", [storage.ESTATES, storage.SUBWAY_STATIONS])
def test_a_corrupt_collection_breaks_only_what_needs_it_and_names_its_file(broken, caplog):
    folder = _load_demo()
    path = folder / f"{broken}.bson"
    garbage = path.read_bytes()[:37] + b"\x00garbage"
    path.write_bytes(garbage)
    with caplog.at_level(logging.ERROR, logger="wewall.storage"):
        db = storage.get_db()  # used to raise InvalidBSON here, for every caller
    assert str(path) in caplog.text
    # the other collections answer as before
    assert len(storage.get_coeffs(db, "square_coeffs")) > 0
    if broken == storage.ESTATES:
        assert len(storage.list_stations(db)) > 0
        calls = [lambda: storage.find_estates(db, {}), lambda: storage.get_estate(db, "x"),
                 lambda: storage.insert_estates(db, [{"_id": "new"}])]
    else:
        assert len(storage.find_estates(db, {})) == 20
        calls = [lambda: storage.list_stations(db), lambda: storage.get_station(db, "Арбатская")]
    for call in calls:
        with pytest.raises(storage.StorageError, match=f"{broken}.bson"):
            call()
    # nothing saves over the unreadable file
    storage.save(db)
    assert path.read_bytes() == garbage


def test_a_repaired_file_is_read_again():
    folder = _load_demo()
    path = folder / f"{storage.ESTATES}.bson"
    good = path.read_bytes()
    path.write_bytes(b"\x05\x00")
    db = storage.get_db()
    with pytest.raises(storage.StorageError):
        storage.find_estates(db, {})
    path.write_bytes(good)
    import os
    import time

    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    db = storage.get_db()
    assert len(storage.find_estates(db, {})) == 20


def test_the_calculation_works_when_estates_is_corrupt():
    """The issue's case: a corrupt `estates` broke the calculation form too."""
    from wewall.calculator import calculate, prepare, resolve_from_db

    folder = _load_demo()
    (folder / f"{storage.ESTATES}.bson").write_bytes(b"\x05\x00\x00\x00\x00garbage")
    db = storage.get_db()
    station = storage.list_stations(db)[0]["name"]
    inputs = dict(kind="finished_office", area_m2=50, price_per_m2=450_000, repairs="none", nds_rate=0,
                  metro_station=station, estate_class="B", distance_to_metro_m=1500, as_of="2026-01-15")
    assert resolve_from_db(prepare(inputs), db).cadastral > 0
    assert calculate(inputs, db=db) is not None
