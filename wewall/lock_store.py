"""Rasa lock stores of ours, named in endpoints.yml (`lock_store: type: wewall.lock_store.…`).

Rasa serialises the turns of one conversation with a ticket lock: each message takes a
ticket, waits until its number is served, and gives the ticket back at the end.

`WewallRedisLockStore` (several Rasa processes share conversations): Rasa's `RedisLockStore`
changes a conversation's ticket queue by reading it, changing it and writing it back, so two
processes doing so at once lose a ticket (both may then serve the same number, or one finds the
queue deleted and drops its message with «Could not acquire lock»). Reproduced by
tests/unit/test_lock_store.py: 6 stores × 15 rounds on one conversation lose updates with
Rasa's class. Here each read-change-write step is one Redis transaction (WATCH/MULTI, retried
on conflict), with Rasa's ticket algorithm unchanged.

Both classes also poll a busy conversation every 50 ms instead of Rasa's once a second, so a
second message sent while the first is answered does not wait a whole second more.

Rasa builds a lock store named by module path as `cls(endpoint_config=...)`
(`rasa.core.lock_store._load_from_module_name_in_endpoint_config`); the endpoint's `url` is the
Redis host and its other keys (port, db, password, key_prefix…) are `RedisLockStore`'s.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

LOCK_WAIT_SECONDS = 0.05


class _ShortWait:
    def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: float = LOCK_WAIT_SECONDS):
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)  # type: ignore[misc]


class WewallInMemoryLockStore(_ShortWait, InMemoryLockStore):
    """Rasa's in-memory store (one Rasa process) with the short wait."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **_: Any) -> None:
        super().__init__()  # the endpoint's Redis settings mean nothing here


class WewallRedisLockStore(_ShortWait, RedisLockStore):
    """Rasa's Redis store with each change of a ticket queue done in one transaction."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # as Rasa builds its own: RedisLockStore(host=url, **kwargs)
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: Text,
                change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Any]]) -> Any:
        """Apply `change` (old lock → new lock or None to delete, result) in one transaction."""
        key = self.key_prefix + conversation_id

        def transaction(pipe) -> Any:
            raw = pipe.get(key)  # immediate mode: the key is WATCHed
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            new, result = change(lock)
            pipe.multi()
            if new is None:
                pipe.delete(key)
            else:
                pipe.set(key, new.dumps())
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock):
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, change)
        except Exception as e:  # as Rasa's: the caller expects a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{e}")

    def update_lock(self, conversation_id: Text) -> None:
        def change(lock):
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def change(lock):
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        def change(lock):
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, change)
