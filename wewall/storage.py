"""Every MongoDB access of the project, and the one client factory.

Backends, all spoken to through pymongo's API:
- `mongodb`: a real server (`WEWALL_MONGODB_URI`), used in production;
- `embedded`: mongomock, persisted as BSON files in `WEWALL_DATA_DIR/mongo/<db>/`, so that the
  `wewall data` commands, the action server and a restart see the same data without a server.
  Chosen over montydb by measurement, 9–14 times faster (figures: docs/data.md, «Встроенное
  хранилище документов»; why: docs/decisions/mongomock.md);
- `mongomock`: in memory only, for tests.

pymongo is blocking: async code calls these functions through `wewall.blocking.run_blocking`,
never directly on the event loop (the old bot's flaw).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

import bson
import bson.errors
import mongomock
import pymongo
from pymongo.database import Database

from wewall.settings import get_settings

log = logging.getLogger(__name__)

SUBWAY_STATIONS = "subway_stations"
SQUARE_COEFFS = "square_coeffs"
WAY_TO_SUBWAY_COEFFS = "way_to_subway_coeffs"
ESTATES = "estates"
# Where each collection's data came from (demo or imported, and from what file).
DATA_SOURCES = "data_sources"
COLLECTIONS = (SUBWAY_STATIONS, SQUARE_COEFFS, WAY_TO_SUBWAY_COEFFS, ESTATES)

INDEXES: Dict[str, List[dict]] = {
    SUBWAY_STATIONS: [{"keys": [("name_key", 1)], "unique": True}],
    ESTATES: [
        {"keys": [("deal", 1), ("type", 1), ("area_m2", 1)]},
        {"keys": [("price_rub", 1)]},
        {"keys": [("rent_rub_month", 1)]},
        {"keys": [("metro.station", 1)]},
        {"keys": [("location", "2dsphere")]},
        # Imports replace one source's offers at a time.
        {"keys": [("source", 1)]},
    ],
}


class StorageError(RuntimeError):
    """The document store cannot be reached or read; the message is for a person."""


# ---------------------------------------------------------------- embedded backend


class EmbeddedStore:
    """A mongomock client whose collections persist as BSON files in a folder.

    Writers call `save()` (the `wewall data` commands do it through `writing()`); readers in
    other processes pick changes up on their next `database()` call by the files' mtimes.
    An exclusive file lock keeps two savers from interleaving.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.client: mongomock.MongoClient[Dict[str, Any]] = mongomock.MongoClient()
        self._seen: Dict[Path, int] = {}
        self._lock = threading.RLock()
        # (db, collection) -> why it cannot be read: a corrupt file breaks that collection only
        self.broken: Dict[tuple, str] = {}

    def _db_dir(self, name: str) -> Path:
        return self.folder / name

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def database(self, name: str) -> Database:
        with self._lock:
            self._refresh(name)
            return self.client[name]

    def _refresh(self, name: str) -> None:
        folder = self._db_dir(name)
        if not folder.is_dir():
            return
        db = self.client[name]
        for path in folder.glob("*.bson"):
            mtime = path.stat().st_mtime_ns
            if self._seen.get(path) == mtime:
                continue
            coll = db[path.stem]
            coll.drop()
            self._seen[path] = mtime
            try:
                docs: List[Dict[str, Any]] = bson.decode_all(path.read_bytes())
            except (bson.errors.BSONError, OSError, ValueError) as exc:
                # Loud, and only for what needs this collection: the others stay usable, and
                # nothing saves over the file (save() skips it) until someone repairs it.
                why = (f"коллекция {path.stem} не читается: файл {path} повреждён "
                       f"({exc.__class__.__name__}: {exc}); восстановите его из копии или удалите "
                       f"и загрузите данные заново")
                self.broken[(name, path.stem)] = why
                log.error("%s", why)
                continue
            self.broken.pop((name, path.stem), None)
            if docs:
                coll.insert_many(docs)
            _ensure_indexes_of(coll, path.stem)

    def save(self, name: str, collections: Optional[Iterable[str]] = None) -> None:
        with self._lock, self._file_lock():
            folder = self._db_dir(name)
            folder.mkdir(parents=True, exist_ok=True)
            db = self.client[name]
            for coll_name in collections or db.list_collection_names():
                if (name, coll_name) in self.broken:
                    continue  # never replace an unreadable file with what little is in memory
                path = folder / f"{coll_name}.bson"
                data = b"".join(bson.encode(doc) for doc in db[coll_name].find())
                if path.exists() and path.read_bytes() == data:
                    continue  # unchanged: keep the mtime, so readers and `make train` see no change
                tmp = path.with_suffix(".bson.tmp")
                with open(tmp, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
                self._seen[path] = path.stat().st_mtime_ns


# ---------------------------------------------------------------- the factory

_lock = threading.Lock()
_clients: Dict[str, Any] = {}


def backend_name(uri: Optional[str] = None) -> str:
    uri = uri if uri is not None else get_settings().mongodb_uri
    if not uri:
        return "embedded"
    if uri.startswith("mongomock://"):
        return "mongomock"
    return "mongodb"


def get_client(uri: Optional[str] = None, data_dir: Optional[Path] = None):
    """The process-wide client for `uri` (default: settings). Cached: clients pool connections.

    `uri` may be a MongoDB URI, `mongomock://` (in memory) or empty (embedded, in `data_dir`).
    """
    settings = get_settings()
    uri = uri if uri is not None else (settings.mongodb_uri or "")
    folder = Path(data_dir or settings.data_dir) / "mongo"
    key = f"{uri}|{folder}" if not uri else uri
    with _lock:
        if key not in _clients:
            kind = backend_name(uri)
            if kind == "embedded":
                _clients[key] = EmbeddedStore(folder)
            elif kind == "mongomock":
                _clients[key] = mongomock.MongoClient()
            else:
                _clients[key] = pymongo.MongoClient(
                    uri, serverSelectionTimeoutMS=settings.mongodb_timeout_ms, tz_aware=True
                )
            log.info("document store: %s", kind if kind != "mongodb" else "MongoDB")
        return _clients[key]


def get_db(uri: Optional[str] = None, name: Optional[str] = None, data_dir: Optional[Path] = None) -> Database:
    client = get_client(uri, data_dir)
    name = name or get_settings().mongodb_db
    if isinstance(client, EmbeddedStore):
        return client.database(name)
    return client[name]


def reset_clients() -> None:
    """Forget cached clients (tests switch backends and folders)."""
    with _lock:
        for client in _clients.values():
            if isinstance(client, pymongo.MongoClient):
                client.close()
        _clients.clear()


def _coll(db: Database, name: str):
    """`db[name]`, or StorageError naming the file when the embedded store could not read it."""
    for client in list(_clients.values()):
        if isinstance(client, EmbeddedStore) and client.client is db.client:
            why = client.broken.get((db.name, name))
            if why:
                raise StorageError(why)
    return db[name]


def save(db: Database, collections: Optional[Iterable[str]] = None) -> None:
    """Make writes durable. A no-op for servers (they persist by themselves)."""
    for client in list(_clients.values()):
        if isinstance(client, EmbeddedStore) and client.client is db.client:
            client.save(db.name, collections)


@contextlib.contextmanager
def writing(uri: Optional[str] = None, data_dir: Optional[Path] = None) -> Iterator[Database]:
    """A database for a batch of writes, saved at the end (embedded) if nothing failed."""
    db = get_db(uri, data_dir=data_dir)
    yield db
    save(db)


# ---------------------------------------------------------------- schema


def _ensure_indexes_of(coll, name: str) -> None:
    for spec in INDEXES.get(name, []):
        keys = spec["keys"]
        if isinstance(coll, mongomock.Collection) and any(k[1] == "2dsphere" for k in keys):
            continue  # mongomock has no geo indexes; geo queries are answered in Python there
        coll.create_index(keys, unique=spec.get("unique", False))


def ensure_indexes(db: Database) -> None:
    for name in INDEXES:
        _ensure_indexes_of(_coll(db, name), name)


def ping(db: Database) -> None:
    """Raise StorageError with a readable message when the store cannot be reached."""
    try:
        db.command("ping") if not isinstance(db, mongomock.Database) else None
    except pymongo.errors.PyMongoError as exc:
        raise StorageError(f"MongoDB недоступна ({exc.__class__.__name__}): {exc}") from exc


# ---------------------------------------------------------------- provenance


def set_source(db: Database, collection: str, kind: str, source: str, **extra) -> None:
    """Record what a collection holds: kind `demo` or `imported`, and from where."""
    doc = {"_id": collection, "kind": kind, "source": source, "loaded_at": dt.datetime.now(dt.timezone.utc)}
    doc.update(extra)
    _coll(db, DATA_SOURCES).replace_one({"_id": collection}, doc, upsert=True)


def get_source(db: Database, collection: str) -> Optional[dict]:
    return _coll(db, DATA_SOURCES).find_one({"_id": collection})


def counts(db: Database) -> Dict[str, int]:
    return {name: _coll(db, name).count_documents({}) for name in COLLECTIONS}


# ---------------------------------------------------------------- subway_stations


RATE_FIELDS = ("price_A", "price_B", "rent_A", "rent_B", "average_cadastral_value")


def replace_stations(db: Database, stations: Sequence[dict]) -> None:
    """Replace the station table, keeping the rates already stored for a station."""
    old = {d["_id"]: d for d in _coll(db, SUBWAY_STATIONS).find({}, dict.fromkeys(RATE_FIELDS + ("rates_source",), 1))}
    docs = []
    for st in stations:
        doc = dict(st)
        kept = old.get(st["_id"], {})
        for f in RATE_FIELDS + ("rates_source",):
            if f not in doc and f in kept:
                doc[f] = kept[f]
        docs.append(doc)
    _coll(db, SUBWAY_STATIONS).delete_many({})
    if docs:
        _coll(db, SUBWAY_STATIONS).insert_many(docs)
    _ensure_indexes_of(_coll(db, SUBWAY_STATIONS), SUBWAY_STATIONS)


def list_stations(db: Database, projection: Optional[dict] = None) -> List[dict]:
    return list(_coll(db, SUBWAY_STATIONS).find({}, projection).sort("name_key", 1))


def get_station(db: Database, name: str) -> Optional[dict]:
    from wewall.data.names import name_key

    return _coll(db, SUBWAY_STATIONS).find_one({"name_key": name_key(name)})


def set_station_rates(db: Database, key: str, rates: dict, source: str) -> None:
    """Store `price_A/B`, `rent_A/B`, `average_cadastral_value` of a station, and their origin."""
    fields: Dict[str, Any] = {f: float(rates[f]) for f in RATE_FIELDS}
    fields["rates_source"] = source
    _coll(db, SUBWAY_STATIONS).update_one({"_id": key}, {"$set": fields})


def set_station_fields(db: Database, key: str, fields: dict) -> None:
    """Other fields of a station (the basis of rates derived from offers)."""
    db[SUBWAY_STATIONS].update_one({"_id": key}, {"$set": dict(fields)})


# ---------------------------------------------------------------- range tables


def replace_coeffs(db: Database, table: str, rows: Sequence[dict]) -> None:
    _coll(db, table).delete_many({})
    _coll(db, table).insert_many([dict(r) for r in rows])


def get_coeffs(db: Database, table: str) -> List[dict]:
    return list(_coll(db, table).find({}, {"_id": 0}))


# ---------------------------------------------------------------- estates


# A counter every estates writer bumps, so the search index knows when to rebuild itself
# without rescanning the collection (a query on one small document).
ESTATES_VERSION_ID = "estates:version"


def _bump_estates_version(db: Database) -> None:
    _coll(db, DATA_SOURCES).update_one({"_id": ESTATES_VERSION_ID}, {"$inc": {"version": 1}}, upsert=True)


def estates_version(db: Database) -> int:
    """Changes whenever offers are written through this module (0 before the first write)."""
    doc = _coll(db, DATA_SOURCES).find_one({"_id": ESTATES_VERSION_ID})
    return int(doc["version"]) if doc else 0


def insert_estates(db: Database, docs: Sequence[dict]) -> int:
    if not docs:
        return 0
    _coll(db, ESTATES).insert_many([dict(d) for d in docs])
    _bump_estates_version(db)
    return len(docs)


def delete_estates(db: Database, query: Optional[dict] = None) -> int:
    deleted = _coll(db, ESTATES).delete_many(query or {}).deleted_count
    if deleted:
        _bump_estates_version(db)
    return deleted


def _is_mock(db: Database) -> bool:
    return isinstance(db, mongomock.Database)


# Fields an import must not wipe when an offer comes back unchanged (computed later).
KEPT_ON_REIMPORT = ("irr_percent", "irr_basis", "updated_at")


def replace_source_estates(db: Database, source: str, docs: Sequence[dict]) -> Dict[str, int]:
    """Make the offers of `source` exactly `docs` (matched by `_id`), keeping what was computed.

    An offer whose `content_hash` did not change keeps its `irr_percent`, `irr_basis` and
    `updated_at`, so importing the same file twice changes nothing. Returns the counts of new,
    updated, unchanged and removed offers.

    mongomock scans the collection for every `_id` lookup (5 000 upserts took 21 s), so there
    the source is rewritten with one delete and one insert; a server gets ordinary upserts.
    """
    coll = _coll(db, ESTATES)
    old = {d["_id"]: d for d in coll.find({"source": source}, {"content_hash": 1, **dict.fromkeys(KEPT_ON_REIMPORT, 1)})}
    out = {"new": 0, "updated": 0, "unchanged": 0, "removed": 0}
    prepared = []
    for doc in docs:
        doc = dict(doc)
        before = old.get(doc["_id"])
        if before is None:
            out["new"] += 1
        elif before.get("content_hash") is not None and before.get("content_hash") == doc.get("content_hash"):
            out["unchanged"] += 1
            for f in KEPT_ON_REIMPORT:
                if f in before:
                    doc[f] = before[f]
        else:
            out["updated"] += 1
        prepared.append(doc)
    keep = {d["_id"] for d in prepared}
    stale = [i for i in old if i not in keep]
    out["removed"] = len(stale)
    if _is_mock(db):
        coll.delete_many({"source": source})
        if prepared:
            coll.insert_many(prepared)
    else:
        ops = [pymongo.ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in prepared]
        for start in range(0, len(ops), 1000):
            coll.bulk_write(ops[start : start + 1000], ordered=False)
        if stale:
            coll.delete_many({"_id": {"$in": stale}})
    if prepared or stale:
        _bump_estates_version(db)
    return out


def update_estates_fields(
    db: Database, updates: Dict[Any, dict], scope: dict, unset: Sequence[str] = ()
) -> int:
    """Set fields per offer (`updates`: id → fields) and remove `unset` from the other offers in `scope`.

    Every offer the update touches must match `scope` (the caller's query, e.g. all sale
    offers). On mongomock (a scan per `_id`, see above) the scope is rewritten at once.
    """
    coll = _coll(db, ESTATES)
    if _is_mock(db):
        docs = list(coll.find(scope))
        for doc in docs:
            fields = updates.get(doc["_id"])
            if fields is None:
                for f in unset:
                    doc.pop(f, None)
            else:
                doc.update(fields)
        coll.delete_many(scope)
        if docs:
            coll.insert_many(docs)
        touched = len(docs)
    else:
        ops = [pymongo.UpdateOne({"_id": i}, {"$set": f}) for i, f in updates.items()]
        for start in range(0, len(ops), 1000):
            coll.bulk_write(ops[start : start + 1000], ordered=False)
        if unset:
            others = {"$and": [scope, {"_id": {"$nin": list(updates)}}]}
            coll.update_many(others, {"$unset": dict.fromkeys(unset, "")})
        touched = len(updates)
    _bump_estates_version(db)
    return touched


def iter_estates(
    db: Database, query: Optional[dict] = None, projection: Optional[dict] = None, batch_size: int = 5000
) -> Iterator[dict]:
    """Offers one by one with only the fields asked for (the search index reads 1 000 000 so)."""
    yield from _coll(db, ESTATES).find(query or {}, projection).batch_size(batch_size)


def get_estates_by_ids(db: Database, ids: Sequence[Any]) -> List[dict]:
    """The offers with these ids, in the order of `ids` (missing ones are left out)."""
    if not ids:
        return []
    found = {d["_id"]: d for d in _coll(db, ESTATES).find({"_id": {"$in": list(ids)}})}
    return [found[i] for i in ids if i in found]


def find_estates(db: Database, query: dict, sort: Optional[list] = None, limit: int = 0) -> List[dict]:
    cursor = _coll(db, ESTATES).find(query)
    if sort:
        cursor = cursor.sort(sort)
    if limit:
        cursor = cursor.limit(limit)
    return list(cursor)


def get_estate(db: Database, estate_id: Any) -> Optional[dict]:
    return _coll(db, ESTATES).find_one({"_id": estate_id})
