"""What only the embedded store must add to the contract: data outlives the process."""

from wewall import storage


def test_saved_data_survives_a_new_client(tmp_path):
    db = storage.get_db("", data_dir=tmp_path)
    storage.insert_estates(db, [{"_id": "a", "deal": "rent", "area_m2": 50.0}])
    storage.save(db)
    storage.reset_clients()
    again = storage.get_db("", data_dir=tmp_path)
    assert storage.get_estate(again, "a")["area_m2"] == 50.0
    assert "deal_1_type_1_area_m2_1" in again[storage.ESTATES].index_information()


def test_unsaved_writes_are_not_seen_elsewhere(tmp_path):
    db = storage.get_db("", data_dir=tmp_path)
    storage.insert_estates(db, [{"_id": "a"}])
    reader = storage.EmbeddedStore(tmp_path / "mongo").database(db.name)
    assert reader[storage.ESTATES].count_documents({}) == 0


def test_a_reader_sees_another_writers_save(tmp_path):
    reader_store = storage.EmbeddedStore(tmp_path / "mongo")
    writer_store = storage.EmbeddedStore(tmp_path / "mongo")
    assert reader_store.database("w")[storage.ESTATES].count_documents({}) == 0
    writer = writer_store.database("w")
    writer[storage.ESTATES].insert_many([{"_id": i} for i in range(3)])
    writer_store.save("w")
    assert reader_store.database("w")[storage.ESTATES].count_documents({}) == 3
    writer[storage.ESTATES].delete_one({"_id": 0})
    writer_store.save("w", [storage.ESTATES])
    assert reader_store.database("w")[storage.ESTATES].count_documents({}) == 2


def test_writing_context_saves_only_on_success(tmp_path):
    try:
        with storage.writing("", data_dir=tmp_path) as db:
            storage.insert_estates(db, [{"_id": "lost"}])
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    reader = storage.EmbeddedStore(tmp_path / "mongo").database("wewall")
    assert reader[storage.ESTATES].count_documents({}) == 0
