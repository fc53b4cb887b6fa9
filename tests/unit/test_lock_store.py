"""wewall/lock_store.py: the lock store classes endpoints.yml names, against Rasa's own."""

import asyncio
import threading
import time
import uuid

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.utils import AvailableEndpoints

from tests.e2e.harness import reachable
from wewall.lock_store import WewallInMemoryLockStore, WewallRedisLockStore

REDIS = dict(host="127.0.0.1", port=6379, db=3)


def _redis_or_skip():
    if not reachable(REDIS["host"], REDIS["port"]):
        pytest.skip("no Redis on 127.0.0.1:6379")


def _race(store_class, workers=6, rounds=15, lifetime=60.0):
    """Several stores (as several Rasa processes) on one conversation, each round a
    read-change-write of a counter under the lock: (overlapping critical sections, final count,
    lock left behind)."""
    import redis

    prefix = "t" + uuid.uuid4().hex[:8]
    red = redis.StrictRedis(**REDIS)
    counter, inside = f"{prefix}:counter", f"{prefix}:inside"
    overlaps = []

    def worker():
        store = store_class(**REDIS, key_prefix=prefix)

        async def run():
            for _ in range(rounds):
                try:
                    async with store.lock("c1", lock_lifetime=lifetime, wait_time_in_seconds=0.001):
                        if red.incr(inside) != 1:
                            overlaps.append(1)
                        value = int(red.get(counter) or 0)
                        await asyncio.sleep(0.002)  # read-change-write: loses updates without the lock
                        red.set(counter, value + 1)
                        red.decr(inside)
                except Exception:  # Rasa's store: «Could not acquire lock», a message dropped
                    overlaps.append(1)

        asyncio.run(run())

    # daemon threads: a worker stuck behind a lost ticket must not keep the test run alive
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120  # one bound for the whole race, not 120 s per thread
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        left = store_class(**REDIS, key_prefix=prefix).get_lock("c1")
        return len(overlaps), int(red.get(counter) or 0), left
    finally:
        red.delete(counter, inside)


def test_our_redis_lock_lets_one_process_at_a_time_into_a_conversation():
    _redis_or_skip()
    overlaps, count, left = _race(WewallRedisLockStore)
    assert (overlaps, count, left) == (0, 6 * 15, None)


def test_rasas_redis_lock_loses_updates_in_the_same_race():
    """Why the class exists: the same race through Rasa's RedisLockStore goes wrong."""
    _redis_or_skip()
    # a lost ticket blocks the queue until it expires: a short lifetime and few rounds keep it short
    overlaps, count, _ = _race(RedisLockStore, rounds=5, lifetime=1.0)
    assert overlaps > 0 or count < 6 * 5


@pytest.mark.parametrize("lock_type, expected", [
    ("wewall.lock_store.WewallRedisLockStore", WewallRedisLockStore),
    ("wewall.lock_store.WewallInMemoryLockStore", WewallInMemoryLockStore),
    ("in_memory", InMemoryLockStore),
])
def test_endpoints_yml_names_the_store(monkeypatch, lock_type, expected):
    monkeypatch.setenv("WEWALL_LOCK_STORE_TYPE", lock_type)
    for name, value in {"WEWALL_REDIS_HOST": "redis.example", "WEWALL_REDIS_PORT": "6390", "WEWALL_REDIS_DB": "4",
                        "WEWALL_ACTION_ENDPOINT_URL": "http://a", "WEWALL_TRACKER_STORE_URL": "sqlite://",
                        "WEWALL_OUTBOX_URL": "sqlite://"}.items():
        monkeypatch.setenv(name, value)
    store = LockStore.create(AvailableEndpoints.read_endpoints("endpoints.yml").lock_store)
    assert type(store) is expected
    if expected is WewallRedisLockStore:  # Rasa's settings reach redis-py (no connection is made yet)
        kwargs = store.red.connection_pool.connection_kwargs
        assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("redis.example", 6390, 4)
        assert store.key_prefix == "wewall:lock:"


@pytest.mark.parametrize("store_class, fast", [(WewallInMemoryLockStore, True), (InMemoryLockStore, False)])
def test_a_waiting_message_is_let_in_soon_after_the_first_leaves(store_class, fast):
    store = store_class()
    waited = []

    async def first():
        async with store.lock("c"):
            await asyncio.sleep(0.2)

    async def second():
        await asyncio.sleep(0.05)
        started = time.monotonic()
        async with store.lock("c"):
            waited.append(time.monotonic() - started)

    async def both():
        await asyncio.gather(first(), second())

    asyncio.run(both())
    assert (waited[0] < 0.5) is fast  # Rasa's own default polls once a second: ≥ 1 s there
