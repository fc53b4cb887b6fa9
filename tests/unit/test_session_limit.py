"""Issue #22: a turn's cost grew with the session's length (7 ms at 28 events, 252 ms at 5 028);
a session over WEWALL_SESSION_MAX_EVENTS ends and the next message starts a new one."""

from __future__ import annotations

import time
import types

import pytest
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from wewall import bootstrap
from wewall.settings import reset_settings
from wewall.tracker_store import max_session_events, session_too_long

DOMAIN = Domain.from_yaml("""
version: "3.1"
session_config:
  session_expiration_time: 1440
  carry_over_slots_to_new_session: true
""")


def tracker(turns: int, *, form: bool = False, restarted_after: int = 0) -> DialogueStateTracker:
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for n in range(turns):
        if restarted_after and n == restarted_after:
            events += [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
        events += [UserUttered(f"сообщение {n}", {"name": "inform"}, timestamp=time.time()),
                   ActionExecuted("action_listen")]
    if form:
        events.append(ActiveLoop("calculation_form"))
    return DialogueStateTracker.from_events("rest:e2e:long", events)


@pytest.mark.parametrize(
    "turns, form, restarted_after, limit, ends",
    [
        (10, False, 0, 500, False),
        (300, False, 0, 500, True),        # 600 events
        (300, True, 0, 500, False),        # in a form: not yet
        (600, True, 0, 500, True),         # twice the limit: even in a form
        (300, False, 100, 500, False),     # a new session started 400 events ago
        (3000, False, 0, 0, False),        # 0: off
    ],
)
def test_which_sessions_end(turns, form, restarted_after, limit, ends):
    assert session_too_long(tracker(turns, form=form, restarted_after=restarted_after), limit) is ends


@pytest.fixture
def patched():
    """Rasa with the project's patches (wewall/bootstrap.py), as the servers run it."""
    had = bootstrap.installed()
    bootstrap.uninstall()
    assert "session limit" in bootstrap.install(bootstrap.TESTED)
    yield
    bootstrap.uninstall()
    if had:
        bootstrap.install()


def test_rasa_starts_a_new_session_for_a_too_long_one(monkeypatch, patched):
    processor = types.SimpleNamespace(domain=DOMAIN)
    assert MessageProcessor._has_session_expired(processor, tracker(10)) is False
    assert MessageProcessor._has_session_expired(processor, tracker(300)) is True
    monkeypatch.setenv("WEWALL_SESSION_MAX_EVENTS", "0")
    reset_settings()
    assert max_session_events() == 0
    assert MessageProcessor._has_session_expired(processor, tracker(300)) is False
